"""Arguments and helpers shared by several sub-commands."""

from __future__ import annotations

import argparse
import json

from ..methods import available_methods


def add_gan_arguments(parser: argparse.ArgumentParser) -> None:
    """Options that configure a ``GANOversampler``."""
    parser.add_argument("--method", default="rumi", help=f"GAN method: {', '.join(available_methods())} (default rumi)")
    parser.add_argument("--method-params", default=None, metavar="JSON",
                        help='method options as JSON, e.g. \'{"b_pos": 2, "b_neg": -2}\'')
    parser.add_argument("--n-iter", type=int, default=2000, help="generator updates (default 2000)")
    parser.add_argument("--batch-size", type=int, default=None, help="batch size (default: the method's)")
    parser.add_argument("--recipe", choices=["tuned", "paper"], default="tuned",
                        help="optimiser settings: tuned (default; Adam 1e-3, one D step on tables) or the paper's")
    parser.add_argument("--pac", default="auto",
                        help="rows per discriminator pack (PacGAN); 'auto' (default: 4 on tables), 1 = off")
    parser.add_argument("--selection", choices=["last", "quality"], default="last",
                        help="keep the last generator (default) or the best-scoring one (quality)")
    parser.add_argument("--filter", default=None, metavar="CRITERIA",
                        help="drop generated rows: 'copies', 'knn' or 'copies,knn' (default: no filter)")
    parser.add_argument("--sampling-strategy", default="auto",
                        help="'auto', 'minority', 'not majority', 'all', or a float ratio (binary only)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    parser.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def gan_kwargs(args: argparse.Namespace) -> dict:
    """``GANOversampler`` keyword arguments from :func:`add_gan_arguments` options."""
    strategy = args.sampling_strategy
    try:
        strategy = float(strategy)
    except ValueError:
        pass
    params = None
    if args.method_params:
        try:
            params = json.loads(args.method_params)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--method-params is not valid JSON ({exc}): {args.method_params!r}") from None
        if not isinstance(params, dict):
            raise ValueError(f"--method-params must be a JSON object; got {args.method_params!r}")
    pac = args.pac
    if pac != "auto":
        try:
            pac = int(pac)
        except ValueError:
            raise ValueError(f"--pac must be 'auto' or a positive integer; got {args.pac!r}") from None
    return dict(
        method=args.method,
        method_params=params,
        n_iter=args.n_iter,
        batch_size=args.batch_size,
        recipe=args.recipe,
        pac=pac,
        selection=args.selection,
        filter=args.filter,
        sampling_strategy=strategy,
        device=args.device,
        random_state=args.random_state,
        verbose=not args.quiet,
    )
