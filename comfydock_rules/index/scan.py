"""Walk models roots and decide which files are model files ComfyUI would list.

Only names and `stat` results are looked at here; nothing is read. Hidden entries and partial
downloads are skipped, directory symlinks are followed once (no loops), and each file gets its
logical location `<directory>/<path inside it>` whatever root it came from.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from comfydock_rules.errors import ToolInputError
from comfydock_rules.extensions import (
    CONFIG_EXTENSIONS,
    MODEL_EXTENSIONS,
    PARTIAL_SUFFIXES,
    extension_of,
)

CONFIGS_DIRECTORY = "configs"


@dataclass(frozen=True)
class Root:
    """A folder to index.

    A plain models root (`ComfyUI/models`) has `category=None`: the first folder below it is
    each file's directory. An extra_model_paths entry (`checkpoints: models/Stable-diffusion`)
    gives one Root per folder with `category="checkpoints"`; files below it are `checkpoints/...`.
    """

    path: Path
    category: str | None = None
    is_default: bool = False
    source: str = ""
    """Where the root came from (`extra_model_paths.yaml:4:5`), for messages; '' = command line."""
    required: bool = True
    """False for extra_model_paths folders: ComfyUI ignores one that does not exist, so do we."""

    @classmethod
    def plain(cls, path: str | Path) -> Root:
        return cls(path=Path(os.path.abspath(path)))

    @property
    def key(self) -> str:
        """How the root is stored in the index (absolute folder, '/' separators)."""
        return os.path.abspath(self.path).replace(os.sep, "/")


@dataclass(frozen=True)
class ScannedFile:
    relative_path: str
    """Logical location, `<directory>/<path inside it>`, '/' separators."""
    root: str
    """Root.key of the root it was found under."""
    path_in_root: str
    """On-disk location below the root, '/' separators."""
    size: int
    mtime_ns: int
    device: int
    inode: int

    @property
    def disk_path(self) -> str:
        return f"{self.root}/{self.path_in_root}"


@dataclass(frozen=True)
class ScanResult:
    files: tuple[ScannedFile, ...]
    """Sorted by relative_path; one entry per relative_path (the first root wins)."""
    skipped: int
    warnings: tuple[str, ...]


def counts_as_model(directory: str, name: str) -> bool:
    """ComfyUI's model extensions anywhere; `.yaml` only (and only it) under configs/."""
    if name.startswith("."):
        return False
    lower = name.lower()
    if lower.endswith(PARTIAL_SUFFIXES):
        return False
    ext = extension_of(lower)
    if directory == CONFIGS_DIRECTORY:
        return ext in CONFIG_EXTENSIONS
    return ext in MODEL_EXTENSIONS


def _check_root(root: Root) -> bool:
    """True when the root can be walked; raises for a required root that cannot."""
    where = f" ({root.source})" if root.source else ""
    try:
        mode = os.stat(root.path).st_mode
    except FileNotFoundError:
        if not root.required:
            return False
        raise ToolInputError(
            f"models root {root.path}{where} does not exist",
            hint="pass the folder that holds checkpoints/, loras/, ...",
        ) from None
    except OSError as exc:
        raise ToolInputError(
            f"models root {root.path}{where} cannot be read: {exc.strerror}"
        ) from None
    if not stat.S_ISDIR(mode):
        raise ToolInputError(f"models root {root.path}{where} is not a directory")
    try:
        with os.scandir(root.path):
            pass
    except OSError as exc:
        raise ToolInputError(
            f"models root {root.path}{where} cannot be read: {exc.strerror}",
            hint="check its permissions",
        ) from None
    return True


def _walk(root: Root, warnings: list[str]) -> tuple[list[ScannedFile], int]:
    found: list[ScannedFile] = []
    skipped = 0
    top_files = 0
    root_key = root.key
    root_stat = os.stat(root.path)
    # Depth first in name order (stable warnings); a directory already on the way down from the
    # root is a symlink loop and is not entered again. Two links to one folder are both listed,
    # as ComfyUI lists both.
    stack: list[tuple[str, frozenset[tuple[int, int]]]] = [
        ("", frozenset({(root_stat.st_dev, root_stat.st_ino)}))
    ]
    while stack:
        prefix, ancestors = stack.pop()
        folder = os.path.join(root.path, prefix) if prefix else str(root.path)
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name, reverse=True)
        except FileNotFoundError:
            continue  # vanished while scanning: nothing left to index there
        except OSError as exc:
            warnings.append(f"{folder}: skipped, cannot be read: {exc.strerror}")
            skipped += 1
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if not name.isascii():
                try:
                    name.encode("utf-8")
                except UnicodeEncodeError:
                    # Undecodable bytes: no UTF-8 workflow (nor the index) can hold this name.
                    warnings.append(f"{os.fsencode(entry.path)!r}: skipped, the name is not UTF-8")
                    skipped += 1
                    continue
            rel = f"{prefix}/{name}" if prefix else name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                try:
                    st = entry.stat()
                except OSError as exc:
                    warnings.append(f"{entry.path}: skipped, cannot be read: {exc.strerror}")
                    skipped += 1
                    continue
                ident = (st.st_dev, st.st_ino)
                if ident in ancestors:
                    continue  # a symlink back up the tree
                stack.append((rel, ancestors | {ident}))
                continue
            if root.category is None:
                if not prefix:
                    if counts_as_model("", name):
                        top_files += 1
                    continue
                directory = rel.split("/", 1)[0]
                logical = rel
            else:
                directory = root.category
                logical = f"{root.category}/{rel}"
            if not counts_as_model(directory, name):
                continue
            try:
                st = entry.stat()
            except FileNotFoundError:
                if entry.is_symlink():
                    warnings.append(f"{entry.path}: skipped, broken symbolic link")
                    skipped += 1
                continue  # vanished between listing and stat
            except OSError as exc:
                warnings.append(f"{entry.path}: skipped, cannot be read: {exc.strerror}")
                skipped += 1
                continue
            if not stat.S_ISREG(st.st_mode):
                # A named pipe, socket or device with a model's name: opening it could block.
                warnings.append(f"{entry.path}: skipped, not a regular file")
                skipped += 1
                continue
            found.append(
                ScannedFile(
                    logical, root_key, rel, st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino
                )
            )
    if top_files:
        warnings.append(
            f"{root.path}: {top_files} model file(s) directly in the root were skipped: ComfyUI "
            "loads files from folders such as checkpoints/ (pass the folder above them)"
        )
        skipped += top_files
    return found, skipped


def ordered_roots(roots: tuple[Root, ...] | list[Root]) -> list[Root]:
    """ComfyUI's search order: `is_default` folders first, then the others as given.

    ComfyUI's `add_model_folder_path` inserts each `is_default` folder at the front of its
    category's list, so of several such folders the one read last comes first.
    """
    defaults = [r for r in roots if r.is_default]
    return defaults[::-1] + [r for r in roots if not r.is_default]


def scan_roots(roots: tuple[Root, ...] | list[Root]) -> ScanResult:
    """Every model file under `roots`; where two roots give one location, the first one wins."""
    warnings: list[str] = []
    skipped = 0
    by_path: dict[str, ScannedFile] = {}
    for root in ordered_roots(roots):
        if not _check_root(root):
            where = f" ({root.source})" if root.source else ""
            warnings.append(f"{root.path}{where}: folder does not exist, ignored")
            continue
        files, root_skipped = _walk(root, warnings)
        skipped += root_skipped
        for item in files:
            first = by_path.get(item.relative_path)
            if first is None:
                by_path[item.relative_path] = item
            elif first.disk_path != item.disk_path:
                warnings.append(
                    f"{item.disk_path}: skipped, {item.relative_path} is already "
                    f"{first.disk_path} (ComfyUI loads the first)"
                )
                skipped += 1
    files_sorted = tuple(by_path[key] for key in sorted(by_path))
    return ScanResult(files_sorted, skipped, tuple(warnings))
