"""Devices, mixed precision and seeded torch generators: the small torch helpers every layer may use."""

from __future__ import annotations

import torch
from torch import Tensor


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
