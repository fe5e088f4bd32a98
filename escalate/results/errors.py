"""The errors of results directories, shared by the store, its lock and repair."""

from __future__ import annotations

from typing import Literal

__all__ = ["Hint", "ResultsError"]

#: What the user can do about a :class:`ResultsError`, in the API's words:
#: ``"resume"`` finish the run (``run(..., resume=True)``); ``"resume_or_overwrite"``
#: resume it or replace it (``overwrite=True``); ``"new_out_or_overwrite"`` write
#: elsewhere or replace it; ``"repair"`` repair the directory
#: (:func:`escalate.repair`), then resume. Front ends (the CLI) turn it into flags.
Hint = Literal["resume", "resume_or_overwrite", "new_out_or_overwrite", "repair"]

#: What to do, in the API's words, said by ``str()`` of the error.
_API_HINTS = {
    "resume": "finish it with run(..., resume=True)",
    "resume_or_overwrite": "pass resume=True to continue that run, or overwrite=True to replace it",
    "new_out_or_overwrite": "write to another directory, or pass overwrite=True to replace it",
}


class ResultsError(ValueError):
    """A results directory that is missing, incomplete, foreign, corrupt or in use.

    ``hint`` says what would fix it (see :data:`Hint`), or is None.
    """

    def __init__(self, message: str, *, hint: Hint | None = None, repairable: bool = False):
        super().__init__(message)
        self.hint: Hint | None = "repair" if repairable else hint

    @property
    def message(self) -> str:
        """What went wrong, without the API's words for what to do (front ends add theirs)."""
        return str(self.args[0])

    def __str__(self) -> str:
        """The message and what to do, in the API's words."""
        api = _API_HINTS.get(self.hint or "")
        return f"{self.message}; {api}" if api else self.message

    @property
    def repairable(self) -> bool:
        """True when :func:`escalate.repair` can fix the directory for a resume."""
        return self.hint == "repair"
