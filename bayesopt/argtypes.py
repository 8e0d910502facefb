"""argparse types of the command line and the bench commands: a value that makes no sense
is a usage error.

argparse turns the `ArgumentTypeError` these raise into its usage message
naming the option, and exit status 2, before anything runs.
"""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    """An integer ≥ 1 ("3", "+3"); not "0", "-1", "2.5" or "x"."""
    digits = text.strip().removeprefix("+")
    if not digits.isdigit() or int(digits) < 1:
        raise argparse.ArgumentTypeError(f"must be an integer ≥ 1, got {text!r}")
    return int(digits)


def nonnegative_int(text: str) -> int:
    """An integer ≥ 0 ("0", "+3"); not "-1", "2.5" or "x"."""
    digits = text.strip().removeprefix("+")
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"must be an integer ≥ 0, got {text!r}")
    return int(digits)


def positive_float(text: str) -> float:
    """A finite number > 0."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def nonnegative_float(text: str) -> float:
    """A finite number ≥ 0."""
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number ≥ 0, got {text!r}")
    return value


def finite_float(text: str) -> float:
    """A finite number ("0.1", "-2", "1e-3"); not "nan", "inf" or "x"."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value
