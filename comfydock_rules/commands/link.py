"""`comfydock-rules link WORKFLOW...`: make workflows load unchanged on this machine.

For each fuzzy or pinned resolution that ComfyUI would not find under the value as written, a
symbolic link at the path the workflow names, to the file found (docs/models.md, "link"). A dry
run by default, printing the plan; `--apply` acts. Never overwrites or deletes, never writes
outside the folder ComfyUI reads the directory from; a second run changes nothing.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from comfydock_rules.commands.source import add_index_arguments


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "link",
        help="link files found under other names to the names workflows use (dry run)",
        description=(
            "For each fuzzy or pinned reference ComfyUI would not find as written, plan a "
            "symbolic link at the path the workflow names to the file found; --apply creates "
            "them. Nothing is overwritten or deleted."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="WORKFLOW", help="workflow files or folders")
    parser.add_argument("--apply", action="store_true", help="create the links (default: "
                        "print the plan only)")
    parser.add_argument("--copy", action="store_true",
                        help="copy the file where neither a symbolic nor a hard link can be made")
    parser.add_argument("--rules", action="append", metavar="FILE",
                        help="a rule file (YAML) applied after the built-in sets; repeatable")
    parser.add_argument("--pyproject", metavar="PATH", default=None,
                        help="the pyproject.toml whose pins count (default: the nearest)")
    add_index_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from comfydock_rules.commands.pipeline import resolve_paths
    from comfydock_rules.commands.streams import out_lines
    from comfydock_rules.errors import ToolInputError
    from comfydock_rules.index.hashing import quick_hash
    from comfydock_rules.index.query import read_listing
    from comfydock_rules.link.apply import apply_step
    from comfydock_rules.link.plan import plan_links

    resolved = resolve_paths(args, args.paths)
    listing = read_listing(resolved.index)
    if not listing.database:
        raise ToolInputError("link needs the index database (a snapshot has no files on disk)",
                             path=str(resolved.index),
                             hint="give --index DB or --models ROOT on the machine with the files")
    disk = {e.relative_path: e.disk_path for e in listing.entries if e.disk_path}
    hashes = {e.relative_path: e.file.hash for e in listing.entries}
    steps = plan_links(resolved.resolutions, disk, hashes)
    failed = 0
    lines: list[str] = []
    for step in steps:
        how = None
        if step.action == "link" and step.target is not None:
            # content is identity: the file must still be the one indexed
            try:
                current = quick_hash(step.target)
            except OSError:
                current = None
            if current != step.hash:
                step = replace(step, action="refused",
                               reason="the file changed since it was indexed; index again")
            elif args.apply:
                step, how = apply_step(step, copy=args.copy)
        if step.action in ("conflict", "refused"):
            failed += 1
        where = f" {step.path}" if step.path else ""
        to = f" -> {step.target}" if step.target and step.action in ("link", "linked") else ""
        verb = {"link": "would link" if not args.apply else "link",
                "linked": f"linked ({how})" if how else "already linked"}.get(
            step.action, step.action)
        why = f": {step.reason}" if step.reason else ""
        lines.append(f"{step.workflow}: {step.value}: {verb}{where}{to}{why}")
    todo = sum(1 for s in steps if s.action == "link")
    if not args.apply and todo:
        lines.append(f"{todo} link(s) to create; run again with --apply")
    out_lines(lines)
    return 1 if failed else 0
