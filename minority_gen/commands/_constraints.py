"""Command-line options from scikit-learn parameter constraints and a numpydoc docstring.

:func:`option_for` reads one parameter's ``_parameter_constraints`` entry
and says how the command line takes it: a ``--x/--no-x`` flag for
``"boolean"`` alone, ``choices`` for ``StrOptions`` alone, and otherwise a
``type`` that reads a value as the constraints allow: ``Interval(Integral)``
an int, ``Interval(Real)`` a float, ``None`` the word ``none``, a string
option its word, ``"boolean"`` true/false, ``tuple``/``list``/``"array-like"``
comma-separated items or a JSON list, ``dict`` a JSON object, ``str`` the
text. :func:`parameter_docs` gives each parameter's help text: the first
sentence of its entry in the estimator's ``Parameters`` section.

Examples
--------
>>> from numbers import Real
>>> from sklearn.utils._param_validation import Interval, StrOptions
>>> spec = option_for([Interval(Real, 0, 1, closed="neither"), StrOptions({"auto"}), None])
>>> spec["metavar"], spec["type"]("0.99"), spec["type"]("auto"), spec["type"]("none")
('FLOAT|auto|none', 0.99, 'auto', None)
>>> option_for([StrOptions({"standard", "modes"})])
{'choices': ('modes', 'standard')}
>>> option_for(["boolean"])
{'boolean': True}
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from sklearn.utils._param_validation import Hidden, Interval, Options, StrOptions


def option_for(constraints: Sequence) -> dict | None:
    """How the command line takes a parameter with these constraints; ``None`` when no text can express it.

    Returns ``{"boolean": True}`` (a ``--x/--no-x`` flag), ``{"choices":
    words}``, or ``{"type": parse, "metavar": forms}`` for
    ``argparse.ArgumentParser.add_argument``.
    """
    kinds = _kinds(constraints)
    if kinds.empty:
        return None
    others = kinds.none or kinds.ints or kinds.reals or kinds.text or kinds.sequence or kinds.mapping or kinds.numbers
    if kinds.boolean and not (others or kinds.words):
        return {"boolean": True}
    if kinds.words and not (others or kinds.boolean):
        return {"choices": kinds.words}
    metavar = _metavar(kinds)
    return {"type": _value_type(kinds, metavar), "metavar": metavar}


@dataclass
class _Kinds:
    """What command-line text can give a parameter, read from its constraints."""

    ints: bool = False
    reals: bool = False
    boolean: bool = False
    none: bool = False
    words: tuple = ()  # string options
    numbers: tuple = ()  # numeric options (sklearn Options of numbers)
    text: bool = False
    sequence: type | None = None  # tuple or list
    mapping: bool = False

    @property
    def empty(self) -> bool:
        return not (self.ints or self.reals or self.boolean or self.none or self.words or self.numbers
                    or self.text or self.sequence or self.mapping)


def _kinds(constraints: Sequence) -> _Kinds:
    kinds = _Kinds()
    for c in constraints:
        if isinstance(c, Hidden):
            continue
        if c is None:
            kinds.none = True
        elif isinstance(c, StrOptions):
            kinds.words += tuple(sorted(o for o in c.options if o not in (c.deprecated or ())))
        elif isinstance(c, Options):
            kinds.numbers += tuple(sorted(c.options))
        elif isinstance(c, Interval):
            if c.type is Integral:
                kinds.ints = True
            else:
                kinds.reals = True
        elif c in ("boolean", bool):
            kinds.boolean = True
        elif c is Integral or c is int or c == "random_state":
            kinds.ints = True
            kinds.none = kinds.none or c == "random_state"
        elif c is Real or c is float:
            kinds.reals = True
        elif c is str:
            kinds.text = True
        elif c in (tuple, list):
            kinds.sequence = tuple if c is tuple or kinds.sequence is tuple else list
        elif c == "array-like":
            kinds.sequence = kinds.sequence or list
        elif c is dict:
            kinds.mapping = True
        # anything else (classes, callables, "sparse matrix" ...) has no command-line text: --param reaches it
    return kinds


def _number(text: str, kinds: _Kinds):
    if kinds.ints or kinds.numbers:
        try:
            return int(text)
        except ValueError:
            pass
    if kinds.reals or kinds.numbers:
        try:
            return float(text)
        except ValueError:
            pass
    raise ValueError


def _item(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


_BOOLEAN_WORDS = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


def _value_type(kinds: _Kinds, metavar: str) -> Callable[[str], Any]:
    """``argparse`` type of a parameter whose constraints allow several kinds of value."""

    def parse(text: str):
        word = text.strip()
        if word in kinds.words:
            return word
        if kinds.none and word.lower() == "none":
            return None
        if kinds.boolean and word.lower() in _BOOLEAN_WORDS:
            return _BOOLEAN_WORDS[word.lower()]
        if kinds.ints or kinds.reals or kinds.numbers:
            try:
                return _number(word, kinds)
            except ValueError:
                pass
        if kinds.mapping and word.startswith("{"):
            try:
                value = json.loads(word)
            except json.JSONDecodeError:
                value = None
            if isinstance(value, dict):
                return value
        if kinds.sequence is not None:
            if word.startswith("["):
                try:
                    value = json.loads(word)
                except json.JSONDecodeError:
                    value = None
                if isinstance(value, list):
                    return kinds.sequence(value)
            elif word:
                return kinds.sequence(_item(part.strip()) for part in word.split(","))
        if kinds.text:
            return text
        raise argparse.ArgumentTypeError(f"must be {metavar}; got {text!r}")

    return parse


def _metavar(kinds: _Kinds) -> str:
    forms = []
    if kinds.ints:
        forms.append("INT")
    elif kinds.reals:
        forms.append("FLOAT")
    if kinds.boolean:
        forms.append("true|false")
    if kinds.sequence is not None:
        forms.append("A,B,...")
    if kinds.mapping:
        forms.append("JSON")
    if kinds.text:
        forms.append("TEXT")
    forms += [str(n) for n in kinds.numbers] + list(kinds.words)
    if kinds.none:
        forms.append("none")
    return "|".join(forms)


def parameter_docs(estimator: type) -> dict[str, str]:
    """Parameter name → the first sentence of its entry in the numpydoc ``Parameters`` section."""
    lines = inspect.cleandoc(estimator.__doc__ or "").splitlines()
    docs: dict[str, str] = {}
    try:
        start = next(i for i, (a, b) in enumerate(zip(lines, lines[1:])) if a.strip() == "Parameters"
                     and set(b.strip()) == {"-"}) + 2
    except StopIteration:
        return docs
    names: list[str] = []
    text: list[str] = []
    indent = None  # of the entries' "name : type" lines

    def flush():
        sentence = re.split(r"(?<!e\.g)(?<!i\.e)\.\s", " ".join(text).strip(), maxsplit=1)[0].rstrip(".")
        sentence = re.sub(r":\w+:`(~?)([\w.]+)`", _reference, sentence).replace("``", "")
        for n in names:
            docs.setdefault(n, sentence)

    for i in range(start, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        if i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}:
            if names:
                break  # the next section
            continue  # the header repeated (e.g. by a substituted parameter text)
        if set(line.strip()) == {"-"}:
            continue
        depth = len(line) - len(line.lstrip())
        header = re.match(r"^(\w+(?:\s*,\s*\w+)*)\s*:", line.strip())
        if header and (indent is None or depth == indent):
            flush()
            indent, names, text = depth, [n.strip() for n in header.group(1).split(",")], []
        else:
            text.append(line.strip())
    flush()
    return docs


def _reference(match: re.Match) -> str:
    """A cross-reference as Sphinx shows it: ``:mod:`minority_gen.boundary``` in full, with ``~`` its last name."""
    tilde, target = match.groups()
    return target.rsplit(".", 1)[-1] if tilde else target


def cli_value(value) -> str:
    """A parameter value as a user would type it on the command line (``none``, ``true``, ``64,64``)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return str(value)
