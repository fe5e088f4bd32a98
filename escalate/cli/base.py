"""What every ``escalate`` parser shares: exit codes, help, one-line errors, number types."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NoReturn

__all__ = [
    "EXIT_INPUT",
    "EXIT_IO",
    "Formatter",
    "Parser",
    "add_out",
    "non_negative_int",
    "positive_int",
    "seed",
    "whole_number",
]

EXIT_INPUT = 2
EXIT_IO = 3


class Formatter(argparse.HelpFormatter):
    """Help that wraps prose to the terminal and keeps examples as written.

    A paragraph (lines between blank lines) with an indented line, e.g. an
    example command, is printed as written; the others are wrapped.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out = []
        for para in text.strip("\n").split("\n\n"):
            lines = para.splitlines()
            if any(line.startswith(" ") for line in lines) or para.rstrip().endswith(":"):
                out.append("\n".join(indent + line for line in lines))
            else:
                out.append(super()._fill_text(" ".join(lines), width, indent))
        return "\n\n".join(out)


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``escalate run: error: ...``), exit code 2 and hints.

    An unknown option is named, with the closest known one (``--reps``: did you
    mean ``--replicates``?), also when argparse would first complain of a
    missing required argument.
    """

    _seen: list[str] | None = None

    def parse_known_args(self, args=None, namespace=None):
        """As argparse's, remembering ``args`` to name unknown options in errors."""
        self._seen = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def parse_args(self, args=None, namespace=None):
        """As argparse's; an unknown option is reported by the sub-command it was given to."""
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            sub = self._subcommand(getattr(ns, "command", None))
            (sub or self).error(f"unrecognized arguments: {' '.join(extras)}")
        return ns

    def _subcommand(self, name: str | None) -> Parser | None:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and name in action.choices:
                return action.choices[name]
        return None

    def unknown_options(self) -> list[str]:
        """The options given to this parser that it does not know, in order."""
        known = set(self._option_string_actions)
        longs = [o for o in known if o.startswith("--")]
        unknown = []
        for token in (self._seen or [])[self._first_own_token() :]:
            if token == "--":
                break
            if not token.startswith("-") or token == "-" or _NUMBER.fullmatch(token):
                continue
            name = token.split("=", 1)[0]
            if name.startswith("--"):
                ok = name in known or sum(o.startswith(name) for o in longs) == 1
            else:
                ok = name[:2] in known
            if not ok:
                unknown.append(name)
        return unknown

    def _first_own_token(self) -> int:
        """Where this parser's own arguments begin (after the sub-command's name)."""
        command = self.prog.split()[-1]
        seen = self._seen or []
        if self.prog.count(" ") and command in seen:
            return seen.index(command) + 1
        return 0

    def error(self, message: str) -> NoReturn:
        """Exit with code 2 and ``message`` on one line, naming unknown options first."""
        unknown = self.unknown_options()
        if unknown:
            longs = sorted(o for o in self._option_string_actions if o.startswith("--"))
            said = []
            for name in unknown:
                close = closest(name, longs)
                said.append(name + (f" (did you mean {close}?)" if close else ""))
            what = f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(said)}"
            if not message.startswith("unrecognized arguments"):
                what += f"; {message}"
            message = what
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def closest(name: str, options: list[str]) -> str | None:
    """The option ``name`` was most likely meant to be, or None if none is close.

    Close means a difflib ratio of 0.6 or more; among those, the longest common
    beginning wins (``--reps``: ``--replicates`` rather than ``--resume``).
    """
    close = difflib.get_close_matches(name, options, n=len(options) or 1, cutoff=0.6)
    if not close:
        return None

    def shared(option: str) -> int:
        n = 0
        while n < min(len(name), len(option)) and name[n] == option[n]:
            n += 1
        return n

    return max(close, key=lambda o: (shared(o), difflib.SequenceMatcher(None, name, o).ratio()))


_NUMBER = re.compile(r"-\d[\d_.,eE+-]*")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+")


def whole_number(text: str, base: int = 10) -> int:
    """``text`` as an exact whole number: 1000000, 1_000_000, 1,000,000 or 1e6.

    Scientific notation is accepted only where it gives a whole number (2.5e3,
    not 2.5); commas only as thousands separators. With ``base=0``, 0x... too.
    """
    t = text.strip().replace("_", "")
    if "," in t:
        if not _GROUPED.fullmatch(t):
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
        t = t.replace(",", "")
    try:
        return int(t, base)
    except ValueError:
        pass
    try:
        d = Decimal(t)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not d.is_finite() or d != d.to_integral_value():
        raise argparse.ArgumentTypeError(
            f"not a whole number: {text!r} (1000000, 1_000_000, 1,000,000 and 1e6 are)"
        )
    return int(d)


def positive_int(text: str) -> int:
    """A count of 1 or more (1000000, 1_000_000, 1,000,000, 1e6)."""
    value = whole_number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """A count of 0 or more."""
    value = whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def seed(text: str) -> int:
    """A seed: 0 to 2**64 - 1 (decimal, 0x hexadecimal, or 1e6 notation)."""
    value = whole_number(text, 0)
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**64 - 1, got {value}")
    return value


def add_out(p: argparse.ArgumentParser, metavar: str, what: str, required: bool = False) -> None:
    """The one name of every command's output: ``--out``/``-o`` (``--output`` is an alias)."""
    p.add_argument(
        "--out", "-o", "--output", dest="out", type=Path, required=required, metavar=metavar,
        help=f"{what} (--output is the same)",
    )  # fmt: skip
