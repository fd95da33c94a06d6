"""Training events: the :class:`Callback` protocol, and the progress bar that is one."""

from __future__ import annotations

from typing import Protocol


class Callback(Protocol):
    def on_train_begin(self, n_iter: int, label: str) -> None: ...
    def on_iteration_end(self, iteration: int, record: dict[str, float]) -> None: ...
    def on_train_end(self) -> None: ...


class ProgressBar:
    """A tqdm bar over iterations, showing the latest D and G losses."""

    def __init__(self, every: int = 25):
        self.every = every
        self._bar = None
        self._quality = None

    def on_train_begin(self, n_iter: int, label: str) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=n_iter, desc=label, leave=True, dynamic_ncols=True)
        self._quality = None  # one bar object serves every GAN of a fit: no score carried over

    def on_iteration_end(self, iteration: int, record: dict[str, float]) -> None:
        self._bar.update(1)
        if "q_score" in record:
            self._quality = record["q_score"]
        if iteration % self.every == 0 or "q_score" in record:
            shown = dict(d_loss=f"{record['d_loss']:.4f}", g_loss=f"{record['g_loss']:.4f}")
            if self._quality is not None:
                shown["quality"] = f"{self._quality:.3f}"
            self._bar.set_postfix(shown)

    def on_train_end(self) -> None:
        self._bar.close()
