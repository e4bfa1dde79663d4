"""A params file pointing every baseline wrapper at a folder of clones, for `starcaster baselines check`.

    python scripts/baselines_check_params.py --clones /opt/baselines --python /opt/envs/check/bin/python > check.yaml
    starcaster baselines check --params check.yaml

The clones are named as their repositories (AniTalker, EchoMimic, V-Express, AniPortrait, hallo3, float, GOHA,
Portrait-4D, Real3DPortrait; GOHA's preprocessing programs eg3d and MODNet beside them); everything else comes from
params.yaml (docs/programs/check.md).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

CLONES = {"anitalker": "AniTalker", "echomimic": "EchoMimic", "vexpress": "V-Express", "aniportrait": "AniPortrait",
          "hallo3": "hallo3", "float": "float", "goha": "GOHA", "portrait4d": "Portrait-4D",
          "real3dportrait": "Real3DPortrait"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clones", required=True, type=Path, help="folder holding the clones")
    parser.add_argument("--python", required=True, help="the interpreter to run (and locate packages in)")
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = yaml.safe_load(Path(args.params).read_text())
    clones = args.clones.absolute()
    for name, folder in CLONES.items():
        params["baselines"][name].update(repo=str(clones / folder), python=args.python)
    params["baselines"]["goha"]["options"].update(eg3d=str(clones / "eg3d"), modnet=str(clones / "MODNet"))
    yaml.safe_dump(params, sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
