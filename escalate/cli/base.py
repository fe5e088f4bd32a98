"""What every ``escalate`` parser shares: exit codes, help, one-line errors, number types."""

from __future__ import annotations

import argparse
from typing import NoReturn

__all__ = [
    "EXIT_INPUT",
    "EXIT_IO",
    "Formatter",
    "Parser",
    "non_negative_int",
    "positive_int",
    "seed",
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
    """argparse with one-line errors (``escalate run: error: ...``) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Exit with code 2 and ``message`` on one line."""
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    """A count of 1 or more."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """A count of 0 or more."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def seed(text: str) -> int:
    """A seed: 0 to 2**64 - 1."""
    try:
        value = int(text.replace("_", ""), 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**64 - 1, got {value}")
    return value
