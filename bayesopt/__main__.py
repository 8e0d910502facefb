"""``python -m bayesopt``: the command line (see `bayesopt.cli`)."""

from __future__ import annotations

import sys

from bayesopt.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
