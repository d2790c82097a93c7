"""Command-line entry point: argv, the command registry, and errors turned into exit codes.

Each command is a module of `commands/` with `register(subparsers)`, listed once in `COMMANDS`.
They import nothing heavy at module level, so that `comfydock-rules check` on a pre-commit path
starts fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from comfydock_rules import __version__
from comfydock_rules.commands import check, index, link, models, pin, refs, rules
from comfydock_rules.commands.streams import discard_stdout, err
from comfydock_rules.errors import ToolInputError

PROG = "comfydock-rules"
COMMANDS: tuple[ModuleType, ...] = (check, refs, index, models, pin, link, rules)
"""Every subcommand, in the order `--help` lists them."""


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad arguments already; make its message name the subcommand's help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        err(f"{self.prog}: error: {message}")
        err(f"Run '{self.prog} --help' for the options.")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=(
            "Resolve the model files named by ComfyUI workflows against an index of local "
            "model files, by declarative rules. Exit codes: 0 gate passed, 1 gate failed or a "
            "workflow could not be read, 2 the tool could not do its job."
        ),
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return run(args)
    except ToolInputError as exc:
        err(f"{PROG}: error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        err(f"{PROG}: interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`); nothing left to say to it.
        discard_stdout()
        return 1
    except MemoryError:
        # Every input has a bound (docs/security.md); this is the last line of defence.
        err(f"{PROG}: error: out of memory; please report the input that caused it")
        return 2


if __name__ == "__main__":
    sys.exit(main())
