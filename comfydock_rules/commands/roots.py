"""Folders on the command line told apart by what they hold: a models root has ComfyUI's model
folders (checkpoints/, loras/, ... as the rules' `directories` name them), a workflow folder
does not.

Two mistakes look alike from inside the tool and are cheap to spot from outside: a models root
that is one level off (the ComfyUI folder instead of its models/, or models/loras instead of
models/), which makes every reference missing; and a models root or rule file given where
workflow paths go. Both are judged from folder names and a bounded look for model files, never
by reading a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from comfydock_rules.errors import ToolInputError
from comfydock_rules.extensions import has_model_extension
from comfydock_rules.model import RuleSet

MAX_ENTRIES = 500
"""Entries looked at per folder when searching for a model file; a models root shows one early."""
RULE_SUFFIXES = (".yaml", ".yml")


def known_folders(ruleset: RuleSet) -> frozenset[str]:
    """The folder names under a models root that the rules load from (`checkpoints`, `unet`)."""
    return frozenset(
        folder.split("/", 1)[0] for folders in ruleset.directories.values() for folder in folders
    )


def _subfolders(path: Path) -> list[str]:
    names: list[str] = []
    try:
        with os.scandir(path) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_ENTRIES:
                    break
                try:
                    if entry.is_dir():
                        names.append(entry.name)
                except OSError:
                    continue
    except OSError:
        return []
    return sorted(names)


def model_folders_in(path: Path, known: Iterable[str]) -> list[str]:
    """The known model folders directly under `path`, sorted."""
    wanted = set(known)
    return [name for name in _subfolders(path) if name in wanted]


def _holds_a_model_file(folder: Path, depth: int = 2) -> bool:
    """A model file within `depth` levels, looking at no more than MAX_ENTRIES per folder."""
    try:
        with os.scandir(folder) as entries:
            later: list[Path] = []
            for count, entry in enumerate(entries):
                if count >= MAX_ENTRIES:
                    break
                try:
                    if entry.is_file() and has_model_extension(entry.name):
                        return True
                    if depth > 1 and entry.is_dir() and not entry.name.startswith("."):
                        later.append(Path(entry.path))
                except OSError:
                    continue
    except OSError:
        return False
    return any(_holds_a_model_file(sub, depth - 1) for sub in sorted(later)[:20])


def _shown(folders: Sequence[str]) -> str:
    listed = ", ".join(f"{name}/" for name in folders[:3])
    return listed + (", ..." if len(folders) > 3 else "")


def root_warning(root: Path, display: str, known: frozenset[str]) -> str | None:
    """Why `root` is probably not the models root meant, or None when it holds a model folder."""
    if not root.is_dir() or model_folders_in(root, known):
        return None
    shown = display.rstrip("/\\") or display
    if model_folders_in(root / "models", known):
        return f"no model folders under {shown}; did you mean {shown}/models?"
    if root.name in known:
        parent = os.path.dirname(shown) or "."
        return (f"no model folders under {shown}; it is itself the model folder {root.name}/: "
                f"did you mean {parent}?")
    return (f"no model folders (such as checkpoints/, loras/, vae/) under {shown}; every "
            "reference will be missing or flagged wrong_directory")


def check_workflow_paths(paths: Sequence[str], known: frozenset[str]) -> None:
    """Refuse a rule file or a models root among the workflow paths, saying which flag it needs.

    Each of --models, --rules and --extra-model-paths takes one value and is repeated for more;
    `--models A B wf/` (the form that once took several roots) now makes B a workflow path.
    """
    for given in paths:
        path = Path(given)
        if path.suffix.lower() in RULE_SUFFIXES and path.is_file():
            raise ToolInputError(
                "a YAML file among the workflow paths (workflows are JSON, PNG or WebP)",
                path=given,
                hint=f"a rule file goes after --rules ('--rules {given}'), ComfyUI's "
                f"extra_model_paths.yaml after --extra-model-paths; each flag takes one file "
                "and is repeated for more",
            )
        if not path.is_dir():
            continue
        folders = [name for name in model_folders_in(path, known)
                   if _holds_a_model_file(path / name)]
        if folders:
            raise ToolInputError(
                f"holds model folders ({_shown(folders)}): a models root, not workflows",
                path=given,
                hint=f"give it with --models ('--models {given}'); --models takes one root and "
                "is repeated for more: --models ROOT1 --models ROOT2",
            )
