"""Typed JSON for a fitted sampler's state: values come back with their exact types, and nothing else can.

:func:`to_json` turns the values a :class:`~minority_gen.GANOversampler`
holds (NumPy arrays and scalars, tuples, dicts with non-string keys,
NumPy and pandas dtypes (sparse ones with their fill value), DataFrames, pandas column Indexes (``RangeIndex``,
``MultiIndex`` and others, with their dtype and names), the package's codecs, row filters and
GAN methods) into plain JSON values; :func:`from_json` turns them back. A
value JSON has no type for is written as an object tagged ``"$"``:
``{"$": "ndarray", "dtype": "<f8", "shape": [3], "b64": "..."}``. Numeric
arrays are stored as their raw bytes (base64), so floats, NaN included,
come back bit for bit.

Reading is closed: only the tags below are understood, and the only
objects built are the package's own classes listed in :data:`OBJECTS`
(attributes set, no method run), GAN methods looked up by name in the
registry, and NumPy / pandas values. A file cannot name a class or a
function to call, which is what makes loading safe where ``pickle`` is
not.

Examples
--------
>>> import numpy as np
>>> value = {1: (np.float32(0.5), np.arange(3)), "a": [None, float("nan")]}
>>> back = from_json(to_json(value))
>>> back[1][0].dtype, back[1][1].tolist(), bool(np.isnan(back["a"][1]))
(dtype('float32'), [0, 1, 2], True)
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import math
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextvars import ContextVar

import numpy as np
import pandas as pd

from .columns import Column
from .data import DataSpec, TableCodec
from .filtering import RowFilter
from .images import ImageCodec, ImageLayout
from .methods import GANMethod, get_method
from .tabular import MixedTableCodec, ModeNormaliser

#: Classes rebuilt from their attributes (codecs) or fields (dataclasses): nothing else is ever built.
OBJECTS = {cls.__name__: cls for cls in (TableCodec, ImageCodec, MixedTableCodec, ModeNormaliser, Column, DataSpec,
                                         ImageLayout)}

#: pandas extension dtypes stored by name (strings and categories have their own entries).
PANDAS_DTYPES = frozenset({"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
                           "Float32", "Float64", "boolean"})

_ARRAY_KINDS = "biufc"  # stored as raw bytes
_TEXT_KINDS = "US"
#: The :class:`StateError` message for JSON nested deeper than Python recurses (e.g. 200,000 ``"["``).
NESTED = "its JSON is nested too deeply"


class StateError(ValueError):
    """A value that cannot be written, or an entry that cannot be read back."""


#: Numeric arrays of at least this many bytes go to the array store of :func:`arrays_out`, not into the JSON.
STORE_BYTES = 1024

_OUT: ContextVar[dict | None] = ContextVar("minority_gen_arrays_out", default=None)
_IN: ContextVar[Mapping | None] = ContextVar("minority_gen_arrays_in", default=None)


@contextlib.contextmanager
def arrays_out() -> Iterator[dict[str, np.ndarray]]:
    """While active, :func:`to_json` puts numeric arrays of :data:`STORE_BYTES` or more into the yielded dict
    (little-endian, contiguous) and writes a reference in their place; the caller stores the dict (as
    safetensors), so the JSON stays small whatever the data's size."""
    store: dict[str, np.ndarray] = {}
    token = _OUT.set(store)
    try:
        yield store
    finally:
        _OUT.reset(token)


@contextlib.contextmanager
def arrays_in(store: Mapping[str, np.ndarray]) -> Iterator[None]:
    """While active, :func:`from_json` resolves array references from ``store`` (what :func:`arrays_out` filled)."""
    token = _IN.set(store)
    try:
        yield
    finally:
        _IN.reset(token)


def to_json(v):
    """``v`` as plain JSON values (see the module docstring); ``StateError`` for what cannot be stored."""
    if v is None or type(v) in (bool, str):
        return v
    if type(v) is int:
        return v
    if type(v) is float:
        return v if math.isfinite(v) else {"$": "float", "value": repr(v)}
    if v is pd.NA:
        return {"$": "NA"}
    if isinstance(v, np.generic):
        return {"$": "scalar", "dtype": v.dtype.str, "value": to_json(v.item())}
    if isinstance(v, np.ndarray):
        return _array_to_json(v)
    if isinstance(v, tuple):
        return {"$": "tuple", "items": [to_json(x) for x in v]}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        tag = "odict" if isinstance(v, OrderedDict) else "dict"
        return {"$": tag, "items": [[to_json(k), to_json(x)] for k, x in v.items()]}
    if isinstance(v, (np.dtype, pd.api.extensions.ExtensionDtype)):
        return dtype_to_json(v)
    if isinstance(v, np.random.RandomState):
        return {"$": "RandomState", "state": to_json(v.get_state(legacy=True))}
    if isinstance(v, GANMethod):
        return {"$": "method", "name": v.name, "params": to_json(v.get_params(deep=False))}
    if isinstance(v, RowFilter):
        return _filter_to_json(v)
    if isinstance(v, pd.DataFrame):
        return _frame_to_json(v)
    if isinstance(v, pd.Index):
        return _index_to_json(v)
    name = type(v).__name__
    if OBJECTS.get(name) is type(v):
        if dataclasses.is_dataclass(v):
            return {"$": name, "fields": {f.name: to_json(getattr(v, f.name)) for f in dataclasses.fields(v)}}
        return {"$": name, "attrs": {k: to_json(getattr(v, k)) for k in type(v).STATE if hasattr(v, k)}}
    raise StateError(f"a {type(v).__module__}.{name} ({v!r:.60}) cannot be saved")


def loads(data):
    """``json.loads(data)``; JSON nested too deeply (a ``RecursionError``) is ``StateError(NESTED)``."""
    try:
        return json.loads(data)
    except RecursionError:
        raise StateError(NESTED) from None


def reason(exc: Exception) -> str:
    """``exc`` for a message about a file: ``"KeyError: 'x'"``; :data:`NESTED` alone for JSON nested too deeply."""
    return NESTED if isinstance(exc, StateError) and exc.args == (NESTED,) else f"{type(exc).__name__}: {exc}"


def from_json(v):
    """The value :func:`to_json` wrote; ``StateError`` for an entry it would not write or nested too deeply."""
    try:
        if isinstance(v, list):
            return [from_json(x) for x in v]
        if not isinstance(v, dict):
            return v
        tag = v.get("$")
        reader = _READERS.get(tag) if isinstance(tag, str) else None
        if reader is None and tag in OBJECTS:
            reader = _object_from_json
        if reader is None:
            raise StateError(f"unknown entry type {tag!r}")
        try:
            return reader(v)
        except StateError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"a {tag!r} entry cannot be read ({type(exc).__name__}: {exc})") from None
    except RecursionError:  # JSON that loads reads can nest more values than Python recurses
        raise StateError(NESTED) from None


# --------------------------------------------------------------------------
# arrays, dtypes, frames
# --------------------------------------------------------------------------
def _array_to_json(a: np.ndarray) -> dict:
    kind = a.dtype.kind
    store = _OUT.get()
    if store is not None and kind in "biuf" and a.nbytes >= STORE_BYTES:
        key = f"a{len(store)}"
        store[key] = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        return {"$": "ndarray", "dtype": a.dtype.str, "shape": list(a.shape), "ref": key}
    if kind in _ARRAY_KINDS:
        data = np.ascontiguousarray(a).tobytes()
        return {"$": "ndarray", "dtype": a.dtype.str, "shape": list(a.shape), "b64": base64.b64encode(data).decode()}
    if kind in _TEXT_KINDS:
        return {"$": "ndarray", "dtype": a.dtype.str, "shape": list(a.shape), "items": a.ravel().tolist()}
    if kind == "O":
        return {"$": "ndarray", "dtype": "|O", "shape": list(a.shape), "items": [to_json(x) for x in a.ravel()]}
    raise StateError(f"an array of dtype {a.dtype} cannot be saved")


def _array_from_json(v: dict) -> np.ndarray:
    dtype, shape = _numpy_dtype(v["dtype"]), tuple(int(s) for s in v["shape"])
    if "ref" in v:
        store = _IN.get()
        stored = None if store is None else store.get(v["ref"])
        if not isinstance(stored, np.ndarray) or stored.shape != shape or stored.dtype != dtype.newbyteorder("<"):
            raise StateError(f"the stored array {v['ref']!r} is missing or not of shape {shape} and dtype {dtype}")
        return stored.astype(dtype, copy=True)
    if dtype.kind in _ARRAY_KINDS:
        raw = base64.b64decode(v["b64"], validate=True)
        if len(raw) != dtype.itemsize * math.prod(shape):
            raise StateError(f"an array of shape {shape} and dtype {dtype} has {len(raw)} bytes")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    items = v["items"] if dtype.kind in _TEXT_KINDS else [from_json(x) for x in v["items"]]
    out = np.empty(len(items), dtype=dtype)
    out[:] = items
    return out.reshape(shape)


def _numpy_dtype(text: str) -> np.dtype:
    dtype = np.dtype(str(text))
    if dtype.kind not in _ARRAY_KINDS + _TEXT_KINDS + "O" or dtype.fields is not None or dtype.subdtype is not None:
        raise StateError(f"unsupported array dtype {text!r}")
    return dtype


def dtype_to_json(d) -> dict:
    """A NumPy or pandas dtype as JSON: categories (with their own dtype and order), strings (storage, NA), names."""
    if isinstance(d, np.dtype):
        _numpy_dtype(d.str)
        return {"$": "dtype", "numpy": d.str}
    if isinstance(d, pd.CategoricalDtype):
        values = np.asarray(d.categories.to_numpy())
        if values.dtype.kind not in _ARRAY_KINDS + _TEXT_KINDS:
            values = values.astype(object)
        return {"$": "dtype", "category": {"categories": _array_to_json(values),
                                           "categories_dtype": dtype_to_json(d.categories.dtype),
                                           "ordered": bool(d.ordered)}}
    if isinstance(d, pd.StringDtype):
        return {"$": "dtype", "string": {"storage": d.storage, "na": "NA" if d.na_value is pd.NA else "nan"}}
    if isinstance(d, pd.SparseDtype):  # the fill value with its own type (0, 0.0, np.float32(0), nan ...)
        return {"$": "dtype", "sparse": {"subtype": dtype_to_json(d.subtype), "fill": to_json(d.fill_value)}}
    if str(d) in PANDAS_DTYPES:
        return {"$": "dtype", "pandas": str(d)}
    raise StateError(f"a column of dtype {d} cannot be saved (supported: NumPy numbers, booleans, objects and text; "
                     f"pandas category, string/str, Sparse, {', '.join(sorted(PANDAS_DTYPES))})")


def _dtype_from_json(v: dict):
    if "numpy" in v:
        return _numpy_dtype(v["numpy"])
    if "category" in v:
        c = v["category"]
        cats = pd.Index(_array_from_json(c["categories"]), dtype=_dtype_from_json(c["categories_dtype"]))
        return pd.CategoricalDtype(cats, ordered=bool(c["ordered"]))
    if "string" in v:
        s = v["string"]
        return pd.StringDtype(storage=str(s["storage"]), na_value=pd.NA if s["na"] == "NA" else np.nan)
    if "sparse" in v:
        subtype, fill = _dtype_from_json(v["sparse"]["subtype"]), from_json(v["sparse"]["fill"])
        numeric = isinstance(subtype, np.dtype) and subtype.kind in "biufc"
        if not numeric or not isinstance(fill, (bool, int, float, np.bool_, np.number)):
            raise StateError(f"unsupported sparse dtype {str(v['sparse'])[:60]}")
        return pd.SparseDtype(subtype, fill)
    name = v["pandas"]
    if name not in PANDAS_DTYPES:
        raise StateError(f"unsupported pandas dtype {name!r}")
    return pd.api.types.pandas_dtype(name)


def _frame_to_json(df: pd.DataFrame) -> dict:
    if not isinstance(df.index, pd.RangeIndex) or df.index.start != 0 or df.index.step != 1:
        df = df.reset_index(drop=True)
    cols = []
    for j in range(df.shape[1]):
        s = df.iloc[:, j]
        values = s.to_numpy() if isinstance(s.dtype, np.dtype) else np.asarray(s.astype(object).to_numpy())
        cols.append({"name": to_json(df.columns[j]), "dtype": dtype_to_json(s.dtype), "values": _array_to_json(values)})
    return {"$": "DataFrame", "n_rows": len(df), "columns": cols, "columns_dtype": dtype_to_json(df.columns.dtype)}


def _frame_from_json(v: dict) -> pd.DataFrame:
    n = int(v["n_rows"])
    series = [pd.Series(_array_from_json(c["values"]), dtype=_dtype_from_json(c["dtype"])) for c in v["columns"]]
    df = pd.concat(series, axis=1) if series else pd.DataFrame(index=range(n))
    if series:
        df.columns = pd.Index([from_json(c["name"]) for c in v["columns"]], dtype=_dtype_from_json(v["columns_dtype"]))
    return df


def _index_to_json(idx: pd.Index) -> dict:
    """A pandas Index as JSON: a ``RangeIndex`` as its range, a ``MultiIndex`` as its levels and codes, any other
    as its values and dtype; with its name(s)."""
    if isinstance(idx, pd.MultiIndex):
        return {"$": "Index", "levels": [_index_to_json(level) for level in idx.levels],
                "codes": [_array_to_json(np.asarray(c)) for c in idx.codes], "names": [to_json(n) for n in idx.names]}
    if isinstance(idx, pd.RangeIndex):
        return {"$": "Index", "range": [idx.start, idx.stop, idx.step], "name": to_json(idx.name)}
    values = idx.to_numpy() if isinstance(idx.dtype, np.dtype) else np.asarray(idx.astype(object))
    return {"$": "Index", "dtype": dtype_to_json(idx.dtype), "values": _array_to_json(values),
            "name": to_json(idx.name)}


def _index_from_json(v: dict) -> pd.Index:
    if v.get("$") != "Index":
        raise StateError(f"expected an Index entry; got {str(v)[:60]}")
    if "levels" in v:
        return pd.MultiIndex(levels=[_index_from_json(level) for level in v["levels"]],
                             codes=[_array_from_json(c) for c in v["codes"]],
                             names=[from_json(n) for n in v["names"]], verify_integrity=True)
    if "range" in v:
        start, stop, step = (_plain_int(x) for x in v["range"])
        return pd.RangeIndex(start, stop, step, name=from_json(v["name"]))
    return pd.Index(_array_from_json(v["values"]), dtype=_dtype_from_json(v["dtype"]), name=from_json(v["name"]),
                    tupleize_cols=False)


def _plain_int(x) -> int:
    if type(x) is not int:
        raise StateError(f"expected an integer; got {x!r:.40}")
    return x


# --------------------------------------------------------------------------
# the package's objects
# --------------------------------------------------------------------------
def _object_from_json(v: dict):
    cls = OBJECTS[v["$"]]
    if dataclasses.is_dataclass(cls):
        names = {f.name for f in dataclasses.fields(cls)}
        fields = v["fields"]
        if set(fields) != names:
            raise StateError(f"a {cls.__name__} entry has fields {sorted(fields)}; expected {sorted(names)}")
        return cls(**{k: from_json(x) for k, x in fields.items()})
    obj = cls.__new__(cls)
    attrs = {str(k): from_json(x) for k, x in v["attrs"].items()}
    unknown = sorted(set(attrs) - set(cls.STATE))
    if unknown:
        raise StateError(f"a {cls.__name__} entry names attributes it does not store: {unknown[:5]}")
    obj.__dict__.update(attrs)
    if hasattr(cls, "check_state"):
        obj.check_state()
    return obj


def _method_from_json(v: dict) -> GANMethod:
    name = v["name"]
    if not isinstance(name, str):
        raise StateError(f"a method name must be text; got {name!r}")
    return get_method(name, from_json(v["params"]))


def _filter_to_json(f: RowFilter) -> dict:
    state = f.to_state()
    out = {"$": "RowFilter", "params": to_json(state["params"])}
    if "fitted" in state:
        out["fitted"] = {k: to_json(x) for k, x in state["fitted"].items()}
        if "n_pos" in state:
            out["fitted"]["_n_pos"] = state["n_pos"]
        for k in ("X_pos", "X_all"):
            if k in state:
                out[k] = _array_to_json(state[k])
    return out


def _filter_from_json(v: dict) -> RowFilter:
    state = {"params": from_json(v["params"])}
    if "fitted" in v:
        fitted = {k: from_json(x) for k, x in v["fitted"].items()}
        if "_n_pos" in fitted:
            state["n_pos"] = fitted.pop("_n_pos")
        state["fitted"] = fitted
        state.update({k: _array_from_json(v[k]) for k in ("X_pos", "X_all") if k in v})
    try:
        return RowFilter.from_state(state)
    except (TypeError, ValueError) as exc:
        raise StateError(f"a RowFilter entry cannot be rebuilt ({exc})") from None


def _random_state_from_json(v: dict) -> np.random.RandomState:
    rs = np.random.RandomState()
    rs.set_state(from_json(v["state"]))
    return rs


def _scalar_from_json(v: dict):
    dtype = _numpy_dtype(v["dtype"])
    if dtype.kind == "O":
        raise StateError("an object scalar cannot be read")
    return dtype.type(from_json(v["value"]))


def _float_from_json(v: dict) -> float:
    if v["value"] not in ("nan", "inf", "-inf"):
        raise StateError(f"unknown float {v['value']!r}")
    return float(v["value"])


_READERS = {
    "float": _float_from_json, "NA": lambda v: pd.NA, "scalar": _scalar_from_json, "ndarray": _array_from_json,
    "tuple": lambda v: tuple(from_json(x) for x in v["items"]),
    "dict": lambda v: {from_json(k): from_json(x) for k, x in v["items"]},
    "odict": lambda v: OrderedDict((from_json(k), from_json(x)) for k, x in v["items"]),
    "dtype": _dtype_from_json, "RandomState": _random_state_from_json, "method": _method_from_json,
    "RowFilter": _filter_from_json, "DataFrame": _frame_from_json, "Index": _index_from_json,
}
