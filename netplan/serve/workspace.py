"""The folders a what-if server may touch, and the one way it turns a name into a path.

The server reads scenarios from a few named folders (netplan's shipped scenarios, the folder
of the scenario it was started with, and its workspace) and writes only into the workspace:
saved scenarios at its top, full runs under ``runs/``. The page names files by a key,
``FOLDER/NAME.yaml`` (e.g. ``shipped/growth-5y.yaml``); :meth:`Workspace.resolve` turns a
key into a path and refuses anything that would leave its folder (``..``, absolute paths,
symbolic links pointing out), so a request can never read or write elsewhere.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from netplan.errors import Problem, ValidationError

__all__ = ["FILE_NAME", "Workspace"]

# One plain file name: no folder parts, no hidden files, a YAML suffix.
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,80}\.ya?ml$")
RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,100}$")
RUNS = "runs"


def _real(path: str | os.PathLike) -> Path:
    return Path(os.path.realpath(path))


@dataclass(frozen=True)
class Workspace:
    """Where a server reads and writes.

    Parameters
    ----------
    topology : Path
        The topology file every what-if runs on.
    folders : dict
        Label → folder the page may read scenarios from (``shipped``, ``scenarios``,
        ``workspace``), resolved.
    root : Path
        The workspace: the one folder written to (saved scenarios, ``runs/``).
    scenario : Path
        The scenario the server was started with (the page's first base).

    Examples
    --------
    >>> import netplan, tempfile
    >>> ws = Workspace.start(netplan.default_topology_path(), netplan.default_scenario_path(),
    ...                      tempfile.mkdtemp())
    >>> ws.resolve("shipped/growth-5y.yaml").name
    'growth-5y.yaml'
    >>> ws.resolve("shipped/../topologies/chongqing.yaml")
    Traceback (most recent call last):
    ...
    netplan.errors.ValidationError: page: base: 'shipped/../topologies/chongqing.yaml' is not a scenario file of this server (FOLDER/NAME.yaml, FOLDER one of scenarios, shipped, workspace)
    """

    topology: Path
    folders: dict[str, Path]
    root: Path
    scenario: Path

    @classmethod
    def start(cls, topology: str | os.PathLike, scenario: str | os.PathLike,
              root: str | os.PathLike) -> Workspace:
        """The workspace of a server started on ``topology`` and ``scenario``, writing in ``root``."""
        import netplan

        folders = {"shipped": _real(netplan.default_scenario_path().parent),
                   "scenarios": _real(Path(scenario).parent),
                   "workspace": _real(root)}
        return cls(topology=_real(topology), folders=folders, root=_real(root),
                   scenario=_real(scenario))

    def key(self, path: str | os.PathLike) -> str:
        """The key of a scenario file inside one of the folders (the first that holds it)."""
        real = _real(path)
        for label in ("shipped", "scenarios", "workspace"):
            if real.parent == self.folders[label]:
                return f"{label}/{real.name}"
        raise ValueError(f"{path} is in none of the server's folders")

    def resolve(self, key: str, field: str = "base") -> Path:
        """The scenario file a key names, after checking it stays in its folder."""
        label, _, name = str(key).partition("/")
        folder = self.folders.get(label)
        if folder is None or not FILE_NAME.match(name):
            raise _bad(field, f"{key!r} is not a scenario file of this server (FOLDER/NAME.yaml, "
                              f"FOLDER one of {', '.join(sorted(self.folders))})")
        path = folder / name
        if _real(path).parent != folder or not path.is_file():
            raise _bad(field, f"{key!r}: no such scenario file in the {label} folder")
        return path

    def save_path(self, name: str) -> Path:
        """Where a scenario saved as ``name`` goes: the workspace's top folder."""
        if not FILE_NAME.match(str(name)):
            raise _bad("file", f"{name!r} is not a plain file name ending in .yaml "
                               "(letters, digits, '.', '_', '-'; no folders)")
        path = self.root / name
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise _bad("file", f"{name!r} exists and is not a regular file")
        return path

    def run_dir(self, name: str) -> Path:
        """The folder of a full run called ``name``, under ``runs/``."""
        if not RUN_NAME.match(str(name)):
            raise _bad("run", f"{name!r} is not a plain folder name")
        return self.root / RUNS / name

    def run_file(self, relative: str) -> Path | None:
        """A file of a saved run (``NAME/FILE``), or None when it is not one."""
        parts = str(relative).split("/")
        if len(parts) != 2 or not all(RUN_NAME.match(p) for p in parts):
            return None
        runs = _real(self.root / RUNS)
        path = runs / parts[0] / parts[1]
        if not _real(path).is_relative_to(runs) or not path.is_file():
            return None
        return path

    def scenarios(self) -> list[dict]:
        """Every scenario file of the folders: key, name and title, by folder then name.

        Files that are not scenarios (batch files, topologies, broken YAML) are left out.
        """
        from netplan.io.yamlfile import load_yaml

        found: list[dict] = []
        seen: set[Path] = set()
        for label in ("shipped", "scenarios", "workspace"):
            folder = self.folders[label]
            for path in sorted(folder.glob("*.y*ml")):
                if not FILE_NAME.match(path.name) or _real(path) in seen or not path.is_file():
                    continue
                seen.add(_real(path))
                try:
                    data = load_yaml(path).data
                except ValidationError:
                    continue
                if not isinstance(data, dict) or data.get("kind", "scenario") != "scenario":
                    continue
                found.append({"key": f"{label}/{path.name}", "folder": label,
                              "name": str(data.get("name", path.stem)),
                              "title": str(data.get("title", "")),
                              "title_zh": str(data.get("title_zh", ""))})
        return found


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError([Problem("page", field, message)])
