"""``python -m agentotel.cli``: the same as the ``agentotel`` console script."""

from __future__ import annotations

import sys

from agentotel.cli import main

if __name__ == "__main__":
    sys.exit(main())
