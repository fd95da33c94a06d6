"""Exploration only: which CNN changes raise BreastMNIST validation AUC (full split, no resampling / ros)."""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score

torch.set_num_threads(1)
f = np.load("/work/shared/data/breastmnist.npz")


def split(s):
    return f[f"{s}_images"].astype(np.float32)[:, None] / 255, f[f"{s}_labels"].ravel().astype(np.int64)


Xtr, ytr = split("train")
Xva, yva = split("val")


def net(depth, width, bn, dropout, nfeat=128):
    layers, c = [], 1
    for i in range(depth):
        w = width * 2 ** i
        layers += [nn.Conv2d(c, w, 3, padding=1)] + ([nn.BatchNorm2d(w)] if bn else []) + [nn.ReLU()]
        if bn and depth >= 3:
            layers += [nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU()]
        layers += [nn.MaxPool2d(2)] if i < depth - 1 or depth < 3 else []
        c = w
    layers += [nn.AdaptiveAvgPool2d(4 if depth < 3 else 2), nn.Flatten(), nn.Dropout(dropout),
               nn.Linear(c * (16 if depth < 3 else 4), nfeat), nn.ReLU(), nn.Dropout(dropout), nn.Linear(nfeat, 2)]
    return nn.Sequential(*layers)

def aug_batch(x, g, shift):
    flip = torch.rand(len(x), generator=g) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    if shift:
        p = F.pad(x, (shift,) * 4, mode="replicate")
        dx, dy = torch.randint(0, 2 * shift + 1, (2, len(x)), generator=g)
        x = torch.stack([p[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28] for i in range(len(x))])
    return x

def run(cfg, seed, ros=False):
    X, y = Xtr, ytr
    if ros:
        rng = np.random.default_rng(seed)
        idx = np.flatnonzero(y == 0)
        extra = rng.choice(idx, (y == 1).sum() - len(idx))
        X, y = np.concatenate([X, X[extra]]), np.concatenate([y, y[extra]])
    m, s = X.mean(), X.std()
    xt, yt, xv = torch.from_numpy((X - m) / s), torch.from_numpy(y), torch.from_numpy((Xva - m) / s)
    torch.manual_seed(seed)
    model = net(cfg.get("depth", 2), cfg.get("width", 32), cfg.get("bn", False), cfg.get("dropout", 0.0))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.get("lr", 1e-3), weight_decay=cfg.get("wd", 0.0))
    E = cfg.get("epochs", 60)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, E) if cfg.get("cosine") else None
    g = torch.Generator().manual_seed(seed)
    curve = []
    for _ in range(E):
        model.train()
        order = torch.randperm(len(xt), generator=g)
        for st in range(0, len(xt), 64):
            i = order[st:st + 64]
            xb = xt[i]
            if cfg.get("aug"):
                xb = aug_batch(xb, g, cfg.get("shift", 2))
            loss = F.cross_entropy(model(xb), yt[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if sched:
            sched.step()
        model.eval()
        with torch.no_grad():
            p = model(xv).softmax(1)[:, 1]
            if cfg.get("tta"):
                p = (p + model(xv.flip(3)).softmax(1)[:, 1]) / 2
        curve.append(roc_auc_score(yva, p.numpy()))
    return curve

name, cfg = sys.argv[1], json.loads(sys.argv[2])
for ros in (False, True):
    for seed in (0, 1, 2):
        t = time.time()
        c = run(cfg, seed, ros)
        print(json.dumps(dict(name=name, cfg=cfg, ros=ros, seed=seed, best=max(c), last20=float(np.mean(c[-20:])),
                              epoch=int(np.argmax(c)) + 1, s=round(time.time() - t))), flush=True)
