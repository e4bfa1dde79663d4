"""Runs killed at a chosen point, the way SIGKILL would leave them: ``os._exit`` skips every ``finally`` and
``atexit``, so the temporaries of the write under way stay on disk exactly as after a kill."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KILLED = 137
REPO = Path(__file__).resolve().parents[1]

# Counts the os.replace calls (each output an atomic write makes appear); exits at the KILL_AT-th, before the output
# appears, or, with KILL_AT=0, writes the count to COUNT_TO at exit.
_KILL_AT_REPLACE = """
import atexit, os, sys
real, count, at = os.replace, 0, int(os.environ["KILL_AT"])
def replace(*args, **kwargs):
    global count
    count += 1
    if count == at:
        os._exit(137)
    return real(*args, **kwargs)
os.replace = replace
if at == 0:
    atexit.register(lambda: open(os.environ["COUNT_TO"], "w").write(str(count)))
from benchmarks import cli
sys.exit(cli.main(sys.argv[1:]))
"""

_LEAVE_TEMPORARY = """
import os, sys
from pathlib import Path
from benchmarks import atomic
target, folder = Path(sys.argv[1]), sys.argv[2] == "dir"
with (atomic.atomic_dir if folder else atomic.atomic_path)(target) as tmp:
    (tmp / "part" if folder else tmp).write_bytes(b"half")
    os._exit(137)
"""


def _env(**extra: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), **extra}


def run_cli(argv: list[str], cwd: Path, kill_at: int, count_to: Path | None = None) -> subprocess.CompletedProcess:
    """``starcaster ARGV`` in ``cwd``, killed at its ``kill_at``-th atomic replace (0: run whole, counting them)."""
    env = _env(KILL_AT=str(kill_at), COUNT_TO=str(count_to or cwd / ".replaces"))
    return subprocess.run([sys.executable, "-c", _KILL_AT_REPLACE, *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def replaces(argv: list[str], cwd: Path) -> int:
    """How many outputs a whole run of ``starcaster ARGV`` makes appear (its atomic replaces)."""
    count_to = cwd / ".replaces"
    done = run_cli(argv, cwd, 0, count_to)
    assert done.returncode == 0, done.stderr
    count = int(count_to.read_text())
    count_to.unlink()
    return count


def leave_temporary(target: Path, folder: bool = False) -> list[Path]:
    """Kill a process in the middle of its atomic write of ``target``; returns the temporaries it left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    before = set(target.parent.iterdir())
    done = subprocess.run([sys.executable, "-c", _LEAVE_TEMPORARY, str(target), "dir" if folder else "file"],
                          env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == KILLED, done.stderr
    left = sorted(set(target.parent.iterdir()) - before)
    assert left and all(p.name.startswith(f".{target.name}.") for p in left), left
    return left


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes: what two runs must agree on."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
