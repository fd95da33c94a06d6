"""The ``GANOversampler`` options of the command line, generated from the estimator's parameters.

Adding a parameter to :class:`~minority_gen.GANOversampler` (its
``_parameter_constraints``, ``__init__`` and docstring) needs no edit here:

* The options written by hand before the generation existed keep their
  names, values and defaults (:data:`HAND`: ``--n-iter``, ``--anchor none``,
  ``--amp on|off``, ``--quiet`` ...). A command may declare more
  (``images --width``, ``--diffaugment``) through ``add_gan_arguments(own=)``.
* Every other parameter becomes ``--<name-with-dashes>``, typed from its
  constraints by :func:`~minority_gen.commands._constraints.option_for`
  (``StrOptions`` alone gives the choices, ``"boolean"`` a ``--x/--no-x``
  pair, ``Interval(Integral)`` an int, ``Interval(Real)`` a float, ``None``
  the word ``none`` ...). Its help is the first sentence of the parameter's
  entry in the estimator's docstring, and it is left out of the keyword
  arguments unless given, so the estimator's default applies. A parameter
  whose option name a command already uses for something else, or that no
  command-line text can express, is reached through ``--param`` alone.
* ``--param NAME=JSON`` (repeatable) sets any parameter by name:
  ``--param lr_g=2e-4``, ``--param 'hidden_dims=[64, 64]'``, ``--param
  'continuous="modes"'``. An unknown name is refused with the closest names,
  invalid JSON with the parameter's name, and a parameter also given by its
  option is refused rather than silently overridden.
* ``verbose`` is the command line's own (:data:`CLI_OWNED`): ``--quiet``.

Values are checked by the estimator's own validation (:func:`check_gan_params`)
before any data is read, and the error names the option the value came from.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_gan_arguments(parser)
>>> args = parser.parse_args(["--lr-g", "2e-4", "--spectral-norm", "--param", "hidden_dims=[32, 32]"])
>>> kwargs = gan_kwargs(args)
>>> kwargs["lr_g"], kwargs["spectral_norm"], kwargs["hidden_dims"]
(0.0002, True, [32, 32])
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..methods import available_methods, get_method
from ._common import CommandError
from ._constraints import cli_value, option_for, parameter_docs

#: Parameters with options written by hand (kept exactly as they were): parameter → option.
HAND = {
    "method": "--method", "method_params": "--method-params", "n_iter": "--n-iter", "batch_size": "--batch-size",
    "recipe": "--recipe", "pac": "--pac", "selection": "--selection", "anchor": "--anchor", "filter": "--filter",
    "sampling_strategy": "--sampling-strategy", "device": "--device", "amp": "--amp",
    "random_state": "--random-state", "verbose": "--quiet",
}

#: Parameters the command line sets itself; ``--param`` refuses them and names the option to use.
CLI_OWNED = {"verbose": "--quiet"}

_OPTIONS = "_gan_options"  # the namespace's list of Option, one per GAN option of the command
_GIVEN = "_gan_given"  # the namespace's set of dests given on the command line


@dataclass(frozen=True)
class Option:
    """One command-line option that sets one estimator parameter.

    ``convert`` turns the option's value into the parameter's; with
    ``always`` the parameter is passed even when the option is not given (its
    default then is the command line's default), otherwise only when given.
    """

    param: str
    flag: str
    dest: str
    convert: Callable[[Any], Any] = lambda value: value
    always: bool = False


@dataclass(frozen=True)
class OwnOption:
    """An option a command adds for a parameter, e.g. ``images --width`` for ``hidden_dims``.

    ``kwargs`` are :meth:`argparse.ArgumentParser.add_argument`'s (``type``,
    ``default``, ``help`` ...); ``convert`` maps the value to the parameter's.
    Not given, the option leaves the parameter at the estimator's default.
    """

    param: str
    flag: str
    kwargs: dict
    convert: Callable[[Any], Any] = lambda value: value


def _mark_given(namespace: argparse.Namespace, dest: str) -> None:
    setattr(namespace, _GIVEN, frozenset(getattr(namespace, _GIVEN, frozenset())) | {dest})


class _Store(argparse.Action):
    """``store``, remembering that the option was given."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        _mark_given(namespace, self.dest)


class _StoreTrue(argparse.Action):
    """``store_true``, remembering that the option was given."""

    def __init__(self, option_strings, dest, default=False, required=False, help=None):
        super().__init__(option_strings, dest, nargs=0, default=default, required=required, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, True)
        _mark_given(namespace, self.dest)


class _Flag(argparse.BooleanOptionalAction):
    """``--x`` / ``--no-x``, remembering that one was given."""

    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        _mark_given(namespace, self.dest)


# ---------------------------------------------------------------------------
# The options
# ---------------------------------------------------------------------------
def _defaults(estimator: type) -> dict:
    try:
        return estimator().get_params(deep=False)
    except Exception:  # noqa: BLE001 - an estimator that cannot be built bare: no defaults in the help
        return {}


def _help(name: str, docs: dict[str, str], defaults: dict, estimator: type, note: str | None = None) -> str:
    text = docs.get(name) or f"the {estimator.__name__} parameter {name}"
    if note:
        text = f"{text}; {note}"
    default = f" (default: {cli_value(defaults[name])})" if name in defaults else ""
    return f"{text}{default}".replace("%", "%%")


def _add_hand_arguments(parser: argparse.ArgumentParser) -> list[Option]:
    """The options written by hand, exactly as before the generation (names, choices, defaults, help)."""
    add = parser.add_argument
    add("--method", default="rumi", action=_Store,
        help=f"GAN method: {', '.join(available_methods())} (default rumi)")
    add("--method-params", default=None, metavar="JSON", action=_Store,
        help='method options as JSON, e.g. \'{"b_pos": 2, "b_neg": -2}\'')
    add("--n-iter", type=int, default=None, action=_Store,
        help="generator updates (default: 500 for anchored tables, 1000 for other tables and for images)")
    add("--batch-size", type=int, default=None, action=_Store, help="batch size (default: the method's)")
    add("--recipe", choices=["tuned", "paper"], default="tuned", action=_Store,
        help="optimiser settings: tuned (default; Adam 1e-3, one D step on tables) or the paper's")
    add("--pac", default="auto", action=_Store,
        help="rows per discriminator pack (PacGAN); 'auto' (default: 4 on tables), 1 = off")
    add("--selection", choices=["last", "quality"], default="last", action=_Store,
        help="keep the last generator (default) or the best-scoring one (quality)")
    add("--anchor", choices=["auto", "smote", "none"], default="auto", action=_Store,
        help="where generated rows start: smote (interpolations of real rows, for images blends "
             "of two images of the class, refined by the generator) or none (noise alone); auto: "
             "smote for tables, none for images")
    add("--filter", default="auto", metavar="CRITERIA", action=_Store,
        help="drop generated rows: 'copies', 'knn', 'border' (across the real rows' logistic-regression "
             "border), 'reach' (farther across it than the class's real rows), a comma-separated subset such as "
             "'copies,knn', or 'none'; auto (default): reach for "
             "tables with anchors, none otherwise")
    add("--sampling-strategy", default="auto", action=_Store,
        help="which classes to grow: 'auto' (default; every class but the majority, to its size), 'minority', "
             "'not minority', 'not majority', 'all'; a float, the minority/majority ratio after resampling "
             "(two classes only; between the data's ratio and 1); or a JSON object of class -> rows after "
             "resampling, e.g. '{\"rare\": 100}' (classes as written in the data)")
    add("--device", default="auto", action=_Store, help="auto, cpu, cuda or cuda:N (default auto)")
    add("--amp", choices=["auto", "on", "off"], default="auto", action=_Store,
        help="bfloat16 mixed precision in training; auto: for images on a GPU (default auto)")
    add("--random-state", type=int, default=0, action=_Store, help="seed (default 0)")
    add("--quiet", action=_StoreTrue, help="no progress bar")
    return [
        Option("method", "--method", "method", always=True),
        Option("method_params", "--method-params", "method_params", _method_params, always=True),
        Option("n_iter", "--n-iter", "n_iter", lambda v: "auto" if v is None else v, always=True),
        Option("batch_size", "--batch-size", "batch_size", always=True),
        Option("recipe", "--recipe", "recipe", always=True),
        Option("pac", "--pac", "pac", _pac, always=True),
        Option("selection", "--selection", "selection", always=True),
        Option("anchor", "--anchor", "anchor", lambda v: None if v == "none" else v, always=True),
        Option("filter", "--filter", "filter", lambda v: None if v in (None, "none") else v, always=True),
        Option("sampling_strategy", "--sampling-strategy", "sampling_strategy", _strategy, always=True),
        Option("device", "--device", "device", always=True),
        Option("amp", "--amp", "amp", lambda v: {"auto": "auto", "on": True, "off": False}[v], always=True),
        Option("random_state", "--random-state", "random_state", always=True),
        Option("verbose", "--quiet", "quiet", lambda quiet: not quiet, always=True),
    ]


def _method_params(text):
    if not text:
        return None
    try:
        params = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--method-params is not valid JSON ({exc}): {text!r}") from None
    if not isinstance(params, dict):
        raise ValueError(f"--method-params must be a JSON object; got {text!r}")
    return params


def _pac(text):
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"--pac must be 'auto' or a positive integer; got {text!r}") from None


def _strategy(text):
    if text.strip().startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--sampling-strategy is not valid JSON ({exc.msg}): {text!r}; give e.g. "
                             '\'{"rare": 100}\' (class -> rows after resampling).') from None
        return value
    try:
        return float(text)
    except ValueError:
        return text


def add_gan_arguments(parser: argparse.ArgumentParser, own: Sequence[OwnOption] = (), estimator: type | None = None,
                      notes: Mapping[str, str] | None = None) -> None:
    """``GANOversampler`` options: the hand-written ones, ``own``, one per other parameter, ``--param``.

    ``estimator`` (default :class:`~minority_gen.GANOversampler`) is the
    class whose ``_parameter_constraints`` the options are generated from.
    ``notes``: parameter → text the command adds to its generated option's
    help (when the option applies on this command, e.g. ``resample``'s
    image options: only with ``--image-shape``).
    """
    notes = dict(notes or {})
    if estimator is None:
        from ..oversampler import GANOversampler as estimator
    options = _add_hand_arguments(parser)
    for spec in own:
        action = parser.add_argument(spec.flag, action=_Store, **spec.kwargs)
        options.append(Option(spec.param, spec.flag, action.dest, spec.convert))
    covered = {o.param for o in options} | set(CLI_OWNED)
    docs, defaults = parameter_docs(estimator), _defaults(estimator)
    group = parser.add_argument_group(
        f"more {estimator.__name__} parameters",
        "Generated from the estimator's parameters (see help(minority_gen.GANOversampler)); left out, a "
        "parameter keeps the estimator's default. --param NAME=JSON sets any parameter by name.")
    for name, constraints in estimator._parameter_constraints.items():
        spec = None if name in covered else option_for(constraints)
        if spec is None:
            continue  # its own option, or no command-line text for it: --param reaches it
        flag, help_text = "--" + name.replace("_", "-"), _help(name, docs, defaults, estimator, notes.get(name))
        action = _Flag if spec.pop("boolean", False) else _Store
        try:
            added = group.add_argument(flag, action=action, default=None, help=help_text, **spec)
        except argparse.ArgumentError:
            continue  # the command uses that option for something else: --param reaches the parameter
        options.append(Option(name, flag, added.dest))
    group.add_argument("--param", action="append", default=[], metavar="NAME=JSON",
                       help="set any estimator parameter by name with a JSON value (repeatable), e.g. --param "
                            "lr_g=2e-4 --param 'hidden_dims=[64, 64]' --param 'continuous=\"modes\"'; not with "
                            "the parameter's own option")
    parser.set_defaults(**{_OPTIONS: options, "_gan_estimator": estimator})


def parse_params(entries: Sequence[str], estimator: type, owned: Mapping[str, str] = CLI_OWNED) -> dict:
    """``--param NAME=JSON`` entries → parameter values, each name and value checked.

    ``owned`` maps the parameters the command sets itself to the option that
    does (``--param`` refuses them, naming that option).
    """
    names = list(estimator._parameter_constraints)
    out = {}
    for entry in entries:
        name, sep, raw = entry.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise CommandError(f"--param {entry!r}: expected NAME=JSON, e.g. --param lr_g=2e-4.")
        if name in owned:
            raise CommandError(f"--param {name}: the command line sets {name} itself; use {owned[name]}.")
        if name not in names:
            close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise CommandError(f"--param {name}: {estimator.__name__} has no parameter {name!r}.{hint} "
                               f"Parameters: {', '.join(n for n in names if n not in owned)}.")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            try:
                example = f" (its default: --param '{name}={json.dumps(_defaults(estimator)[name])}')"
            except (KeyError, TypeError, ValueError):
                example = ""
            raise CommandError(f"--param {name}: {raw!r} is not valid JSON ({exc.msg}); give a JSON value: text "
                               f"in double quotes, null for None, [a, b] for a list{example}.") from None
        if name in out:
            raise CommandError(f"--param {name} is given twice; give it once.")
        out[name] = value
    return out


def gan_kwargs(args: argparse.Namespace) -> dict:
    """``GANOversampler`` keyword arguments from :func:`add_gan_arguments` options."""
    options: list[Option] = getattr(args, _OPTIONS)
    given = getattr(args, _GIVEN, frozenset())
    kwargs = {}
    for option in options:
        value = getattr(args, option.dest)
        if option.always or option.dest in given:  # else the estimator's default applies
            kwargs[option.param] = option.convert(value)
    params = parse_params(getattr(args, "param", None) or [], args._gan_estimator)
    for name, value in params.items():
        clash = next((o.flag for o in options if o.param == name and o.dest in given), None)
        if clash is not None:
            raise CommandError(f"--param {name} and {clash} both set {name}; give it once.")
        kwargs[name] = value
    return kwargs


_PARAM = re.compile(r"The '(\w+)' parameter of \w+")


def check_gan_params(sampler, args: argparse.Namespace | None = None) -> None:
    """Validate every ``GANOversampler`` parameter now, before any data is read or network trained.

    The messages name the command-line option (``--n-iter``; ``--param
    lr_g`` for a value set that way) rather than the parameter (``n_iter``).
    With ``args`` the option is looked up among the command's; without, the
    parameter's name with dashes is used.
    """
    from ..devices import resolve_device
    from ..filtering import RowFilter

    if isinstance(sampler.filter, str) and sampler.filter != "auto":
        _check_filter(sampler.filter, option_of("filter", args))
    try:
        sampler._validate_params()
        get_method(sampler.method, sampler.method_params)
        resolve_device(sampler.device)
        if isinstance(sampler.filter, str) and sampler.filter != "auto":
            RowFilter(criteria=sampler.filter)._check_params()
    except (ValueError, TypeError) as exc:
        message = str(exc)
        match = _PARAM.match(message)
        if match:
            message = f"{option_of(match.group(1), args)}: {message}"
        raise CommandError(message) from None


def _check_filter(text: str, option: str) -> None:
    """Unknown filter criteria, named with the command line's spelling of "no filter"."""
    from ..filtering import CRITERIA

    names = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in names if c not in CRITERIA]
    if unknown or not names:
        nothing = "--param 'filter=null'" if option.startswith("--param") else f"{option} none"
        detail = f"unknown: {', '.join(map(repr, unknown))}; " if unknown else ""
        raise CommandError(f"{option} {text!r}: {detail}give one or more of {', '.join(CRITERIA)} separated by commas "
                           f"(e.g. copies,knn), auto, or {nothing} to filter nothing.")


def option_of(param: str, args: argparse.Namespace | None) -> str:
    """The option that set ``param`` on this command line (``--n-iter``, ``--param lr_g``), for messages."""
    if args is not None:
        if any(entry.partition("=")[0].strip().replace("-", "_") == param for entry in getattr(args, "param", [])):
            return f"--param {param}"
        for option in getattr(args, _OPTIONS, ()):
            if option.param == param:
                return option.flag
    return "--" + param.replace("_", "-")
