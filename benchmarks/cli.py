"""The one console entry point: ``starcaster <command>``; every DVC stage calls it.

Each command lives in its own module exposing ``add_arguments(parser)`` and ``run(args) -> int``;
modules keep heavy imports (torch, dlib) inside functions so that ``--help`` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from benchmarks import machine, names, warm

TRACEBACK_ENV = "STARCASTER_TRACEBACK"

COMMANDS: dict[str, tuple[str, str]] = {
    "profile": ("benchmarks.params", "switch the active profile (mini, ci, paper) in params.yaml"),
    "minitalk": ("benchmarks.datasets.minitalk", "build the MiniTalk embedded benchmark"),
    "manifest": ("benchmarks.manifests", "write a seeded clip manifest for a benchmark"),
    "prepare": ("benchmarks.prepare", "prepare a benchmark's clips (detect, filter, align, resample, features)"),
    "train": ("model.training.cli", "train the STARCaster network (stage 1: audio-driven motion) on prepared clips"),
    "train-lipreader": ("model.training.lipreader", "train the mini lip encoder on MiniTalk's mouth openings, or import "
                        "the paper's (stage 1's lip-reading loss)"),
    "train-syncnet": ("metrics.syncnet_training", "train SyncNet on the talking-video training sets (MiniTalk in mini/ci) "
                      "for the LSE metric"),
    "generate": ("benchmarks.generate", "run a method (baseline, reference or STARCaster) on a benchmark's clips into runs/<B>/<M>/"),
    "baselines": ("baselines.check", "check the external baseline programs without running a model: clone at the pinned "
                  "commit, interpreter, checkpoints, every argument against the program's own parser"),
    "evaluate": ("metrics.evaluate", "score a method's generated videos against the benchmark's ground truth"),
    "weights": ("metrics.weights", "import (copy + sha256-verify), fetch (download + verify) or list the metric networks' weights files"),
    "report": ("benchmarks.report", "write reports/: Tables 1-3 beside the paper, per-clip drill-down, side-by-side "
               "videos, loss curves, deviations register (md, html, csv, json)"),
    "check-drift": ("benchmarks.drift", "compare metric results with committed reference metrics; non-zero exit on drift"),
    "check-metric-code": ("benchmarks.metric_code", "score the committed metric fixtures with every metric; non-zero "
                          "exit when a value moved"),
    "doctor": ("benchmarks.doctor", "check everything the profile reads (datasets, weights, baseline programs, devices, "
               "disk) without running a model: one table, non-zero exit when something required is missing"),
    "code-digests": ("benchmarks.stage_code", "write data/code/<command>.json: the sources each command runs and their "
                     "sha256 (the DVC stages' code dependencies)"),
    "warm": ("benchmarks.warm", "run a command (e.g. dvc repro) whose starcaster stages fork from one interpreter that "
             "imported torch once"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """All commands are listed; only ``command``'s module is imported (none for the top-level help).

    Every DVC stage is one ``starcaster <command>`` process, so importing the other commands' modules
    (torch, diffusers: ~12 s) would be paid once per stage.
    """
    parser = argparse.ArgumentParser(prog="starcaster", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            importlib.import_module(module).add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # run as a program (every DVC stage): hold the kernels before numpy or torch load
        machine.hold_kernels()
        argv = sys.argv[1:]
    command = next((a for a in argv if not a.startswith("-")), None)
    if os.environ.get(warm.SOCKET_ENV) and command in COMMANDS and command != "warm":
        code = warm.forward(os.environ[warm.SOCKET_ENV], argv)
        if code is not None:
            return code
    args = build_parser(command if command in COMMANDS else None).parse_args(argv)
    try:
        checked_names(args)
    except names.BadName as exc:
        print(f"starcaster {args.command}: {exc}", file=sys.stderr)
        return 2
    problems = params_problems(getattr(args, "params", None))
    if problems:
        print(f"starcaster {args.command}: {args.params} does not fit the params schema (benchmarks/params_schema.py):",
              *problems, sep="\n  ", file=sys.stderr)
        return 2
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except (OSError, ValueError) as exc:  # a missing file, bad data, a refused setting: what to fix, in one line
        if os.environ.get(TRACEBACK_ENV):
            raise
        print(f"starcaster {args.command}: {type(exc).__name__}: {' '.join(str(exc).split())} "
              f"({TRACEBACK_ENV}=1 shows where)", file=sys.stderr)
        return 1


def checked_names(args: argparse.Namespace) -> None:
    """The benchmark and method names a command was given, checked where they enter (benchmarks/names.py)."""
    for what in ("benchmark", "method"):
        given = getattr(args, what, None)
        for name in given if isinstance(given, list) else [given] if given is not None else []:
            names.check(name, f"{what} name")


def params_problems(path: str | None) -> list[str]:
    """What is wrong with a command's params file, one line per key; a missing file is left to the command."""
    if path is None or not Path(path).is_file():
        return []
    import yaml

    from benchmarks import params, params_schema

    try:
        params_schema.check(params.load(path))
    except yaml.YAMLError as exc:
        return [f"not YAML: {' '.join(str(exc).split())}"]
    except params_schema.BadParams as exc:
        return exc.problems
    return []


if __name__ == "__main__":
    sys.exit(main())
