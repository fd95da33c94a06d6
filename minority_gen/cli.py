"""The ``minority-gen`` command line.

Each sub-command lives in its own module under ``minority_gen/commands/``
and defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args)``
(returning an exit code); this module discovers them, so a new command needs
no edit here.

Every failure ends in one line on stderr, ``minority-gen COMMAND: error:
...``, and an exit code:

* 2: a usage error, caught before any training (an option, a path, the data);
  argparse's own errors (an unknown option, a value of the wrong type) too,
  as one line ending with where to look (``minority-gen COMMAND --help``)
  instead of the usage block (:class:`_Parser`);
* 1: a failure while running: the GAN diverged (``DivergenceError``), a
  write failed (disk full ...), or an unexpected error;
* 130: interrupted with Ctrl-C; 143: terminated with SIGTERM (``kill``, a job
  scheduler), which unwinds as Ctrl-C does (:class:`Terminated`), so that
  the temporary outputs and created parent folders are removed too.

Outputs are written atomically (``commands/_output.py``), so a failure leaves
no partial output and an existing one untouched. ``--debug`` (or the
environment variable ``MINORITY_GEN_DEBUG=1``) re-raises the exception with
its traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys
import threading
import warnings
from collections.abc import Sequence

from ._version import __version__

__all__ = ["build_parser", "main"]  # and CommandError, imported on first use (module __getattr__)

#: Exit codes: a usage error found before training; a failure while running; Ctrl-C (128 + SIGINT); SIGTERM.
EXIT_USAGE, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 1, 130, 143

_DEBUG_HELP = "show the full traceback of an error (also: environment variable MINORITY_GEN_DEBUG=1)"
_EPILOG = ("Exit codes: 0 done; 2 usage error (options, paths, data; found before any training); 1 failure "
           "while running (a diverged GAN, a failed write); 130 interrupted (Ctrl-C); 143 terminated (SIGTERM). A "
           "failure leaves no partial output and an existing output unchanged.")


def __getattr__(name: str):
    if name == "CommandError":  # imported on first use: this module starts without pandas or torch
        from .commands._common import CommandError

        return CommandError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _command_modules():
    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{commands.__name__}.{info.name}")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that a command unwinds (and cleans up its outputs) as on Ctrl-C."""


def _on_sigterm(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
    raise Terminated()


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line, as every other failure of the command line.

    ``minority-gen resample: error: unrecognized arguments: --bogus (see
    minority-gen resample --help)``, exit code 2, instead of argparse's usage
    block (27 lines for ``resample``) above the error.
    """

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="minority-gen",
        description="GAN oversampling for imbalanced tables and images.",
        epilog=_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"minority-gen {__version__}")
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        p = sub.add_parser(module.NAME, help=module.HELP, epilog=_EPILOG,
                           description=" ".join([module.HELP, getattr(module, "DESCRIPTION", "")]).strip())
        module.add_arguments(p)
        # SUPPRESS: a sub-command's default must not undo `minority-gen --debug COMMAND`
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)
        p.set_defaults(_run=module.run, _parser=p)
    return parser


def _one_line(exc: BaseException | Warning) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``minority-gen`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    try:
        parser = build_parser()  # imports every sub-command (and the libraries they use): Ctrl-C may come here
    except KeyboardInterrupt:
        print("minority-gen: interrupted (Ctrl-C) while starting; nothing was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # named by the sub-command they were given to, not by the top-level parser with its usage
        getattr(args, "_parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return EXIT_USAGE
    debug = args.debug or os.environ.get("MINORITY_GEN_DEBUG", "") not in ("", "0")
    main_thread = threading.current_thread() is threading.main_thread()  # signal handlers live there only
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
    try:
        with warnings.catch_warnings():  # a warning as the command's own lines are (with --debug, Python's form)
            if not debug:
                warnings.showwarning = _show_warning
            return int(args._run(args) or 0)
    except (Exception, KeyboardInterrupt) as exc:  # SystemExit and the like pass through
        if debug:
            raise
        message, code = _describe(exc)
        _close_progress_bars()
        print(f"minority-gen {args.command}: error: {message}", file=sys.stderr)
        return code
    finally:
        if main_thread and previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning on one line, as the commands print theirs: ``warning: <message>``."""
    print(f"warning: {_one_line(message)}", file=sys.stderr)


def _close_progress_bars() -> None:
    """End a progress bar an error cut short, so that the error line starts a line of its own."""
    from tqdm import tqdm

    for bar in list(getattr(tqdm, "_instances", ())):
        bar.close()


def _describe(exc: BaseException) -> tuple[str, int]:
    """The error line and exit code for an exception raised by a sub-command."""
    if isinstance(exc, Terminated):
        return "terminated (SIGTERM); no output was written or changed.", EXIT_TERMINATED
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C); no output was written or changed.", EXIT_INTERRUPTED
    from .commands._common import CommandError
    from .divergence import DivergenceError

    if isinstance(exc, DivergenceError):
        return (f"training failed: {_one_line(exc)} On the command line: try another --method, "
                "--recipe paper, or another --random-state.", EXIT_FAILURE)
    if isinstance(exc, (CommandError, ValueError, TypeError, FileNotFoundError)):
        return _one_line(exc), EXIT_USAGE
    if isinstance(exc, OSError):
        return f"{_one_line(exc)}; no output was written or changed.", EXIT_FAILURE
    return (f"unexpected {type(exc).__name__}: {_one_line(exc)} (run with --debug for the traceback)",
            EXIT_FAILURE)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
