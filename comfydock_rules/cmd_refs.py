"""`comfydock-rules refs`: placeholder until the subcommand lands."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("refs", help="(not yet available)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    sys.stderr.write("comfydock-rules refs: not yet available\n")
    return 2
