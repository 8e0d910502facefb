"""Command line: `python -m bayesopt demo` (or the `bayesopt` console script)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bayesopt", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="tune an MLPClassifier on the digits data set")
    demo.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from bayesopt.demo import main as demo_main

        demo_main(seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
