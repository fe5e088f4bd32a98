"""The ``escalate`` command line: a thin layer over the Python API.

Exit codes: 0 success; 2 bad input (invalid world file, bad arguments, an output
directory that holds another job or cannot be created or written, a results
directory that is incomplete or foreign); 3 an I/O error while writing results
(e.g. a full disk; finished parts are kept); 130 interrupted by Ctrl-C (SIGINT);
143 terminated (SIGTERM). Interrupted runs keep every finished part: continue
with the same command plus ``--resume``. Errors are reported as one line on
stderr, without a traceback.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

from ..results.errors import ResultsError
from .commands import COMMANDS, fail, fail_world
from .hints import hint
from .parser import EXIT_INPUT, EXIT_IO, build_parser

__all__ = ["EXIT_INPUT", "EXIT_IO", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``escalate`` command."""
    from ..model.entities import WorldError

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # to print the command line to resume with
    if args.command is None:
        parser.print_help()
        return EXIT_INPUT
    try:
        return COMMANDS[args.command](args)
    except ResultsError as e:
        return fail(EXIT_INPUT, f"{e.message}{hint(e, args)}")
    except WorldError as e:
        return fail_world(e)
    except ValueError as e:
        return fail(EXIT_INPUT, str(e))
    except MemoryError as e:
        what = str(e) or "MemoryError"
        if args.command not in ("run", "sweep"):  # nothing was written: nothing to resume
            return fail(EXIT_IO, f"out of memory in `escalate {args.command}` ({what})")
        return fail(
            EXIT_IO,
            f"out of memory ({what}); finished parts are kept: free memory "
            "(fewer threads, a smaller --chunk-size for a new run), then rerun with --resume",
        )
    except ImportError as e:
        return fail(EXIT_INPUT, str(e))
    except KeyboardInterrupt as e:  # escalate's Interrupted carries SIGINT or SIGTERM
        for sig in (signal.SIGINT, signal.SIGTERM):  # stopping already: a second one too
            signal.signal(sig, signal.SIG_IGN)
        return 128 + getattr(e, "signum", signal.SIGINT)
    except BrokenPipeError:
        return 0
    except OSError as e:
        where = e.filename or next(
            (v for k in ("output", "out", "dir") if (v := getattr(args, k, None)) is not None), None
        )
        return fail(EXIT_IO, f"{where}: {e.strerror or e}" if where else str(e.strerror or e))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
