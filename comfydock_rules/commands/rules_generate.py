"""`comfydock-rules rules generate` and `rules probe`: rule files from a ComfyUI object_info dump
(docs/rules.md, "Generating rules from object_info")."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from comfydock_rules.commands.streams import err, out_lines
from comfydock_rules.errors import ToolInputError

if TYPE_CHECKING:  # the pipeline stages are imported when a command runs
    from comfydock_rules.model import RuleSet
    from comfydock_rules.rules.folders import FolderLists
    from comfydock_rules.rules.object_info import ObjectInfo

GENERATE_EPILOG = """\
folder lists (one of; without any, the dump's own core loaders give them):
  --models-lists DIR   DIR/<key>.json = body of GET /models/<key>, DIR/models.json = GET /models
  --index FILE         the index of this machine (the dump came from it)
  --models ROOT        index ROOT on the fly (repeat for more roots)

examples:
  comfydock-rules rules generate --object-info object_info.json --models-lists lists/ \\
      --output generated-rules.yaml
  comfydock-rules rules generate --object-info object_info.json --index models.sqlite --diff
"""


PROBE_EPILOG = """\
examples:
  comfydock-rules rules probe --models ComfyUI/models --extra-model-paths extra_model_paths.yaml
  # refresh ComfyUI, save http://127.0.0.1:8188/object_info as object_info.json, then:
  comfydock-rules rules generate --object-info object_info.json --probe comfydock-probes.json
  comfydock-rules rules probe --remove
"""


def register_actions(actions: argparse._SubParsersAction[argparse.ArgumentParser],
                     rules_option: object) -> None:
    gen = actions.add_parser(
        "generate", help="rule slots for the loaders of a ComfyUI object_info dump",
        description="Match each combo input of a GET /object_info dump against the folder "
        "lists of that server and write a rule slot where one folder clearly matches.",
        epilog=GENERATE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    gen.add_argument("--object-info", required=True, metavar="FILE",
                     help="the saved body of GET /object_info")
    gen.add_argument("--models-lists", metavar="DIR",
                     help="bodies of GET /models/<key> as DIR/<key>.json (and GET /models as "
                     "DIR/models.json)")
    from comfydock_rules.commands.source import add_index_arguments

    add_index_arguments(gen)  # or the index of this machine: --index, --models, --db
    gen.add_argument("--probe", metavar="MANIFEST",
                     help="the manifest 'rules probe' wrote: map inputs by the probes the "
                     "dump lists")
    gen.add_argument("--min-evidence", type=int, default=2, metavar="N",
                     help="files that must match before a slot is written (default 2)")
    gen.add_argument("--all", action="store_true",
                     help="also write node types the rules in force cover, where the dump "
                     "backs all their slots")
    gen.add_argument("--diff", action="store_true",
                     help="print what the dump adds to or contradicts in the rules in force")
    gen.add_argument("--output", metavar="FILE",
                     help="write the rule file here ('-': standard output, the default "
                     "without --diff)")
    assert callable(rules_option)
    rules_option(gen)
    gen.set_defaults(run=run_generate, quiet=False)

    probe = actions.add_parser(
        "probe", help="put uniquely named empty probe files in every model folder",
        description="Write one empty probe file (in a few extensions) into every model folder "
        "of every root, and a manifest naming them. Refresh ComfyUI, save GET /object_info, "
        "and 'rules generate --probe MANIFEST' maps each input by the probes it lists. "
        "Nothing is written outside the roots.",
        epilog=PROBE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    probe.add_argument("--models", action="append", metavar="ROOT",
                       help="models root; the first is ComfyUI's own models folder (repeat)")
    probe.add_argument("--extra-model-paths", action="append", metavar="YAML",
                       help="ComfyUI's extra_model_paths.yaml: its folders are probed too")
    probe.add_argument("--manifest", default="comfydock-probes.json", metavar="FILE",
                       help="where the probes are listed (default comfydock-probes.json)")
    mode = probe.add_mutually_exclusive_group()
    mode.add_argument("--wait", action="store_true",
                      help="keep the probes until Enter (or the end of input), then remove them")
    mode.add_argument("--remove", action="store_true",
                      help="remove the probes the manifest lists")
    rules_option(probe)
    probe.set_defaults(run=run_probe)


def _folder_lists(args: argparse.Namespace, info: ObjectInfo, rules: RuleSet) -> FolderLists:
    from comfydock_rules.rules import folders

    directories = dict(rules.directories)
    if args.models_lists:
        if args.index or args.models or args.db or args.extra_model_paths:
            raise ToolInputError("--models-lists and the index options do not go together",
                                 hint="the folder lists come from one place: --models-lists "
                                 "DIR, or --index FILE, or --models ROOT")
        return folders.read_models_lists(Path(args.models_lists), directories)
    if args.index or args.models or args.extra_model_paths:
        from comfydock_rules.commands.roots import known_folders
        from comfydock_rules.commands.source import index_path
        from comfydock_rules.config import load_config
        from comfydock_rules.index.load import load_index

        path = index_path(args, load_config(), known=known_folders(rules))
        return folders.lists_from_index(load_index(path), directories, str(path))
    if args.db:
        raise ToolInputError("--db is the database --models indexes into; no --models given")
    return folders.lists_from_anchors(info.combos, directories)


def run_generate(args: argparse.Namespace) -> int:
    from comfydock_rules.commands.rules import _rule_files
    from comfydock_rules.rules.build import build
    from comfydock_rules.rules.check import check_layer
    from comfydock_rules.rules.generate import compare, diff_lines, generate
    from comfydock_rules.rules.generated_yaml import render
    from comfydock_rules.rules.object_info import read_object_info
    from comfydock_rules.rules.yaml import load_text

    if args.min_evidence < 1:
        raise ToolInputError(f"--min-evidence {args.min_evidence}: expected 1 or more")
    dump = Path(args.object_info)
    info = read_object_info(dump, args.object_info)
    built = build(_rule_files(args))
    rules = built.ruleset
    lists = _folder_lists(args, info, rules)
    for warning in lists.warnings:
        err(f"comfydock-rules: warning: {warning}")
    manifest = None
    if args.probe:
        from comfydock_rules.rules.probe import read_manifest

        manifest = read_manifest(Path(args.probe))
    gen = generate(info, lists, min_evidence=args.min_evidence, probes=manifest,
                   probes_name=Path(args.probe).name if args.probe else "",
                   directories=_probe_directories(rules.directories, manifest))
    for report in gen.reports:
        err(f"comfydock-rules: probe: {report}")
    skipped = {(node, raw.input) for node, raws in built.skipped.items() for raw in raws}
    changes = compare(gen, rules, skipped)
    text = render(gen, changes, rules, everything=args.all, dump_name=dump.name)
    check_layer(load_text(text, "<generated>"), "<generated>")  # never write a broken file
    if args.diff:
        out_lines(diff_lines(gen, changes))
    output = args.output if args.output else (None if args.diff else "-")
    if output is not None:
        from comfydock_rules.commands.output import emit

        emit(output, text, "the generated rules")
    slots = sum(1 for v in gen.verdicts if v.kind == "slot")
    unclear = sum(1 for v in gen.verdicts if v.kind == "unclear")
    empty = sum(1 for v in gen.verdicts if v.kind == "empty")
    where = f"wrote {output}: " if output not in (None, "-") else ""
    err(f"comfydock-rules: {where}{slots} inputs matched a folder, {unclear} "
        f"unclear, {empty} with empty lists ({lists.origin})")
    return 0


def _probe_directories(directories: object, manifest: object) -> dict[str, tuple[str, ...]]:
    """The rules' directory names, plus each probed folder no name covers (as its own name)."""
    from collections.abc import Mapping

    from comfydock_rules.rules.probe import Manifest

    assert isinstance(directories, Mapping)
    out: dict[str, tuple[str, ...]] = dict(directories)
    if isinstance(manifest, Manifest):
        named = {f for fs in out.values() for f in fs}
        for probe in manifest.probes:
            if probe.folder not in named and "/" not in probe.folder:
                out.setdefault(probe.folder, (probe.folder,))
    return out


def run_probe(args: argparse.Namespace) -> int:
    from comfydock_rules.rules import probe as probes

    manifest_path = Path(args.manifest)
    if args.remove:
        manifest = probes.read_manifest(manifest_path)
        return _remove(manifest, manifest_path)
    if not args.models:
        raise ToolInputError("rules probe: give --models ROOT (ComfyUI's models folder first)")
    if manifest_path.exists():
        old = probes.read_manifest(manifest_path)
        if not old.removed:
            raise ToolInputError(
                "the probes of an earlier run are still in place", args.manifest,
                hint=f"remove them first: comfydock-rules rules probe --remove --manifest "
                f"{args.manifest}")
    from comfydock_rules.commands.roots import known_folders, root_warning
    from comfydock_rules.commands.rules import _rule_files
    from comfydock_rules.rules.build import build

    rules = build(_rule_files(args)).ruleset
    for given in args.models:
        # probes go into every model folder: never into a folder that is not a models root
        if not Path(given).is_dir():
            raise ToolInputError("models root is not a folder", given)
        wrong = root_warning(Path(given), given, known_folders(rules))
        if wrong:
            raise ToolInputError(f"not a models root, nothing written: {wrong}", given)
    roots = [probes.RootSpec(Path(m).absolute(), None, i == 0) for i, m in
             enumerate(args.models)]
    for yaml_path in args.extra_model_paths or ():
        from comfydock_rules.index.extra_paths import load_extra_model_paths

        roots += [probes.RootSpec(r.path, r.category, r.is_default, r.source)
                  for r in load_extra_model_paths(yaml_path) if r.path.is_dir()]
    folders = {f for fs in rules.directories.values() for f in fs}
    manifest = probes.write_probes(roots, folders)
    try:
        _write_manifest(manifest, manifest_path)
    except BaseException:
        probes.remove_probes(manifest)
        raise
    files = sum(len(p.files) for p in manifest.probes)
    plural = "" if len(roots) == 1 else "s"
    lines = [f"{args.manifest}: {files} probe files ({len(manifest.probes)} folders "
             f"of {len(roots)} root{plural}, token {manifest.token})"]
    lines += [f"  skipped {line}" for line in manifest.skipped]
    lines += ["Refresh ComfyUI (press r in the browser, or restart it) and save the "
              "body of GET /object_info, e.g.", "  curl -o object_info.json "
              "http://127.0.0.1:8188/object_info", "then: comfydock-rules rules generate "
              f"--object-info object_info.json --probe {args.manifest}"]
    if not args.wait:
        lines.append("Remove the probes afterwards: comfydock-rules rules probe --remove "
                     f"--manifest {args.manifest}")
        out_lines(lines)
        return 0
    lines.append("Press Enter when object_info is saved; the probes are then removed.")
    out_lines(lines)
    import signal

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        sys.stdin.readline()
    finally:
        signal.signal(signal.SIGTERM, previous)
        _remove(manifest, manifest_path)
    return 0


def _remove(manifest: object, path: Path) -> int:
    from dataclasses import replace

    from comfydock_rules.rules import probe as probes

    assert isinstance(manifest, probes.Manifest)
    problems = probes.remove_probes(manifest)
    _write_manifest(replace(manifest, removed=True), path)
    for problem in problems:
        err(f"comfydock-rules: warning: {problem}")
    out_lines([f"{path}: probes removed ({len(problems)} left alone)"])
    return 1 if problems else 0


def _write_manifest(manifest: object, path: Path) -> None:
    from comfydock_rules.commands.output import emit
    from comfydock_rules.rules.probe import Manifest, save_manifest

    assert isinstance(manifest, Manifest)
    emit(path, save_manifest(manifest), "the probe manifest")
