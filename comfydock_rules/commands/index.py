"""`comfydock-rules index`: build or update the model index, export a snapshot, print stats.

`index ROOT...` indexes; a first positional of `export` or `stats` picks that action instead
(a models root really named so is still reachable as `./export`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from comfydock_rules.commands.streams import err, out_lines
from comfydock_rules.errors import ToolInputError
from comfydock_rules.paths import ENV_CACHE_DIR, default_db_path

if TYPE_CHECKING:
    from comfydock_rules.index.progress import Progress

ACTIONS = ("export", "stats")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    default_db = default_db_path()
    parser = sub.add_parser(
        "index",
        help="index model files by content hash (also: index export, index stats)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Scan models roots into a SQLite index of model files keyed by ComfyDock's quick\n"
            "hash. Unchanged files (same size and mtime) are not read again.\n"
            "'index export -o FILE' writes a JSON snapshot for CI ('-o -': stdout);\n"
            "'index stats' prints"
            " counts per directory.\n\n"
            f"Default index (--db): {default_db}\n"
            f"  (set ${ENV_CACHE_DIR} to move it)"
        ),
        usage=(
            "%(prog)s [ROOT ...] [--db PATH] [--extra-model-paths FILE] [--workers N] "
            "[--quiet] [--rebuild]\n"
            "       %(prog)s export [--db PATH] -o FILE\n"
            "       %(prog)s stats [--db PATH]"
        ),
    )
    parser.add_argument(
        "targets", nargs="*", metavar="ROOT",
        help="models folders holding checkpoints/, loras/, ... (or the action: export, stats)",
    )
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help=f"index database (default: {default_db})")
    parser.add_argument("--extra-model-paths", type=Path, action="append", default=[],
                        metavar="FILE",
                        help="ComfyUI extra_model_paths.yaml whose folders are indexed too "
                             "(repeatable)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="hashing threads (default: CPU count, at most 8)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no progress bar and no summary line; warnings still print")
    parser.add_argument("--rebuild", action="store_true",
                        help="delete the index and build it from scratch (for a corrupt index)")
    parser.add_argument("--output", "-o", "--out", dest="out", default=None, metavar="FILE",
                        help="export: the JSON snapshot to write ('-' for stdout); --out is the "
                        "name it had before 0.2.0")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    targets: list[str] = list(args.targets)
    db_path: Path = args.db if args.db is not None else default_db_path()
    action = targets[0] if targets and targets[0] in ACTIONS else None
    if action is not None:
        if len(targets) > 1:
            raise ToolInputError(f"'index {action}' takes no ROOT arguments "
                                 f"(got {' '.join(targets[1:])})")
        for flag, value in (("--extra-model-paths", args.extra_model_paths),
                            ("--workers", args.workers), ("--rebuild", args.rebuild)):
            if value:
                raise ToolInputError(f"{flag} does not apply to 'index {action}'")
        if action == "export":
            return _export(db_path, args.out)
        return _stats(db_path)
    if args.out is not None:
        raise ToolInputError("--output applies to 'index export' only")
    return _index(targets, db_path, args)


def _progress(quiet: bool) -> Progress:
    from comfydock_rules.index.progress import NO_PROGRESS

    if quiet or not sys.stderr.isatty():
        return NO_PROGRESS
    from comfydock_rules.commands.progress import TerminalProgress

    return TerminalProgress(sys.stderr)


def _index(targets: list[str], db_path: Path, args: argparse.Namespace) -> int:
    from comfydock_rules.index.scan import Root
    from comfydock_rules.index.update import update_index

    if args.workers is not None and args.workers < 1:
        raise ToolInputError(f"--workers must be at least 1 (got {args.workers})")
    roots = [Root.plain(target) for target in targets]
    if targets:
        from comfydock_rules.commands.roots import known_folders, root_warning
        from comfydock_rules.rules.load import load_ruleset

        known = known_folders(load_ruleset())
        for target in targets:
            wrong = root_warning(Path(target), target, known)
            if wrong:
                err(f"warning: {wrong}")
    if args.extra_model_paths:
        from comfydock_rules.index.extra_paths import load_extra_model_paths

        for yaml_path in args.extra_model_paths:
            roots.extend(load_extra_model_paths(yaml_path))
    if not roots:
        raise ToolInputError(
            "no models root given",
            hint="comfydock-rules index ROOT... [--extra-model-paths FILE] [--db PATH]",
        )
    try:
        with _sigterm_as_interrupt():
            summary = update_index(
                roots, db_path, workers=args.workers, progress=_progress(args.quiet),
                rebuild=args.rebuild,
            )
    except KeyboardInterrupt as exc:
        # Each batch is one SQLite transaction: what was committed is whole, the rest is not
        # there at all, so the next run picks up where this one stopped.
        err("comfydock-rules: interrupted; the index keeps the files indexed so far and is "
            f"consistent: {db_path}")
        err("run the same command again to finish")
        return 143 if isinstance(exc, _Terminated) else 130
    for warning in summary.warnings:
        err(f"warning: {warning}")
    if not args.quiet:
        out_lines([summary.line(), f"index: {db_path}"])
    return 0


class _Terminated(KeyboardInterrupt):
    """SIGTERM, unwound like Ctrl-C; exit 143 (128 + 15) as a killed process would."""


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, `kill`) unwinds like Ctrl-C: the open transaction is rolled
    back and the message printed, instead of the default instant death."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise _Terminated

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except (ValueError, OSError):  # not the main thread, or no SIGTERM on this platform
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _export(db_path: Path, out: str | None) -> int:
    from comfydock_rules.commands.output import emit, to_stdout
    from comfydock_rules.index.load import load_index
    from comfydock_rules.index.snapshot import dumps

    if out is None:
        raise ToolInputError("'index export' needs -o FILE (or -o - for stdout)")
    files = load_index(db_path)
    emit(out, dumps(files), "the snapshot")
    if not to_stdout(out):
        err(f"wrote {len(files)} files to {out}")
    return 0


def _stats(db_path: Path) -> int:
    from comfydock_rules.index.load import load_index

    files = load_index(db_path)
    counts: dict[str, list[int]] = {}
    hashes: set[tuple[str, str | None]] = set()
    for item in files:
        row = counts.setdefault(item.directory, [0, 0])
        row[0] += 1
        row[1] += item.size
        hashes.add((item.hash, item.full_blake3))
    width = max([len("directory"), len("total"), *map(len, counts)])
    lines = [f"{'directory':<{width}}  {'files':>7}  {'bytes':>15}"]
    for directory in sorted(counts):
        number, size = counts[directory]
        lines.append(f"{directory:<{width}}  {number:>7}  {size:>15}")
    total = sum(row[1] for row in counts.values())
    lines.append(f"{'total':<{width}}  {len(files):>7}  {total:>15}")
    lines.append(f"{len(hashes)} distinct contents in {os.fspath(db_path)}")
    out_lines(lines)
    return 0
