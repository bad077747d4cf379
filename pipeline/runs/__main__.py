"""``python -m pipeline.runs``: the store's command line, ``pipeline/commands/runs.py``.

Imported by name: the command line sits above the store (it imports training, export and the
shipped runs, which import the store), so the store's package does not depend on it.
"""

import importlib
import sys

sys.exit(importlib.import_module("pipeline.commands.runs").main())
