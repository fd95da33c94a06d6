"""Generators that refine interpolations between real rows (or images) of the class.

With ``GANOversampler(anchor="smote")`` every generated row starts from an
*anchor*: a point on the segment between a real row of the class and one of
its ``k`` nearest real neighbours in the class (SMOTE's draw). The network
sees the anchor beside its noise and outputs a correction that is added to
the anchor, so the generator begins as SMOTE (its last layer starts at
zero) and the adversarial training moves the rows from there: towards the
class's real density and away from the other classes, which a linear
interpolation cannot do, while a small class in many dimensions no longer
has to be learnt from noise alone. Tables get :class:`AnchoredGenerator`
(an MLP), images :class:`AnchoredConvGenerator` (a small U-Net that sees
the anchor image, whose neighbours are found on the pixels).

All randomness stays in the noise vector ``z``, as it does for the
Gumbel draws of :class:`~minority_gen.nets.mlp.MLPGenerator`: the last
:data:`ANCHOR_NOISE` entries of ``z`` (standard normal) are mapped to
uniforms by their CDF and pick the row, the neighbour and the position on
the segment. The rows and the neighbour table are buffers of the module,
so they move with it between devices and are saved with its weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors
from torch import Tensor, nn

from ..boundary import bounded_shift
from .conv import CONV_MEMORY_FORMAT, DEFAULT_WIDTH, _widths, check_padding, conv_stages
from .heads import condition_on_labels
from .mlp import MLPGenerator

ANCHOR_NOISE = 3  # uniforms per row: which real row, which neighbour, where on the segment
ANCHOR_K = 5  # neighbours per real row, as SMOTE's default k_neighbors


def class_neighbours(rows: np.ndarray, labels: np.ndarray, k: int = ANCHOR_K) -> np.ndarray:
    """``(n, k)`` indices into ``rows`` of each row's ``k`` nearest other rows of its class.

    A class with fewer than ``k + 1`` rows repeats its neighbours in turn;
    a class of one row is its own neighbour (its anchors are that row).
    """
    out = np.empty((len(rows), k), dtype=np.int64)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if len(members) == 1:
            out[members] = members[0]
            continue
        m = min(k, len(members) - 1)
        nn_ = NearestNeighbors(n_neighbors=m + 1).fit(rows[members])
        idx = nn_.kneighbors(rows[members], return_distance=False)
        # drop each row itself (first unless duplicates tie with it)
        own = idx == np.arange(len(members))[:, None]
        keep = np.where(own.any(1, keepdims=True), ~own, np.arange(m + 1)[None, :] < m)
        nbrs = idx[keep].reshape(len(members), m)
        out[members] = members[nbrs[:, np.arange(k) % m]]
    return out


def covariance_root(rows: Tensor) -> Tensor:
    """``(d, d)``: the symmetric square root of the covariance of ``rows`` (``(n, d)``), scaled to a mean
    eigenvalue of 1 (its trace is ``d``): ``x @ covariance_root(rows)`` turns isotropic noise into noise
    shaped as the rows spread, of the same total variance; zero in every direction in which the rows do not
    vary, and all zero for fewer than two rows or rows that do not vary (``(0, 0)`` for rows of no column).
    Computed in float64 on the CPU, so that the same rows give the same matrix bit for bit."""
    rows = rows.detach().cpu().double()
    d = rows.shape[1]
    if len(rows) < 2 or d == 0:
        return torch.zeros(d, d)
    centred = rows - rows.mean(0)
    values, vectors = torch.linalg.eigh(centred.T @ centred / (len(rows) - 1))
    values = values.clamp_min(0)
    # eigenvalues below float64 round-off of the largest are the directions the rows do not span
    values = torch.where(values > values.max() * d * torch.finfo(torch.float64).eps, values, 0.0)
    if not values.sum() > 0:
        return torch.zeros(d, d)
    root = (vectors * (values / values.mean()).sqrt()) @ vectors.T
    return root.float()


def _classes(draws: Tensor, y: Tensor | None) -> Tensor:
    """Each draw's class index: ``y``, or class 0 for an unconditional generator."""
    return torch.zeros(len(draws), dtype=torch.long, device=draws.device) if y is None else y.long()


def _reshape(module, incompatible) -> None:
    """After ``load_state_dict``: the shaping matrices from the rows just loaded."""
    module.shape = module._shapes()


class AnchorDraws:
    """The anchors' buffers and draw, shared by the table and the image generator.

    :meth:`_register_anchors` stores the real rows (flat, sorted by class),
    their neighbour table and each class's slice; :meth:`anchors` turns
    uniforms into SMOTE points of the requested classes.
    """

    def _register_anchors(self, rows: Tensor, labels: Tensor | None, neighbours: Tensor | None,
                          n_classes: int) -> None:
        if labels is None:
            labels = torch.zeros(len(rows), dtype=torch.long)
        order = torch.argsort(labels.cpu(), stable=True)
        rows, labels = rows.detach().float().cpu()[order], labels.cpu().long()[order]
        if neighbours is None:
            neighbours = torch.from_numpy(class_neighbours(rows.numpy(), labels.numpy()))
        counts = torch.bincount(labels, minlength=max(n_classes, 1))
        self.register_buffer("rows", rows)
        self.register_buffer("neighbours", neighbours.long())
        self.register_buffer("starts", torch.cumsum(counts, 0) - counts)
        self.register_buffer("counts", counts)

    def draw_rows(self, u: Tensor, y: Tensor | None) -> Tensor:
        """Per draw (uniforms ``u`` of shape ``(m, 3)``, class indices ``y``; ``None``: class 0), the index into
        ``rows`` of the anchor's first row: ``u[:, 0]`` picks it uniformly within its class."""
        group = _classes(u, y)
        count = self.counts.index_select(0, group).clamp_min(1)
        return self.starts.index_select(0, group) + torch.minimum((u[:, 0] * count).long(), count - 1)

    def anchors(self, u: Tensor, y: Tensor | None, i: Tensor | None = None) -> Tensor:
        """Anchors for uniforms ``u`` of shape ``(m, 3)`` and class indices ``y`` (``None``: class 0); ``i``:
        :meth:`draw_rows` of them, when already computed."""
        i = self.draw_rows(u, y) if i is None else i
        k = self.neighbours.shape[1]
        j = self.neighbours[i, (u[:, 1] * k).long().clamp_max(k - 1)]
        a, b = self.rows.index_select(0, i), self.rows.index_select(0, j)
        return a + u[:, 2:3] * (b - a)

    def anchor_radius(self, u: Tensor, y: Tensor | None, i: Tensor | None = None) -> Tensor:
        """Per draw, the mean distance of the anchor's first row to its ``k`` neighbours (the local scale)."""
        i = self.draw_rows(u, y) if i is None else i
        rows = self.rows.index_select(0, i)
        near = self.rows.index_select(0, self.neighbours.index_select(0, i).reshape(-1)).view(
            len(i), self.neighbours.shape[1], -1)
        return (near - rows[:, None]).norm(dim=-1).mean(1)

    def split_noise(self, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``z`` as (latent, Gumbel draws, the anchor's uniforms)."""
        return (z[:, : self.latent_dim], z[:, self.latent_dim : self.noise_dim - ANCHOR_NOISE],
                torch.special.ndtr(z[:, self.noise_dim - ANCHOR_NOISE :]))


class AnchoredGenerator(AnchorDraws, nn.Module):
    """``(z, y) -> anchor + f(z, anchor, y)`` on a table's numeric columns.

    Parameters
    ----------
    latent_dim, out_features, hidden_dims, n_classes, blocks, tau
        As :class:`~minority_gen.nets.mlp.MLPGenerator`, whose network ``f``
        is. One-hot blocks (categorical columns) keep ``f``'s Gumbel-softmax
        output: the anchor's levels are an input of ``f``, not added to it.
    rows : Tensor of shape (n, out_features)
        The real rows anchors are drawn from (encoded, as the networks see them).
    labels : Tensor of shape (n,) or None
        Their class indices, for a conditional generator (``n_classes > 0``);
        ``None``: one class.
    neighbours : Tensor of shape (n, k) or None
        Indices into ``rows`` of each row's neighbours; ``None`` computes them
        (:func:`class_neighbours`).
    max_shift : float or None
        Bound the correction: its norm (over the numeric columns) is at most
        ``max_shift`` times the anchor row's mean distance to its neighbours
        (:func:`minority_gen.boundary.bounded_shift`); ``None``: unbounded.
    shaped : bool
        Map the numeric correction through the square root of its class's
        covariance (:func:`covariance_root`), so that it moves a row only
        along directions in which the class's rows vary, in proportion to
        their spread: a linear relation every row of the class obeys (a
        total and its parts, a constant column) holds in every generated
        row, as it does in SMOTE's. ``False``: any direction. The matrices
        are computed from ``rows``, never stored with the weights (a loaded
        generator recomputes them from its loaded rows).

    Examples
    --------
    >>> import torch
    >>> rows = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> g = AnchoredGenerator(4, 2, (8,), rows=rows)
    >>> x = g(torch.randn(6, g.noise_dim))  # before training: points on segments between the rows
    >>> bool(((x >= 0) & (x.sum(1, keepdim=True) <= 1 + 1e-6)).all())
    True
    """

    def __init__(
        self,
        latent_dim: int,
        out_features: int,
        hidden_dims: Sequence[int] = (128, 128),
        n_classes: int = 0,
        blocks: Sequence[tuple[int, int]] = (),
        tau: float = 0.2,
        *,
        rows: Tensor,
        labels: Tensor | None = None,
        neighbours: Tensor | None = None,
        max_shift: float | None = None,
        shaped: bool = False,
    ):
        super().__init__()
        self.max_shift = max_shift
        self.shaped = bool(shaped)
        if rows.ndim != 2 or rows.shape[1] != out_features or len(rows) == 0:
            raise ValueError(f"rows must be a non-empty (n, {out_features}) tensor; got shape {tuple(rows.shape)}.")
        self.latent_dim = latent_dim
        self.n_classes = n_classes
        self.blocks = tuple((int(s), int(e)) for s, e in blocks)
        self.f = MLPGenerator(latent_dim + out_features, out_features, hidden_dims, n_classes, self.blocks, tau)
        last = self.f.net[-1]
        nn.init.zeros_(last.weight)  # the untrained generator returns its anchors
        nn.init.zeros_(last.bias)
        self.noise_dim = latent_dim + (self.f.noise_dim - self.f.latent_dim) + ANCHOR_NOISE
        numeric = torch.ones(out_features, dtype=torch.bool)
        for s, e in self.blocks:
            numeric[s:e] = False
        self._register_anchors(rows, labels, neighbours, n_classes)
        self.register_buffer("numeric", numeric.float())
        if self.shaped:  # not persistent: recomputed from the rows, also after loading them
            self.register_buffer("shape", self._shapes(), persistent=False)
            self.register_load_state_dict_post_hook(_reshape)

    def _shapes(self) -> Tensor:
        """``(classes, d, d)``: each class's :func:`covariance_root` over the numeric columns (zero elsewhere)."""
        d = len(self.numeric)
        if self.rows.is_meta or self.numeric.is_meta:  # built for its shapes only (loading a model)
            return torch.zeros(len(self.counts), d, d, device="meta")
        numeric = self.numeric.bool().cpu()
        out = torch.zeros(len(self.counts), d, d, device="cpu")
        index = torch.nonzero(numeric)[:, 0]
        for c, (start, count) in enumerate(zip(self.starts.tolist(), self.counts.tolist())):
            members = self.rows[start:start + count].cpu()[:, index]
            out[c, index[:, None], index[None, :]] = covariance_root(members)
        return out.to(self.rows.device)

    def _shaped(self, delta: Tensor, y: Tensor | None) -> Tensor:
        """``delta``'s rows through their class's shaping matrix: one product per class, never an ``(n, d, d)``
        gather of the matrices (which grows as d²: 31 MB per forward at 278 columns)."""
        shape = self.shape.to(delta.dtype)
        if len(shape) == 1:
            return delta @ shape[0]
        return torch.matmul(delta, shape)[_classes(delta, y), torch.arange(len(delta), device=delta.device)]

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        noise, gumbel, u = self.split_noise(z)
        i = self.draw_rows(u, y)
        anchor = self.anchors(u, y, i)
        out = self.f(torch.cat([noise, anchor.to(noise.dtype), gumbel], dim=1), y)
        numeric = self.numeric.to(out.dtype)
        if self.shaped:  # the numeric correction within the class's spread (non-numeric columns: zero rows)
            out = out * (1 - numeric) + self._shaped(out * numeric, y)
        if self.max_shift is not None:  # the numeric correction at most max_shift local neighbour distances
            delta = bounded_shift(out * numeric, self.anchor_radius(u, y, i), self.max_shift)
            return out * (1 - numeric) + delta + anchor.to(out.dtype) * numeric
        return out + anchor.to(out.dtype) * numeric


class AnchoredConvGenerator(AnchorDraws, nn.Module):
    """``(z, y) -> clamp(anchor + f(z, anchor, y), -1, 1)`` on images in ``[-1, 1]``.

    The anchor is a SMOTE point between two real images of the class: the
    pixel-wise blend of an image and one of its ``k`` nearest images of the
    class (neighbours on the pixels). ``f`` is a small U-Net: a
    convolutional encoder of the anchor, as :class:`~minority_gen.nets.conv.ConvDiscriminator`'s
    trunk, down to the ``b_h × b_w`` base; the noise (and one-hot ``y``)
    projected to a map of that base, as in :class:`~minority_gen.nets.conv.ConvGenerator`;
    then the generator's upsampling stages, each fed the encoder's map of
    its resolution beside its input, and a last 3×3 convolution to the
    correction, which starts at zero. So the untrained generator returns its
    anchors, and training can remove what a blend gets wrong (two faint
    overlaid shapes) and add what it lacks, with the anchor in view at every
    scale.

    Parameters
    ----------
    latent_dim, image_shape, width, n_classes
        As :class:`~minority_gen.nets.conv.ConvGenerator`.
    rows : Tensor of shape (n, C·H·W) or (n, C, H, W)
        The real images anchors are drawn from, in ``[-1, 1]`` (kept flat).
    labels, neighbours, max_shift
        As :class:`AnchoredGenerator` (the bound on the pixels).
    padding : str
        How every convolution pads its input, as :class:`~minority_gen.nets.conv.ConvGenerator`'s.

    Examples
    --------
    >>> import torch
    >>> rows = torch.rand(5, 1 * 16 * 16) * 2 - 1
    >>> g = AnchoredConvGenerator(8, (1, 16, 16), width=4, rows=rows)
    >>> x = g(torch.randn(3, g.noise_dim))  # before training: blends of two real images
    >>> x.shape, bool((x >= -1).all() and (x <= 1).all())
    (torch.Size([3, 1, 16, 16]), True)
    """

    def __init__(
        self,
        latent_dim: int,
        image_shape: tuple[int, int, int],
        width: int = DEFAULT_WIDTH,
        n_classes: int = 0,
        *,
        rows: Tensor,
        labels: Tensor | None = None,
        neighbours: Tensor | None = None,
        max_shift: float | None = None,
        padding: str = "zeros",
    ):
        super().__init__()
        self.max_shift = max_shift
        pad = {"padding": 1, "padding_mode": check_padding(padding)}
        k, bh, bw = conv_stages(image_shape)
        c = image_shape[0]
        n_pixels = int(c * image_shape[1] * image_shape[2])
        if rows.ndim == 4:  # (n, C, H, W), as the image codec gives them
            rows = rows.reshape(len(rows), -1)
        if rows.ndim != 2 or rows.shape[1] != n_pixels or len(rows) == 0:
            raise ValueError(f"rows must be a non-empty (n, {n_pixels}) tensor of flat images; got shape "
                             f"{tuple(rows.shape)}.")
        widths = _widths(width, k)
        self.latent_dim, self.n_classes = latent_dim, n_classes
        self.noise_dim = latent_dim + ANCHOR_NOISE
        self.image_shape = tuple(image_shape)
        self.base = (widths[k], bh, bw)
        self.encode = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(c, widths[0], 3, **pad), nn.LeakyReLU(0.2))]
            + [nn.Sequential(nn.Conv2d(widths[i], widths[i + 1], 4, stride=2, **pad), nn.LeakyReLU(0.2))
               for i in range(k)]
        )
        self.project = nn.Linear(latent_dim + n_classes, widths[k] * bh * bw)
        self.merge = nn.Sequential(nn.Conv2d(2 * widths[k], widths[k], 3, bias=False, **pad),
                                   nn.BatchNorm2d(widths[k]), nn.ReLU())
        self.up = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i] + widths[i - 1], widths[i - 1], 3, bias=False, **pad),
                          nn.BatchNorm2d(widths[i - 1]), nn.ReLU())
            for i in range(k, 0, -1)
        )
        self.out = nn.Conv2d(widths[0], c, 3, **pad)
        nn.init.zeros_(self.out.weight)  # the untrained generator returns its anchors
        nn.init.zeros_(self.out.bias)
        self._register_anchors(rows, labels, neighbours, n_classes)
        self.to(memory_format=CONV_MEMORY_FORMAT)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        noise, _, u = self.split_noise(z)
        i = self.draw_rows(u, y)
        anchor = self.anchors(u, y, i).to(noise.dtype).view(len(z), *self.image_shape)
        skips = []
        h = anchor
        for stage in self.encode:
            h = stage(h)
            skips.append(h)
        noise_map = self.project(condition_on_labels(noise, y, self.n_classes)).view(len(z), *self.base)
        h = self.merge(torch.cat([skips.pop(), noise_map], dim=1))
        for stage in self.up:
            h = nn.functional.interpolate(h, scale_factor=2, mode="nearest")
            h = stage(torch.cat([h, skips.pop()], dim=1))
        delta = self.out(h)
        if self.max_shift is not None:
            delta = bounded_shift(delta, self.anchor_radius(u, y, i), self.max_shift)
        return torch.clamp(anchor + delta, -1.0, 1.0)
