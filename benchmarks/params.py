"""Reading params.yaml and switching profiles.

``params/mini.yaml`` holds every value of the default profile; ``params/ci.yaml`` and
``params/paper.yaml`` hold only what differs. ``params.yaml`` (what DVC reads) is the active
profile, rendered by ``starcaster profile NAME``. Profiles differ in values only, never in code.
"""
from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from benchmarks import atomic

PROFILES = ("mini", "ci", "paper")
PARAMS_DIR = Path("params")


def load(path: str | os.PathLike = "params.yaml") -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run from the repository root, or `starcaster profile mini` to create it")
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def render(profile: str, params_dir: str | os.PathLike = PARAMS_DIR) -> dict[str, Any]:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    params_dir = Path(params_dir)
    base = load(params_dir / "mini.yaml")
    if profile != "mini":
        base = deep_merge(base, load(params_dir / f"{profile}.yaml"))
    base["profile"] = profile
    return base


HEADER = "# Active profile, rendered from params/ by `starcaster profile NAME`: edit params/*.yaml, not this file.\n"


def switch(profile: str, out: str | os.PathLike = "params.yaml", params_dir: str | os.PathLike = PARAMS_DIR) -> None:
    """Write the profile to ``out``; a profile that fails the schema raises params_schema.BadParams, writing nothing."""
    from benchmarks import params_schema

    rendered = render(profile, params_dir)
    params_schema.check(rendered)
    text = HEADER + yaml.safe_dump(rendered, sort_keys=False)
    atomic.write_text(out, text)


def add_arguments(parser) -> None:
    parser.add_argument("name", choices=PROFILES, help="profile to make active in params.yaml")


def run(args) -> int:
    from benchmarks import params_schema

    try:
        switch(args.name)
    except params_schema.BadParams as exc:
        print(f"starcaster profile: params/ renders a {args.name!r} profile that does not fit the params schema:",
              *exc.problems, sep="\n  ", file=sys.stderr)
        return 2
    print(f"params.yaml now holds the {args.name!r} profile; `dvc repro` will rerun what it changes")
    return 0
