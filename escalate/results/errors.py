"""The errors of results directories, shared by the store, its lock and repair."""

from __future__ import annotations

__all__ = ["ResultsError"]


class ResultsError(ValueError):
    """A results directory that is missing, incomplete, foreign, corrupt or in use.

    ``repairable`` is true when :func:`escalate.repair` can fix the directory
    (rebuild its manifest, move bad parts aside) so that the run can be resumed.
    """

    def __init__(self, message: str, *, repairable: bool = False):
        super().__init__(message)
        self.repairable = repairable
