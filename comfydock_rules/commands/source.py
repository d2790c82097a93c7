"""Where the model files come from, the same way for every command: `--index`, or `--models`
roots indexed on the fly (into `--db` or a cache database of their own), or the settings of
`[tool.comfydock-rules]`, or the default index."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from comfydock_rules.commands.streams import err
from comfydock_rules.errors import ToolInputError

if TYPE_CHECKING:
    from comfydock_rules.config import Config
    from comfydock_rules.index.scan import Root


def add_index_arguments(parser: argparse.ArgumentParser, *, roots: bool = True) -> None:
    """--index, and (with `roots`) --models, --db, --extra-model-paths."""
    models = parser.add_argument_group("models")
    models.add_argument(
        "--index", metavar="DB_OR_SNAPSHOT", help="a SQLite index or an exported JSON snapshot"
    )
    if not roots:
        parser.set_defaults(models=None, db=None, extra_model_paths=[])
        return
    models.add_argument(
        "--models", action="append", metavar="ROOT",
        help="a models root to index on the fly (incrementally, into --db); repeat the flag "
        "for more roots",
    )
    models.add_argument(
        "--db", metavar="FILE",
        help="index database for --models (default: one per set of roots in the cache folder)",
    )
    models.add_argument(
        "--extra-model-paths", metavar="YAML", action="append", default=[],
        help="ComfyUI's extra_model_paths.yaml: more roots for --models (repeatable)",
    )


def index_path(args: argparse.Namespace, config: Config, *, quiet: bool = False,
               known: frozenset[str] = frozenset()) -> Path:
    """The index to read: given, built from roots now, configured, or the default one.

    `known`: the folder names the rules load from, to warn about a models root one level off.
    """
    if args.index:
        # Silently checking against the index while --models named other roots would pass or
        # fail the gate on files the user did not mean.
        for flag, value in (("--models", args.models), ("--db", args.db),
                            ("--extra-model-paths", args.extra_model_paths)):
            if value:
                raise ToolInputError(
                    f"--index and {flag} do not go together",
                    hint="give --index DB_OR_SNAPSHOT, or --models ROOT "
                    "[--extra-model-paths YAML] [--db FILE]",
                )
        return Path(args.index)
    roots_given: Sequence[str] = args.models or ()
    extra: Sequence[str] = args.extra_model_paths or ()
    db = args.db or config.db
    if not roots_given and not extra:
        if config.index:
            return Path(config.index)
        roots_given = config.models
        extra = (config.extra_model_paths,) if config.extra_model_paths else ()
    if args.db and not (roots_given or extra):
        raise ToolInputError(
            "--db is the database that --models indexes into; no models roots were given",
            hint="add --models ROOT, or read an existing index with --index FILE",
        )
    if roots_given or extra:
        from comfydock_rules.commands.roots import root_warning
        from comfydock_rules.index.scan import Root
        from comfydock_rules.index.update import update_index
        from comfydock_rules.paths import models_db_path

        roots = [Root.plain(Path(root)) for root in roots_given]
        for given in roots_given:
            # Printed under --quiet too: it explains why every reference then fails.
            wrong = root_warning(Path(given), given, known)
            if wrong:
                err(f"comfydock-rules: warning: {wrong}")
        for yaml_path in extra:
            roots.extend(_extra_roots(Path(yaml_path)))
        db_path = Path(db) if db else models_db_path(roots_given, extra)
        indexed = update_index(roots, db_path)
        if not quiet:
            for warning in indexed.warnings:
                err(f"comfydock-rules: warning: {warning}")
        return db_path
    from comfydock_rules.paths import default_db_path

    default = default_db_path()
    if default.is_file():
        return default
    raise ToolInputError(
        "no model index to check against",
        hint="give --index DB_OR_SNAPSHOT or --models ROOT, set index or models in "
        "[tool.comfydock-rules] of pyproject.toml, or run 'comfydock-rules index' first",
    )


def _extra_roots(path: Path) -> list[Root]:
    """Roots from ComfyUI's extra_model_paths.yaml (one per category folder)."""
    from comfydock_rules.index.extra_paths import load_extra_model_paths

    return list(load_extra_model_paths(path))
