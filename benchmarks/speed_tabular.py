"""Protocol S (EVALUATION.md): fit time and peak memory of GANOversampler on tables.

Each configuration runs in a fresh subprocess so that its peak resident memory
(max RSS) is its own. Reports the median wall time of ``--repeats`` runs, the
time per iteration, SMOTE on the same data, and the loop overhead: the same
networks and Rumi-LSGAN loss driven by a bare forward/backward/step loop.
The demo table is ``breast_cancer_30`` of :mod:`minority_gen.evaluation.datasets`
(before 2026-12-06: the example's cut drawn with ``default_rng(0)``, same shape).

    python benchmarks/speed_tabular.py            # full grid, 3 repeats
    python benchmarks/speed_tabular.py --quick    # a smoke run (seconds)
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.default_fit_times import make_table  # noqa: E402
from minority_gen.evaluation.datasets import load_dataset  # noqa: E402
from minority_gen.evaluation.report import command_line, run_stamp, table_lines, write_results  # noqa: E402


def worker(kind: str, n: int, d: int, n_iter: int, device: str) -> dict:
    import torch

    from minority_gen import GANOversampler

    X, y = load_dataset("breast_cancer_30") if kind == "demo" else make_table(n, d)
    out = {"rows": len(X), "features": X.shape[1], "threads": torch.get_num_threads()}
    if kind == "smote":
        from imblearn.over_sampling import SMOTE

        start = time.perf_counter()
        SMOTE(random_state=0).fit_resample(X, y)
        out["fit_s"] = time.perf_counter() - start
    elif kind == "bare":
        out["ms_per_iter"] = bare_loop_ms(X, y, n_iter, device)
        sampler = GANOversampler(method="rumi", n_iter=n_iter, random_state=0, device=device)
        start = time.perf_counter()
        sampler.fit(X, y)
        out["lib_ms_per_iter"] = (time.perf_counter() - start) / n_iter * 1000
    else:
        sampler = GANOversampler(method="rumi", n_iter=n_iter, random_state=0, device=device)
        start = time.perf_counter()
        sampler.fit_resample(X, y)
        out["fit_s"] = time.perf_counter() - start
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def bare_loop_ms(X, y, n_iter: int, device: str) -> float:
    """The library's networks and Rumi losses (split schedule) in a bare loop."""
    import torch

    from minority_gen import losses
    from minority_gen.data import DataSpec, TableCodec
    from minority_gen.nets import Head, build_discriminator, build_generator

    dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else "cpu")
    x = torch.from_numpy(TableCodec().fit(X).encode(X)).to(dev)
    pos, neg = x[torch.from_numpy(y == 1)], x[torch.from_numpy(y == 0)]
    spec = DataSpec(X.shape[1])
    G = build_generator(spec, 100).to(dev)
    D = build_discriminator(spec, {"adv": Head(1)}).to(dev)
    og = torch.optim.Adam(G.parameters(), 1e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(D.parameters(), 1e-4, betas=(0.5, 0.999))
    start = time.perf_counter()
    for _ in range(n_iter):
        xp = pos[torch.randint(len(pos), (100,), device=dev)]
        xn = neg[torch.randint(len(neg), (100,), device=dev)]
        with torch.no_grad():
            fake = G(torch.randn(100, 100, device=dev))
        for real, key in ((xp, "pos"), (xn, "neg")):
            out = D(torch.cat([real, fake]))["adv"]
            terms = losses.rumi_lsgan_d(out[:100] if key == "pos" else None, out[:100] if key == "neg" else None,
                                        out[100:], fake_weight=0.5)
            od.zero_grad()
            losses.total(terms).backward()
            od.step()
        g = losses.total(losses.rumi_lsgan_g(D(G(torch.randn(100, 100, device=dev)))["adv"]))
        og.zero_grad()
        g.backward()
        og.step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / n_iter * 1000


def run(kind, n, d, n_iter, device):
    cmd = [sys.executable, __file__, "--worker", kind, str(n), str(d), str(n_iter), device]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", type=Path, default=HERE / "results" / "speed_tabular.md")
    p.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        kind, n, d, n_iter, device = args.worker
        print(json.dumps(worker(kind, int(n), int(d), int(n_iter), device)))
        return
    n_iter = 200 if args.quick else 2000
    repeats = 1 if args.quick else args.repeats
    grid = [("demo", 0, 0), ("table", 5000, 30)]
    if not args.quick:
        grid += [("table", n, d) for n in (1_000, 10_000, 100_000) for d in (10, 100)]
    rows = []
    for kind, n, d in grid:
        runs = [run(kind, n, d, n_iter, args.device) for _ in range(repeats)]
        smote = run("smote", n, d, n_iter, args.device) if kind == "table" else None
        fit = statistics.median(r["fit_s"] for r in runs)
        rows.append(["demo (breast cancer, 30 malignant)" if kind == "demo" else "synthetic",
                     f"{runs[0]['rows']:,} × {runs[0]['features']}", f"{fit:.1f}", f"{fit / n_iter * 1000:.2f}",
                     f"{max(r['maxrss_mb'] for r in runs):.0f}", f"{smote['fit_s'] if smote else float('nan'):.3f}"])
        print(" | ".join(rows[-1]), flush=True)
    bare = run("bare", 5000, 30, n_iter, args.device)
    overhead = bare["lib_ms_per_iter"] / bare["ms_per_iter"]
    lines = [
        "# Tabular speed and memory (protocol S)",
        "",
        *run_stamp(command_line("benchmarks/speed_tabular.py", argv)),
        f"* device {args.device}, torch threads {runs[0]['threads']}",
        "",
        f"Method `rumi` with default settings (batch 100, latent 100, {n_iter} iterations, split D updates); "
        f"median of {repeats} run(s); max RSS of the whole process (includes importing torch).",
        "",
        *table_lines(["data", "rows × features", "fit (s)", "ms / iteration", "peak RSS (MB)", "SMOTE (s)"], rows),
        "",
        f"Loop overhead on 5,000 × 30: train_gan {bare['lib_ms_per_iter']:.2f} ms/iteration vs a bare "
        f"loop with the same networks and losses {bare['ms_per_iter']:.2f} ms/iteration "
        f"(ratio {overhead:.2f}).",
    ]
    write_results(args.out, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
