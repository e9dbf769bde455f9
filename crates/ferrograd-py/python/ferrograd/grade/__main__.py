"""``python -m ferrograd.grade SUBMITTED.py``: see ``cli.py``."""

import sys

from .cli import main

sys.exit(main())
