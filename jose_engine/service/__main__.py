"""``python -m jose_engine.service serve ...``: the same as ``jose-engine serve``."""

import sys

from .cli import main

sys.exit(main())
