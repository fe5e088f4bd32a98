"""``python -m escalate`` = the ``escalate`` command."""

import sys

from .cli import main

sys.exit(main())
