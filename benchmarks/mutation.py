"""Mutation testing: do the tests fail when the package is broken on purpose? Each mutant (``mutants.toml``
beside this script) is one hand-written substitution in a temporary copy of the package, whose tests then run
(how a mutant is made, run and judged: benchmarks/README.md, "Mutation testing").

    python benchmarks/mutation.py                  # every mutant; writes results/mutation/results.{md,json}
    python benchmarks/mutation.py --quick          # 3 mutants against the fast loss tests (smoke run)
    python benchmarks/mutation.py --only ema-inverted,n-critic-ignored
    python benchmarks/mutation.py --list           # names, files, what each breaks
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._timing import head, parser, print_or_write  # noqa: E402
from minority_gen.evaluation.report import table_lines  # noqa: E402

#: Test files run against every mutant, fastest first (pytest stops at the first failure).
TESTS = ("tests/test_losses_nondegenerate.py", "tests/test_losses.py", "tests/test_losses_conditional.py",
         "tests/test_wiring.py", "tests/test_sample_quality.py", "tests/test_methods_conditional.py",
         "tests/test_oversampler.py", "tests/test_behaviour_baselines.py", "tests/test_behaviour.py",
         "tests/test_mine_marginal.py", "tests/test_boundary.py",
         # the newer modules' (filters, codecs, safeguards, settings, statistics, the cell store): each file < 30 s
         "tests/test_mutants_newer.py", "tests/test_stats.py", "tests/test_filtering.py", "tests/test_engine_audit.py",
         "tests/test_input_integrity.py", "tests/test_mixed_tables.py", "tests/test_reliability.py",
         "tests/test_draw_memory.py", "tests/test_far_rows.py", "tests/test_kind_rules.py", "tests/test_engine.py",
         "tests/test_room.py")
#: What the copy holds: the package, the tests and the test settings.
COPIED = ("minority_gen", "tests", "pyproject.toml")
QUICK = ("rumi-sgan-fake-target", "lsgan-targets-swapped", "ac-d-fake-target")


@dataclass(frozen=True)
class Mutant:
    """Replace ``old`` by ``new`` in ``path`` (``old`` must occur exactly once there)."""

    name: str
    path: str
    old: str
    new: str
    breaks: str
    note: str = ""  #: why a survivor survives (an equivalent mutant), shown in the report

    def check(self, root: Path = ROOT) -> str:
        """The text of ``path`` under ``root``; ``ValueError`` unless ``old`` occurs there exactly once."""
        text = (root / self.path).read_text()
        if (count := text.count(self.old)) != 1:
            raise ValueError(f"mutant {self.name!r}: the text to replace occurs {count} times in {self.path}, "
                             f"not once; update the mutant:\n{self.old}")
        return text

    def apply(self, root: Path) -> None:
        """Make the substitution in the copy under ``root``."""
        (root / self.path).write_text(self.check(root).replace(self.old, self.new))


MUTANTS_FILE = Path(__file__).with_name("mutants.toml")
FIELDS = ("name", "path", "old", "new", "breaks")  #: every mutant's fields; ``note`` is optional


def read_mutants(path: Path = MUTANTS_FILE) -> list[Mutant]:
    """The ``[[mutant]]`` tables of ``path``: ``ValueError`` naming the mutant when a field is missing, unknown or
    not text, a name is repeated or ``new`` equals ``old`` (:meth:`Mutant.check` checks ``old`` against the source
    before a run)."""
    with open(path, "rb") as f:
        tables = tomllib.load(f).get("mutant", [])
    mutants, names = [], set()
    for number, table in enumerate(tables, 1):
        name = table.get("name", f"number {number}")
        if missing := [field for field in FIELDS if field not in table]:
            raise ValueError(f"{path.name}: mutant {name!r} has no {', '.join(missing)}")
        if unknown := sorted(set(table) - {*FIELDS, "note"}):
            raise ValueError(f"{path.name}: mutant {name!r} has unknown fields {unknown}")
        if not_text := [field for field, value in table.items() if not isinstance(value, str)]:
            raise ValueError(f"{path.name}: mutant {name!r}: {', '.join(not_text)} must be text")
        if name in names:
            raise ValueError(f"{path.name}: mutant {name!r} is listed twice")
        if table["old"] == table["new"]:
            raise ValueError(f"{path.name}: mutant {name!r} replaces its text by the same text")
        names.add(name)
        mutants.append(Mutant(**table))
    return mutants


MUTANTS = read_mutants()


def make_copy(dest: Path) -> Path:
    """The package, the tests and what they load, copied to ``dest``."""
    for rel in COPIED:
        src, dst = ROOT / rel, dest / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
        else:
            shutil.copy2(src, dst)
    return dest


def imported_from(root: Path) -> Path:
    """Where a Python started in ``root`` (as the test runs are) imports ``minority_gen`` from."""
    find = "import importlib.util; print(importlib.util.find_spec('minority_gen').origin)"  # finds, runs nothing
    out = subprocess.run([sys.executable, "-c", find], cwd=root, capture_output=True, text=True, check=True)
    return Path(out.stdout.strip()).resolve().parent


def run_mutant(mutant: Mutant | None, tests=TESTS, pytest_args=(), timeout: float = 900) -> dict:
    """Copy, mutate (``None``: the unmutated baseline) and run pytest in the copy, which is removed afterwards:
    whether every test passed, the first failing test (or why none ran to the end) and the seconds."""
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider", "-o", "addopts=",
           "--strict-markers", *pytest_args, *tests]
    with tempfile.TemporaryDirectory(prefix="minority_gen_mutant_") as tmp:
        root = make_copy(Path(tmp))
        if mutant is not None:
            mutant.apply(root)
        if (where := imported_from(root)) != (root / "minority_gen").resolve():
            raise RuntimeError(f"the test run would import minority_gen from {where}, not the copy in {root}")
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        except subprocess.TimeoutExpired:
            by = f"timeout after {timeout:.0f} s"
        else:
            found = re.findall(r"^(?:FAILED|ERROR) (\S+)", proc.stdout, flags=re.M)
            last = (proc.stdout + proc.stderr).strip().splitlines()[-1] if proc.returncode else ""
            by = "" if proc.returncode == 0 else found[0] if found else f"pytest exit {proc.returncode}: {last}"
        seconds = round(time.perf_counter() - start, 1)
    return {"mutant": None if mutant is None else mutant.name, "passed": not by, "by": by, "seconds": seconds}


def report(rows: list[dict], mutants: dict, argv: list[str], elapsed: float, jobs: int, tests) -> list[str]:
    """The results' markdown lines: the run, the kill rate, a row per mutant and the survivors."""
    killed = sum(not r["passed"] for r in rows)
    done = [(r, mutants[r["mutant"]]) for r in rows]
    table = [[m.name, f"`{m.path.removeprefix('minority_gen/')}`", m.breaks, "no" if r["passed"] else "yes",
              f"`{r['by']}`" if r["by"] else "-", r["seconds"]] for r, m in done]
    survivors = [f"* `{m.name}` ({m.breaks}): {m.note or 'no test catches it.'}" for r, m in done if r["passed"]]
    return [
        *head("Mutation testing: the tests against deliberately broken copies of the package", "mutation.py", argv,
              f"* {elapsed / 60:.1f} min in all ({jobs} mutant(s) at a time)"),
        "Each mutant is one hand-written substitution in a temporary copy of `minority_gen/`; pytest then runs, "
        "in that copy, stopping at the first failure:", "",
        *(f"* `{t}`" for t in tests), "",
        f"**{killed} of {len(rows)} mutants killed ({100 * killed / len(rows) if rows else 0.0:.1f} %).**", "",
        *table_lines(["mutant", "file", "what it breaks", "killed", "by (first failing test)", "s"], table),
        "", "## Survivors", "",
        *(survivors or ["None."]),
    ]


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = parser(__doc__, ROOT / "benchmarks" / "results" / "mutation",
                quick=f"mutants {', '.join(QUICK)} against the fast loss tests")
    ap.add_argument("--only", default=None, help="comma-separated mutant names")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per mutant (a timeout counts as killed)")
    ap.add_argument("--tests", default=None, help="comma-separated test files (default: the list in TESTS)")
    ap.add_argument("--jobs", type=int, default=1, help="mutants tested at the same time")
    args = ap.parse_args(argv)
    mutants = {m.name: m for m in MUTANTS}
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:40s} {m.path:34s} {m.breaks}")
        return 0
    names = QUICK if args.quick else (args.only.split(",") if args.only else list(mutants))
    if unknown := sorted(set(names) - set(mutants)):
        raise SystemExit(f"unknown mutants {unknown}; see --list")
    tests = tuple(args.tests.split(",")) if args.tests else TESTS[:1] if args.quick else TESTS
    for name in names:  # every mutant must apply to today's source before anything runs
        mutants[name].check()
    start = time.perf_counter()
    base = run_mutant(None, tests, timeout=args.timeout)
    print(f"{'(unmutated)':40s} {'passes' if base['passed'] else 'FAILS: ' + base['by']} ({base['seconds']} s)",
          flush=True)
    if not base["passed"]:
        print("the unmutated copy must pass its tests first", file=sys.stderr)
        return 1

    def one(name: str) -> dict:
        row = run_mutant(mutants[name], tests, timeout=args.timeout)
        print(f"{name:40s} {'SURVIVED' if row['passed'] else 'killed by ' + row['by']} ({row['seconds']} s)",
              flush=True)
        return row

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(one, names))
    lines = report(rows, mutants, argv, time.perf_counter() - start, args.jobs, tests)
    print_or_write(lines, args.out / "results.md", args.quick, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
