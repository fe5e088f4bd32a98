"""The ``escalate`` argument parser: every sub-command, flag, help text and example.

Each group of commands declares its arguments in its own module (``args_run``,
``args_data``, ``args_view``); this one puts them together.
"""

from __future__ import annotations

import argparse

from .._version import __version__
from .args_data import add_backtest, add_calibrate, add_import
from .args_run import add_repair, add_run, add_sweep, add_trace
from .args_view import (
    add_check,
    add_compare,
    add_draw,
    add_generate,
    add_plot,
    add_report,
    add_worlds,
)
from .base import EXIT_INPUT, EXIT_IO, Formatter, Parser

__all__ = ["EXIT_INPUT", "EXIT_IO", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The ``escalate`` argument parser (all sub-commands)."""
    parser = Parser(
        prog="escalate",
        description=(
            "Crisis-escalation Monte Carlo: run local incidents through alliance "
            "obligations, organizations and war plans, and compare alliance structures."
        ),
        epilog="Run 'escalate COMMAND --help' for the options and examples of each command.",
    )
    parser.add_argument("--version", action="version", version=f"escalate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    fmt = Formatter
    for add in (
        add_run,
        add_trace,
        add_draw,
        add_check,
        add_import,
        add_worlds,
        add_repair,
        add_compare,
        add_sweep,
        add_generate,
        add_plot,
        add_report,
        add_backtest,
        add_calibrate,
    ):
        add(sub, fmt)
    return parser
