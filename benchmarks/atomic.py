"""Atomic writes: every output appears whole or not at all (temp file in the same folder, then os.replace).

A temporary is named ``.<name>.<host>-<pid>.<random>``; a process killed before its ``os.replace`` leaves it
behind, and the next process to write into the same folder removes the temporaries whose process no longer runs on
this host (those of a live concurrent writer, or of another host sharing the folder, are left alone).
"""
from __future__ import annotations

import contextlib
import functools
import glob
import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@functools.cache
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname().split(".")[0]) or "host"


def _prefix(path: Path) -> str:
    return f".{path.name}.{_host()}-{os.getpid()}."


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _remove_dead(candidates, own: re.Pattern) -> list[Path]:
    removed = []
    for leftover in candidates:
        match = own.match(leftover.name)
        if match is None or _running(int(match.group(1))):
            continue
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


def remove_leftovers(path: str | os.PathLike) -> list[Path]:
    """Remove the temporaries of ``path`` left by writers on this host that are no longer running; returns them."""
    path = Path(path)
    own = re.compile(rf"\.{re.escape(path.name)}\.{re.escape(_host())}-(\d+)\.")
    return _remove_dead(path.parent.glob(f".{glob.escape(path.name)}.*"), own)


_swept: set[Path] = set()


def _sweep(folder: Path) -> None:
    """Every dead writer's temporaries in ``folder``, once per folder and process: listing the folder before each
    write would cost a feature cache of 100k entries a full listing per entry."""
    folder = folder.absolute()
    if folder in _swept:
        return
    _swept.add(folder)
    own = re.compile(rf"\..+\.{re.escape(_host())}-(\d+)\.")
    _remove_dead((p for p in folder.iterdir() if p.name.startswith(".")), own)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary file path next to ``path``; on success it replaces ``path``.

    ``suffix`` keeps the extension that writers such as PyAV or OpenCV use to pick a format.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path), suffix=suffix or path.suffix or ".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would leak into every output
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n")


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``path`` (an existing folder is swapped out)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep(path.parent)
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(path), dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f"{_prefix(path)}old.", dir=path.parent))
            os.replace(path, old / "x")
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
