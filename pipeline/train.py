"""``python -m pipeline.train``: train one run or a seed group, ``pipeline/commands/train.py``.

Imported by name, as ``python -m pipeline.runs`` is: every command line's code sits in
``pipeline/commands/``, above the packages it drives.
"""

import importlib
import sys

if __name__ == "__main__":
    sys.exit(importlib.import_module("pipeline.commands.train").main())
