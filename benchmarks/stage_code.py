"""``starcaster code-digests``: for each command, the sources it runs (benchmarks/code_deps.py) and their sha256, one
file per command. Every DVC stage depends on its command's file instead of a hand-written list of code, so an edit
reruns exactly the stages whose code it changes (tests/pipeline/test_code_deps.py holds the stages to it)."""
from __future__ import annotations

from pathlib import Path

from benchmarks import atomic, code_deps
from benchmarks.cli import COMMANDS

OUT = "data/code"


def describe(command: str) -> dict:
    modules = ("benchmarks.cli", COMMANDS[command][0])
    return {"command": command, "modules": list(modules), "sha256": code_deps.digest(*modules),
            "files": [p.relative_to(code_deps.ROOT).as_posix() for p in code_deps.closure(*modules)]}


def add_arguments(parser) -> None:
    parser.add_argument("--out", default=OUT, help=f"folder of <command>.json (default: {OUT})")


def run(args) -> int:
    out = Path(args.out)
    for command in COMMANDS:
        atomic.write_json(out / f"{command}.json", describe(command))
    for stale in set(out.glob("*.json")) - {out / f"{c}.json" for c in COMMANDS}:
        stale.unlink()
    print(f"code digests of {len(COMMANDS)} commands in {out}")
    return 0
