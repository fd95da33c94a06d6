"""Devices, mixed precision and seeded torch generators: the small torch helpers every layer may use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

#: torch's layers draw their initial weights from its global generator, which :func:`seeded_init` seeds and then
#: puts back; threads of one process (joblib's threading backend, a Dask worker) must not build at the same moment.
_GLOBAL_RNG = threading.Lock()


def resolve_device(device: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; refuse a device that is absent."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}."
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was asked for but torch sees no CUDA GPU "
            f"(torch {torch.__version__}). Use device='cpu', or device='auto' to use "
            "a GPU only when there is one."
        )
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) present.")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}.")
    return dev


def resolve_amp(amp, device: torch.device, images: bool) -> bool:
    """Whether training runs under bfloat16 autocast: ``amp="auto"`` → for images on a CUDA device only.

    ``True`` turns it on for any data and device (on the CPU too, where it
    is mostly slower: it is there for testing); ``False`` turns it off.

    >>> resolve_amp("auto", torch.device("cpu"), images=True), resolve_amp("auto", torch.device("cuda"), images=True)
    (False, True)
    """
    if amp == "auto":
        return images and device.type == "cuda"
    return bool(amp)


def to_device(x: Tensor, device: torch.device) -> Tensor:
    """``x`` on ``device``; a CPU tensor bound for CUDA goes through pinned memory, without blocking.

    Training copies its rows to the device once (batches are drawn there),
    so this is the one host-to-device transfer of a fit's data.
    """
    if device.type == "cuda" and x.device.type == "cpu":
        return x.pin_memory().to(device, non_blocking=True)
    return x.to(device)


def torch_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed``."""
    return torch.Generator(device=device).manual_seed(int(seed))


@contextmanager
def seeded_init(seed: int | None) -> Iterator[None]:
    """Build modules inside this block to draw their initial weights from ``seed`` (``None``: unseeded),
    leaving the caller's random state as it was.

    torch's CPU generator is forked, seeded and restored; the generators of
    other devices are left alone (``torch.manual_seed`` would also reseed
    every CUDA device, replacing the caller's CUDA seed). Modules are built on
    the CPU and moved to their device afterwards, so their weights come from
    the CPU generator alone. A lock keeps threads from interleaving.
    """
    with _GLOBAL_RNG, torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.default_generator.manual_seed(int(seed))
        yield
