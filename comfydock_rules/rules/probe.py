"""`rules probe`: uniquely named empty files in every model folder of every root, so that a saved
object_info shows, input by input, which folders (and which roots) a loader lists.

Each probe is one name in a few extensions, because ComfyUI lists a folder through its key's
extension filter (folder_paths.filter_files_extensions: the .pt/.safetensors set for most keys,
`.gguf` or `.onnx` only for some pack keys, anything for keys registered without a set). Probes
are created with O_EXCL inside the resolved root only: a folder that is a symlink leading out of
the root is not written to (ComfyUI would follow it; we do not write there) and is reported.
Removal deletes only the files this run created, and only while they are still empty regular
files with the probe's name; folders created for probes are removed when empty again.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from comfydock_rules.errors import ToolInputError

PREFIX = "comfydock-probe-"
EXTENSIONS = (".safetensors", ".gguf", ".onnx")
MANIFEST_VERSION = 1
MAX_FOLDERS = 2000
NAME = re.compile(r"comfydock-probe-([0-9a-f]{8})-(\d{1,5})(\.[a-z]+)\Z")


@dataclass(frozen=True)
class RootSpec:
    """A models root as ComfyUI sees it: the default `models` folder, or an extra_model_paths
    folder for one key (`category`)."""

    path: Path
    category: str | None = None
    is_default: bool = False
    source: str = ""


@dataclass(frozen=True)
class Probe:
    number: int
    root: int
    """Index into Manifest.roots; 0 is the default root."""
    folder: str
    """The logical folder (`loras`, `ultralytics/bbox`); for a category root, the category."""
    disk: str
    """The folder on disk the probe files are in (absolute)."""
    files: tuple[str, ...]
    created: tuple[str, ...] = ()
    """Folders made for the probe (absolute), removed again when empty."""


@dataclass(frozen=True)
class Manifest:
    token: str
    roots: tuple[str, ...]
    """Absolute root paths; roots[0] is the default root."""
    probes: tuple[Probe, ...]
    skipped: tuple[str, ...] = field(default_factory=tuple)
    """Folders not probed, with why (outside the root through a symlink, not a folder)."""
    removed: bool = False
    """The probes were removed (the manifest still maps the names a saved dump lists)."""

    def stem(self, number: int) -> str:
        return f"{PREFIX}{self.token}-{number:03d}"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def plan(roots: Sequence[RootSpec], folders: Iterable[str]) -> list[tuple[int, str, Path]]:
    """(root index, logical folder, folder on disk) for each folder of each root: the folders
    the rules know, and every folder that exists directly below a plain root."""
    known = sorted(set(folders))
    targets: list[tuple[int, str, Path]] = []
    for i, root in enumerate(roots):
        if root.category is not None:
            targets.append((i, root.category, root.path))
            continue
        present = sorted(p.name for p in root.path.iterdir()
                         if p.is_dir() and not p.name.startswith(".")) if root.path.is_dir() \
            else []
        for folder in sorted(set(known) | set(present)):
            targets.append((i, folder, root.path / folder))
    if len(targets) > MAX_FOLDERS:
        raise ToolInputError(f"{len(targets)} folders to probe, more than {MAX_FOLDERS}")
    return targets


def write_probes(roots: Sequence[RootSpec], folders: Iterable[str],
                 token: str | None = None) -> Manifest:
    """Create the probes; on any error the probes made so far are removed again."""
    token = token or secrets.token_hex(4)
    made: list[Probe] = []
    skipped: list[str] = []
    manifest = Manifest(token, tuple(os.path.abspath(r.path) for r in roots), ())
    try:
        for number, (i, folder, disk) in enumerate(plan(roots, folders)):
            root = roots[i].path
            if not root.is_dir():
                raise ToolInputError("models root is not a folder", os.fspath(root))
            created = _make_folder(root, disk)
            if created is None:
                skipped.append(f"{disk}: leads outside {root} (symlink); not probed")
                continue
            stem = manifest.stem(number)
            files = []
            made.append(Probe(number, i, folder, str(disk), (), tuple(created)))
            for ext in EXTENSIONS:
                target = disk / f"{stem}{ext}"
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.close(fd)
                files.append(str(target))
                made[-1] = Probe(number, i, folder, str(disk), tuple(files), tuple(created))
    except BaseException:
        remove_probes(Manifest(token, manifest.roots, tuple(made)))
        raise
    return Manifest(token, manifest.roots, tuple(made), tuple(skipped))


def _make_folder(root: Path, disk: Path) -> list[str] | None:
    """Create `disk` below `root` as needed; None when it is (or leads) outside the root."""
    created: list[str] = []
    relative = disk.relative_to(root)
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink() or current.exists():
            if not _inside(current, root) or not current.is_dir():
                return None
            continue
        current.mkdir()
        created.append(str(current))
    return created


def remove_probes(manifest: Manifest) -> list[str]:
    """Delete the manifest's probe files (only empty regular files named as probes) and the
    folders made for them; returns what could not be removed, with why."""
    problems: list[str] = []
    roots = [Path(r) for r in manifest.roots]
    for probe in manifest.probes:
        root = roots[probe.root]
        for name in probe.files:
            path = Path(name)
            match = NAME.fullmatch(path.name)
            if not match or match.group(1) != manifest.token or not _inside(path.parent, root):
                problems.append(f"{path}: not a probe of this manifest; left alone")
                continue
            try:
                st = path.lstat()
            except FileNotFoundError:
                continue
            if not path.is_file() or path.is_symlink() or st.st_size != 0:
                problems.append(f"{path}: no longer an empty probe file; left alone")
                continue
            path.unlink()
    created = {folder for probe in manifest.probes for folder in probe.created
               if _inside(Path(folder).parent, roots[probe.root])}
    for folder in sorted(created, key=lambda f: (-len(Path(f).parts), f)):
        # deepest first; not empty (someone put files there since) or gone: leave it
        with contextlib.suppress(OSError):
            os.rmdir(folder)
    return problems


def save_manifest(manifest: Manifest) -> str:
    doc = {"version": MANIFEST_VERSION, "token": manifest.token, "roots": list(manifest.roots),
           "probes": [{"number": p.number, "root": p.root, "folder": p.folder, "disk": p.disk,
                       "files": list(p.files), "created": list(p.created)}
                      for p in manifest.probes],
           "skipped": list(manifest.skipped), "removed": manifest.removed}
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def read_manifest(path: Path) -> Manifest:
    display = os.fspath(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("version") != MANIFEST_VERSION or not re.fullmatch(r"[0-9a-f]{8}",
                                                                      doc["token"]):
            raise ValueError("not a probe manifest of this version")
        probes = tuple(Probe(int(p["number"]), int(p["root"]), str(p["folder"]),
                             str(p["disk"]), tuple(map(str, p["files"])),
                             tuple(map(str, p.get("created", ()))))
                       for p in doc["probes"])
        roots = tuple(map(str, doc["roots"]))
        if any(not 0 <= p.root < len(roots) for p in probes):
            raise ValueError("a probe names a root the manifest does not list")
        return Manifest(doc["token"], roots, probes, tuple(map(str, doc.get("skipped", ()))),
                        bool(doc.get("removed", False)))
    except OSError as exc:
        raise ToolInputError(f"cannot read the probe manifest: {exc.strerror}", display) \
            from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ToolInputError(f"not a probe manifest: {exc}", display,
                             hint="give the file 'rules probe' wrote (--manifest)") from None


def probe_folders(manifest: Manifest, options: Iterable[str]) -> dict[str, set[int]]:
    """Loader folder -> roots whose probe the combo lists. `bbox/<probe>` of folder
    `ultralytics/bbox` is the loader folder `ultralytics` (values keep the subfolder)."""
    by_number: Mapping[int, Probe] = {p.number: p for p in manifest.probes}
    seen: dict[str, set[int]] = {}
    for option in options:
        value = option.replace("\\", "/")
        head, _, name = value.rpartition("/")
        match = NAME.fullmatch(name)
        if not match or match.group(1) != manifest.token:
            continue
        probe = by_number.get(int(match.group(2)))
        if probe is None:
            continue
        folder = probe.folder
        if head:
            if not folder.endswith("/" + head):
                continue
            folder = folder[: -len(head) - 1]
        seen.setdefault(folder, set()).add(probe.root)
    return seen
