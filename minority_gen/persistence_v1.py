"""The reader of model files in format version 1 (written before the house refactor), for files people already have.

Format 1 held ``config.json`` (the parameters), ``state.json`` (the
estimator's fitted attributes as they were named then, the network build
settings and which classes share a network), ``codec.json`` and
``weights.pt`` (state dicts through ``torch.save``, read here with
``torch.load(weights_only=True)``, which refuses anything but tensors and
plain containers). :func:`load` turns them into today's
:class:`~minority_gen.model.FittedModel`; only the attributes listed in
:data:`ATTRIBUTES` are read, so a file cannot set anything else.
"""

from __future__ import annotations

import io
import json
import pickle

import torch

from .jsonstate import StateError, from_json, loads, reason
from .model import FittedModel

MEMBERS = ("config.json", "state.json", "codec.json", "weights.pt")
#: Format 1's fitted attributes: the estimator's own and the fitted model's (under their format-1 names).
ATTRIBUTES = ("sampling_strategy_", "n_features_in_", "feature_names_in_", "layout_", "history_", "classes_",
              "filters_", "filter_report_", "method_", "latent_dim_", "_spec", "_limits", "_resample_seed")


def load(members: dict[str, bytes], fail) -> tuple[dict, FittedModel, dict, dict | None]:
    """``(params, model, fitted attributes, metadata)`` from the format-1 ``members`` (checksums already checked).

    ``fail(why)``: the error to raise, naming the file.
    """
    try:
        params = from_json(loads(members["config.json"]))
        state = loads(members["state.json"])
        codec = from_json(loads(members["codec.json"]))
        attrs = from_json(state["attributes"])
        metadata = from_json(loads(members["metadata.json"])) if "metadata.json" in members else None
        unknown = sorted(set(attrs) - set(ATTRIBUTES))
        if unknown:
            raise StateError(f"unknown fitted attributes {unknown[:5]}")
    except (StateError, json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise fail(f"the model cannot be read ({reason(exc)}); it was written by an incompatible "
                   "version or damaged.") from None
    weights = _read_weights(members["weights.pt"], fail)
    try:
        net = state["networks"]
        hidden = from_json(net["hidden"])
        model_state = {
            "method": attrs["method_"], "classes": attrs["classes_"], "codec": codec, "spec": attrs["_spec"],
            "limits": attrs["_limits"], "filters": {c: f.to_state() for c, f in attrs["filters_"].items()},
            "architecture": {**{k: net[k] for k in ("latent_dim", "n_classes", "conditional", "spectral_norm", "pac",
                                                    "anchor")},
                             "hidden": None if hidden is None else list(hidden)},
            "draw_seed": attrs["_resample_seed"],
            "groups": [{**g, "classes": [from_json(c) for c in g["classes"]]} for g in state["groups"]],
        }
        model = FittedModel.from_state(model_state, weights)
    except (StateError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise fail(f"the model cannot be rebuilt ({exc}).") from None
    fitted = {k: attrs[k] for k in ("sampling_strategy_", "n_features_in_", "feature_names_in_", "layout_",
                                    "history_") if k in attrs}
    return params, model, fitted, metadata


def _read_weights(data: bytes, fail) -> dict:
    try:
        weights = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise fail(f"weights.pt holds objects other than tensors, refused unopened (torch.load weights_only: "
                   f"{first[:200]}). Only load models you saved.") from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise fail(f"weights.pt cannot be read ({' '.join(str(exc).split())[:200]}).") from None
    ok = isinstance(weights, dict) and all(
        isinstance(k, str) and isinstance(sd, dict) and all(isinstance(t, torch.Tensor) for t in sd.values())
        for k, sd in weights.items())
    if not ok:
        raise fail("weights.pt is not a dict of state dicts.")
    return weights
