"""What the issue-30 experiments on protocol V's tables share: V's folds, scoring new rows with LR / RF / HGB, the
store and the report's tables (``margin_match/match.py`` and ``drift/drift.py`` use it)."""

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[4]
CLASSIFIERS = ("lr", "rf", "hgb")
SMOTE_NOTE = ("SMOTE here is imblearn's default, k = 5 (protocol V's `smote` row uses k = 3), so the counts against "
              "SMOTE and ROS are not protocol V's; the comparison that matters is with `gan`, the same fit's rows.")


def folds(names):
    """Per table and fold of protocol V (StratifiedKFold(5, shuffle=True, random_state=0), StandardScaler on the
    training fold): ``(name, fold, Xtr, Xte, ytr, yte, minority label)``."""
    import torch
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    from minority_gen.evaluation import load_dataset

    torch.set_num_threads(1)
    for name in names:
        X, y = load_dataset(name)
        X, y = np.asarray(X, float), np.asarray(y)
        labels, counts = np.unique(y, return_counts=True)
        pos = labels[np.argmin(counts)]
        for fold, (tr, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)):
            scaler = StandardScaler().fit(X[tr])
            yield name, fold, scaler.transform(X[tr]), scaler.transform(X[te]), y[tr], y[te], pos


def baselines(Xtr, ytr) -> dict:
    """SMOTE's (imblearn's defaults, ``random_state=0``) and ROS's new rows."""
    from imblearn.over_sampling import SMOTE, RandomOverSampler

    return {"smote": SMOTE(random_state=0).fit_resample(Xtr, ytr)[0][len(Xtr):],
            "ros": RandomOverSampler(random_state=0).fit_resample(Xtr, ytr)[0][len(Xtr):]}


def score(rows: dict, Xtr, Xte, ytr, yte, pos) -> dict:
    """``{"<set>/<clf>": G-mean}``: each classifier trained on the real rows plus one set of new minority rows."""
    from imblearn.metrics import geometric_mean_score

    from minority_gen.evaluation.samplers import make_classifier

    out = {}
    for k, new in rows.items():
        Xa, ya = np.vstack([Xtr, new]), np.concatenate([ytr, np.full(len(new), pos)])
        for c in CLASSIFIERS:
            out[f"{k}/{c}"] = float(geometric_mean_score(yte, make_classifier(c, 0).fit(Xa, ya).predict(Xte)))
    return out


def run(path: Path, names, new_rows) -> None:
    """For every fold of the tables ``names``: ``new_rows(Xtr, ytr)`` (set name → the new minority rows a fit of
    the training fold adds), beside :func:`baselines`' (every set as many rows), recorded in ``path``
    (:func:`record`)."""
    import time

    for name, fold, Xtr, Xte, ytr, yte, pos in folds(names):
        start = time.time()
        rows = {**new_rows(Xtr, ytr), **baselines(Xtr, ytr)}
        assert len({len(r) for r in rows.values()}) == 1, {k: len(r) for k, r in rows.items()}
        record(path, name, fold, start, rows, Xtr, Xte, ytr, yte, pos)


def record(path: Path, name: str, fold: int, start: float, rows: dict, Xtr, Xte, ytr, yte, pos) -> None:
    """Append one fold's record to ``path``: its time since ``start``, the median margins of the real minority rows
    and of each set of ``rows`` under the fold's balanced logistic regression, and :func:`score`'s G-means."""
    import time

    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(class_weight="balanced", max_iter=3000).fit(Xtr, ytr == pos)
    coef, intercept = lr.coef_[0], lr.intercept_[0]
    rec = {"table": name, "fold": fold, "fit_s": time.time() - start,
           "real_margin": float(np.median(Xtr[ytr == pos] @ coef + intercept)),
           "margin": {k: float(np.median(r @ coef + intercept)) for k, r in rows.items()}}
    append(path, {**rec, **score(rows, Xtr, Xte, ytr, yte, pos)})


def append(path: Path, rec: dict) -> None:
    with open(path, "a") as out:
        out.write(json.dumps(rec) + "\n")
    print(rec["table"], rec["fold"], {k: round(v, 3) for k, v in rec.items() if k.endswith("/lr")}, flush=True)


def write_report(folder: Path, script: str, title: str, intro: str, sets, extra=()) -> None:
    """``folder/results.md`` from ``folder/runs.jsonl``: per classifier the tables' fold means of ``sets`` (the
    default's rows first, the candidate second) and of the ``extra`` columns, and the counts (unrounded means)."""
    import pandas as pd

    df = pd.DataFrame([json.loads(line) for line in open(folder / "runs.jsonl")])
    table = df.groupby("table")[[f"{k}/{c}" for k in sets for c in CLASSIFIERS] + list(extra)].mean()
    lines = [f"# {title}", "", f"Written by `python {Path(script).resolve().relative_to(ROOT)} --report` from "
             f"`runs.jsonl` ({len(df)} folds, computed 2026-12-07 at output version 52303f66844ddca3, Intel Xeon, "
             f"1 thread). G-mean, mean of 5 folds; {intro}", SMOTE_NOTE, ""]
    base, cand = sets[0], sets[1]
    for c in CLASSIFIERS:
        sub = table[[f"{k}/{c}" for k in sets]]
        best = sub[[f"smote/{c}", f"ros/{c}"]].max(axis=1)
        a, b = sub[f"{base}/{c}"], sub[f"{cand}/{c}"]
        lines += [f"## {c}", "", "| table | " + " | ".join([*extra, *sets]) + " |",
                  "|---" * (len(sets) + len(extra) + 1) + "|"]
        lines += [f"| {name} | " + " | ".join([*(f"{table.loc[name, e]:.2f}" for e in extra),
                                               *(f"{v:.3f}" for v in row)]) + " |" for name, row in sub.iterrows()]
        lines += ["", f"Ahead of the better of SMOTE and ROS: {base} {int((a > best).sum())}, {cand} "
                  f"{int((b > best).sum())} of {len(sub)}; {cand} above / below {base} on {int((b > a).sum())} / "
                  f"{int((b < a).sum())} tables, mean difference {(b - a).mean():+.4f}.", ""]
    (folder / "results.md").write_text("\n".join(lines))
