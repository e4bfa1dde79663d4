"""One rule for the names the suite turns into file and folder names: clip ids, method names, benchmark names.

A name becomes ``runs/<benchmark>/<method>/<clip_id>.{mp4,json}``, ``<manifests.dir>/<benchmark>.jsonl`` and
``<metrics.out_dir>/<benchmark>/<method>.json``; a name that is a path component of its own (``..``), holds a
separator or a control character, is hidden (``.work``, the suite's per-clip working folders) or is one the suite
writes beside them (``summary``: ``summary.json``) would name another file, or delete one.
"""
from __future__ import annotations

MAX_LENGTH = 200  # file names carry a suffix; most file systems stop at 255 bytes
RESERVED = frozenset({"summary"})  # runs/<B>/<M>/summary.json


class BadName(ValueError):
    """A clip, method or benchmark name that the suite cannot use as a file name."""


def check(name: object, what: str) -> str:
    """``name`` if the suite can use it as ``what`` (e.g. "clip id"), else a BadName saying why."""
    if not isinstance(name, str) or not name:
        raise BadName(f"bad {what} {name!r}: it must be a non-empty string")
    reason = None
    if name in (".", "..") or name.startswith("."):
        reason = "it starts with '.' (a path component, or a hidden name the suite uses for its working folders)"
    elif any(c in name for c in "/\\"):
        reason = "it holds a path separator"
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        reason = "it holds a control character"
    elif name.lower() in RESERVED:
        reason = f"the suite writes {name}.json beside the clips"
    elif len(name.encode("utf-8")) > MAX_LENGTH:
        reason = f"it is longer than {MAX_LENGTH} bytes"
    if reason:
        raise BadName(f"bad {what} {name!r}: {reason}")
    return name
