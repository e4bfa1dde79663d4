"""``starcaster baselines check [--method M]``: the preflight of the external programs; runs no model.

For each wrapper: the clone against its pinned commit (``baselines.<name>.commit``), the interpreter, the files the
run needs and every checkpoint the program loads, and every flag the wrapper passes against the options the program's
own parser defines, read from its source (baselines/parsers.py) so that a missing heavy dependency does not stop the
check. The command lines checked are the ones ``generate`` would run, built for a one-second synthetic clip. One line
per problem, each naming the fix; ``generate`` runs the same check first and refuses a method that fails it.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from baselines.inputs import ClipError
from baselines.parsers import Option, flags_passed, read_options
from baselines.protocol import Step, Wrapper, program_commit
from benchmarks.hashing import sha256_file

INTERPRETER_TIMEOUT_S = 120
FIND_FILES = (  # run in the program's interpreter: where each "pkg/mod.py" lives, without importing the package
    "import importlib.util, os, sys\n"
    "for rel in sys.argv[1:]:\n"
    "    spec = importlib.util.find_spec(rel.split('/')[0])\n"
    "    roots = list(spec.submodule_search_locations or []) if spec else []\n"
    "    found = [os.path.join(os.path.dirname(r), rel) for r in roots]\n"
    "    print(next((f for f in found if os.path.isfile(f)), ''))\n"
)


def preflight(wrapper: Wrapper) -> list[str]:
    """Every problem that would stop (or silently change) a run of ``wrapper``'s program, one line each."""
    cfg, where = wrapper.config, f"baselines.{wrapper.name}"
    if cfg.repo is None:
        return [f"program not installed: set {where}.repo to a clone of {wrapper.url}"]
    if not cfg.repo.is_dir():
        return [f"program folder {cfg.repo} not found: clone {wrapper.url} there or fix {where}.repo"]
    problems = _commit_problems(wrapper) + _file_problems(wrapper) + wrapper.extra_problems()
    interpreter_problem = _interpreter_problem(wrapper)
    if interpreter_problem:
        return problems + [interpreter_problem]
    return problems + _argument_problems(wrapper)


def _commit_problems(wrapper: Wrapper) -> list[str]:
    cfg, where = wrapper.config, f"baselines.{wrapper.name}"
    if cfg.commit is None:
        return []
    head = program_commit(cfg.repo)
    if head is None:
        return [f"{cfg.repo} is not a git clone, so it cannot be checked against the pinned commit {cfg.commit}: "
                f"git clone {wrapper.url} and check out {cfg.commit}"]
    if head != cfg.commit:
        return [f"{cfg.repo} is at {head}, the wrapper was derived from {cfg.commit}: git -C {cfg.repo} checkout "
                f"{cfg.commit}, or set {where}.commit: null to run another commit on purpose"]
    return []


def _file_problems(wrapper: Wrapper) -> list[str]:
    cfg, where = wrapper.config, f"baselines.{wrapper.name}"
    problems = [f"{cfg.repo / rel} not found: the clone is incomplete (git -C {cfg.repo} status)"
                for rel in wrapper.files if not (cfg.repo / rel).exists()]
    for key in wrapper.checkpoint_keys:
        if not cfg.checkpoints.get(key):
            problems.append(f"checkpoint {key} not set ({where}.checkpoints.{key}); download it as {wrapper.url} describes")
        elif not cfg.checkpoint(key).exists():
            problems.append(f"checkpoint {cfg.checkpoint(key)} not found: download it as {wrapper.url} describes")
    problems += [f"checkpoint {cfg.repo / rel} not found (the program loads it from this fixed path): download it as "
                 f"{wrapper.url} describes" for rel in wrapper.weights if not (cfg.repo / rel).exists()]
    for rel, expected in {**wrapper.published_sha256, **cfg.sha256}.items():
        if (cfg.repo / rel).is_file() and sha256_file(cfg.repo / rel) != expected:
            problems.append(f"checkpoint {cfg.repo / rel} does not have the sha256 {expected} ({where}.sha256 or the "
                            f"publisher's): download it again as {wrapper.url} describes")
    return problems


def _run_interpreter(wrapper: Wrapper, code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*wrapper.interpreter(), "-c", code, *args], capture_output=True, text=True,
                          env=wrapper.environment(), cwd=wrapper.config.repo, timeout=INTERPRETER_TIMEOUT_S)


def _interpreter_problem(wrapper: Wrapper) -> str | None:
    cfg, where = wrapper.config, f"baselines.{wrapper.name}"
    if cfg.python and not Path(cfg.python).expanduser().is_file():
        return f"interpreter {cfg.python} not found: fix {where}.python"
    try:
        done = _run_interpreter(wrapper, "import sys")
    except (OSError, subprocess.TimeoutExpired) as exc:
        done = subprocess.CompletedProcess([], 1, "", str(exc))
    if done.returncode != 0:
        what = f"conda env {cfg.conda_env}" if cfg.conda_env and not cfg.python else f"interpreter {wrapper.interpreter()[0]}"
        return (f"{what} does not start ({done.stderr.strip()[-300:] or f'exit {done.returncode}'}): "
                f"set {where}.python or {where}.conda_env to the program's environment")
    return None


def _argument_problems(wrapper: Wrapper) -> list[str]:
    with tempfile.TemporaryDirectory(prefix=f"check-{wrapper.name}-") as tmp:
        try:
            steps = wrapper.steps(synthetic_clip(Path(tmp)), Path(tmp) / "work")
        except ClipError as exc:
            return [str(exc)]
        problems: list[str] = []
        parsed: dict[str, tuple[dict[str, Option], list[str]]] = {}  # the preprocessing runs once per folder
        for step in steps:
            problems += _step_problems(wrapper, step, parsed)
        return list(dict.fromkeys(problems))


def _step_problems(wrapper: Wrapper, step: Step, parsed: dict) -> list[str]:
    repo = wrapper.config.repo
    entry = step.script()
    if entry is None:
        return ["a step without arguments"]
    script, args = entry
    path = (repo / step.cwd / script).resolve()
    if not path.is_file():
        return [f"entry point {path} not found: the clone does not match the wrapper (pinned commit "
                f"{wrapper.config.commit or 'none'})"]
    rel = path.relative_to(repo.resolve()).as_posix() if path.is_relative_to(repo.resolve()) else str(path)
    if rel not in parsed:
        parsed[rel] = _options(wrapper, rel)
    options, problems = parsed[rel][0], list(parsed[rel][1])
    if not options:
        return problems + [f"{rel} defines no command-line options the check can read"]
    for flag, following in flags_passed(args):
        option = options.get(flag)
        if option is None:
            problems.append(f"{rel} defines no option {flag}, which the wrapper passes: the program's parser "
                            f"({', '.join(_sources(wrapper, rel))}) does not match the wrapper")
        elif not option.takes_value and following is not None and not following.startswith("-") and "=" not in flag:
            problems.append(f"{rel} option {flag} ({option.where}) takes no value, but the wrapper passes {following!r}")
    return problems


def _sources(wrapper: Wrapper, rel: str) -> tuple[str, ...]:
    return wrapper.parsers.get(rel, (rel,))


def _options(wrapper: Wrapper, rel: str) -> tuple[dict[str, Option], list[str]]:
    options: dict[str, Option] = {}
    problems = []
    installed = [s.removeprefix("python:") for s in _sources(wrapper, rel) if s.startswith("python:")]
    located = dict(zip(installed, _locate_installed(wrapper, installed))) if installed else {}
    for source in _sources(wrapper, rel):
        if source.startswith("python:"):
            found = located.get(source.removeprefix("python:"))
            if not found:
                problems.append(f"{source.removeprefix('python:')} (part of {rel}'s options) is not installed in the "
                                f"program's interpreter: install the program's requirements")
                continue
            file, shown = Path(found), source
        else:
            file, shown = wrapper.config.repo / source, source
        if not file.is_file():
            problems.append(f"{file} (part of {rel}'s options) not found")
            continue
        for flag, option in read_options(file, shown).items():
            options.setdefault(flag, option)
    return options, problems


def _locate_installed(wrapper: Wrapper, files: list[str]) -> list[str]:
    done = _run_interpreter(wrapper, FIND_FILES, *files)
    lines = done.stdout.splitlines() if done.returncode == 0 else []
    return (lines + [""] * len(files))[: len(files)]


def synthetic_clip(folder: Path):
    """A one-second 64x64 clip with audio, a reference view and cameras: enough to build every command line."""
    import numpy as np

    from baselines.inputs import ClipInputs
    from benchmarks import media
    from benchmarks.records import Camera, ClipRecord

    frames = np.full((25, 64, 64, 3), 128, np.uint8)
    tone = (0.1 * np.sin(2 * np.pi * 220 * np.arange(16000) / 16000)).astype(np.float32)
    media.write_video(folder / "clip.mp4", frames, 25, audio=tone)
    K = [[60.0, 0, 32], [0, 60.0, 32], [0, 0, 1]]

    def view(x: float) -> Camera:
        return Camera.from_arrays(f"view{x}", K, [[1, 0, 0, x], [0, 1, 0, 0], [0, 0, 1, 1.0], [0, 0, 0, 1]], (64, 64))

    record = ClipRecord(clip_id="check", dataset="check", split="eval", video="clip.mp4", audio=None, fps=25.0,
                        n_frames=25, identity="check", camera=view(0.3), reference_video="clip.mp4",
                        reference_camera=view(0.0))
    return ClipInputs(record, folder)


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=["check"], help="check: the preflight of the external programs")
    parser.add_argument("--method", action="append", help="a wrapper's name (repeatable; default: all nine)")
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")


def run(args) -> int:
    from baselines import registry
    from benchmarks import params as params_mod

    params = params_mod.load(args.params)
    names = args.method or list(registry.WRAPPERS)
    unknown = [n for n in names if n not in registry.WRAPPERS]
    if unknown:
        print(f"unknown method(s) {unknown}; the wrappers are: {', '.join(registry.WRAPPERS)}")
        return 2
    failed = 0
    for name in names:
        wrapper = registry.get(name, params)
        cfg = wrapper.config
        problems = preflight(wrapper)
        head = program_commit(cfg.repo) if cfg.repo and cfg.repo.is_dir() else None
        print(f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'} "
              f"(repo {cfg.repo}, commit {head or '-'}, pinned {cfg.commit or '-'})")
        for problem in problems:
            print(f"  {name}: {problem}")
        failed += bool(problems)
    return 1 if failed else 0
