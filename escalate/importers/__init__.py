"""Worlds from the data researchers hold: COW and ATOP files on any day.

:func:`import_world` builds a valid world of the states in the system on a day
(COW State System Membership), their power (COW NMC CINC of the latest year not
after the day), the major powers, and every alliance obligation in force that day
(ATOP and/or COW member-level files, mapped by the one table in
:mod:`escalate.importers.codes`), plus an optional overlay of what the data lack.
The command line is ``escalate import``.
"""

from __future__ import annotations

from .build import REGIONS, Imported, import_world
from .codes import FLAGS
from .csvfile import DataError

__all__ = ["FLAGS", "REGIONS", "DataError", "Imported", "import_world"]
