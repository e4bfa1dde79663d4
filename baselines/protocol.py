"""The wrapper protocol: how an external baseline program is called and its output turned into ours.

A wrapper writes the clip's inputs in the layout its program expects, runs it as argument lists
(never a shell string) with the program's own interpreter, working folder, environment and a
timeout, finds what it wrote and normalises it (baselines/normalise.py). Programs live outside the
repository; ``params.yaml`` ``baselines.<method>`` says where (docs/baselines.md).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

from baselines.inputs import SAMPLE_RATE, ClipError, ClipInputs, write_image
from baselines.normalise import Panel, Source, normalise
from benchmarks import atomic, media

LOG_TAIL = 2000  # characters of the program's output kept in a per-clip error


@dataclass(frozen=True)
class ProgramConfig:
    """``baselines.<method>`` of params.yaml. Relative checkpoint paths are inside ``repo``."""

    repo: Path | None
    python: str | None = None  # the program's interpreter (e.g. <conda>/envs/<name>/bin/python)
    conda_env: str | None = None  # alternative to ``python``: run through `conda run -n ENV python`
    env: dict[str, str] = field(default_factory=dict)
    checkpoints: dict[str, str | None] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    timeout_s: float = 3600.0

    @classmethod
    def from_params(cls, section: dict | None, default_timeout_s: float) -> "ProgramConfig":
        s = dict(section or {})
        unknown = set(s) - {"repo", "python", "conda_env", "env", "checkpoints", "options", "timeout_s"}
        if unknown:
            raise ValueError(f"unknown baseline settings {sorted(unknown)}")
        return cls(
            repo=Path(s["repo"]).expanduser() if s.get("repo") else None,
            python=s.get("python"),
            conda_env=s.get("conda_env"),
            env=dict(s.get("env") or {}),
            checkpoints=dict(s.get("checkpoints") or {}),
            options=dict(s.get("options") or {}),
            timeout_s=float(s.get("timeout_s") or default_timeout_s),
        )

    def checkpoint(self, key: str) -> Path:
        path = Path(self.checkpoints[key]).expanduser()
        return path if path.is_absolute() or self.repo is None else self.repo / path


@dataclass(frozen=True)
class Step:
    """One program invocation: arguments after the interpreter, run in ``cwd`` (relative to the repo)."""

    args: list[str]
    cwd: str = "."
    interpreter: bool = True  # False for non-Python entry points (Hallo3's bash script)
    after: Callable[[], None] | None = None  # run once the step succeeded


@dataclass
class Generation:
    commands: list[list[str]]
    normalisation: dict
    seed: int | None = None
    exit_status: int = 0


def run_step(argv: list[str], cwd: Path, env: dict[str, str], timeout_s: float, log: Path) -> None:
    """Run one argument list; a non-zero exit or a timeout becomes a ClipError with the log's tail.

    The program gets its own process group so that a timeout also stops the processes it started.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as fh:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise ClipError(f"timed out after {timeout_s:g} s: {argv[0]} ... ({_tail(log)})", exit_status=None)
    if code != 0:
        raise ClipError(f"exit status {code}: {_tail(log)}", exit_status=code)


def _tail(log: Path) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").strip()
    return text[-LOG_TAIL:] if text else "no output"


def newest_output(folder: Path, pattern: str, since: float, exclude: str | None = None) -> Path:
    """The newest file under ``folder`` matching the glob ``pattern`` written after ``since``."""
    found = [p for p in folder.glob(pattern)
             if p.is_file() and p.stat().st_mtime >= since and not (exclude and p.name.endswith(exclude))]
    if not found:
        raise ClipError(f"the program wrote no output matching {folder}/{pattern}")
    return max(found, key=lambda p: p.stat().st_mtime)


def program_commit(repo: Path) -> str | None:
    """``git rev-parse HEAD`` of the program's clone, None when it is not a git checkout."""
    git = shutil.which("git")
    if git is None or not (repo / ".git").exists():
        return None
    done = subprocess.run([git, "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


class Wrapper:
    """One external method. Subclasses state the program and fill in ``steps`` and ``find_output``."""

    name: ClassVar[str]
    url: ClassVar[str]
    driven_by: ClassVar[str] = "audio"  # audio | video
    checkpoint_keys: ClassVar[tuple[str, ...]] = ()
    panel: ClassVar[Panel | None] = None

    def __init__(self, config: ProgramConfig):
        self.config = config

    # -- what a subclass provides -------------------------------------------------------------
    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        """Write the clip's inputs under ``work`` and return the invocations, in order."""
        raise NotImplementedError

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        raise NotImplementedError

    @property
    def seed(self) -> int | None:
        seed = self.config.options.get("seed")
        return None if seed is None else int(seed)

    # -- shared ---------------------------------------------------------------------------------
    def availability(self) -> str | None:
        """None when the program and its checkpoints are in place, else why not."""
        cfg, where = self.config, f"baselines.{self.name}"
        if cfg.repo is None:
            return f"program not installed: set {where}.repo to a clone of {self.url}"
        if not cfg.repo.is_dir():
            return f"program folder {cfg.repo} not found: clone {self.url} there or fix {where}.repo"
        if cfg.python and not Path(cfg.python).expanduser().is_file():
            return f"interpreter {cfg.python} not found ({where}.python)"
        if not cfg.python and cfg.conda_env and shutil.which("conda") is None:
            return f"conda not found on PATH for {where}.conda_env={cfg.conda_env}"
        for key in self.checkpoint_keys:
            if not cfg.checkpoints.get(key):
                return f"checkpoint {key} not set ({where}.checkpoints.{key}); download it as {self.url} describes"
            if not cfg.checkpoint(key).exists():
                return f"checkpoint {cfg.checkpoint(key)} not found; download it as {self.url} describes"
        return None

    def interpreter(self) -> list[str]:
        if self.config.python:
            return [str(Path(self.config.python).expanduser())]
        if self.config.conda_env:
            return [shutil.which("conda") or "conda", "run", "--no-capture-output", "-n", self.config.conda_env, "python"]
        return ["python"]

    def environment(self) -> dict[str, str]:
        # The program has its own environment: this suite's virtualenv must not leak into it.
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        env.update({k: str(v) for k, v in self.config.env.items()})
        if self.config.python:  # scripts that call `python` themselves find the program's interpreter
            env["PATH"] = str(Path(self.config.python).expanduser().parent) + os.pathsep + env.get("PATH", "")
        return env

    def option(self, key: str) -> str:
        value = self.config.options.get(key)
        if value is None:
            raise ClipError(f"option baselines.{self.name}.options.{key} is not set")
        return str(value)

    def generate(self, clip: ClipInputs, out: Path, work: Path) -> Generation:
        audio = clip.require_audio() if self.driven_by == "audio" else clip.audio
        commands: list[list[str]] = []
        started = time.time()
        for i, step in enumerate(self.steps(clip, work)):
            argv = (self.interpreter() if step.interpreter else []) + [str(a) for a in step.args]
            commands.append(argv)
            atomic.write_json(work / "commands.json", commands)  # kept with the error if the step fails
            run_step(argv, self.config.repo / step.cwd, self.environment(), self.config.timeout_s,
                     work / f"step{i}.log")
            if step.after is not None:
                step.after()
        source = self.find_output(clip, work, started)
        stats = normalise(source, out, size=clip.size, n_frames=clip.n_frames, audio=audio, panel=self.panel)
        return Generation(commands=commands, normalisation=stats, seed=self.seed)


def input_files(clip: ClipInputs, work: Path) -> tuple[Path, Path]:
    """The reference frame as ``<clip_id>.png`` and the audio as a 16 kHz ``<clip_id>.wav`` in ``work``.

    Named after the clip because the programs name their outputs after their inputs.
    """
    image = write_image(work / "inputs" / f"{clip.clip_id}.png", clip.reference_image())
    audio = work / "inputs" / f"{clip.clip_id}.wav"
    media.write_audio(audio, clip.require_audio(), SAMPLE_RATE)
    return image.resolve(), audio.resolve()



def written(path: Path) -> Source:
    """The output file the program was told to write."""
    if not path.is_file():
        raise ClipError(f"the program wrote no {path}")
    return Source(path)


def test_case_config(wrapper: Wrapper, image: Path, audio: Path, out: Path) -> Path:
    """The program's own YAML prompt config (``options.config`` in its clone) with ``test_cases`` set to this clip.

    EchoMimic and AniPortrait read their inputs from ``test_cases: {image: [audio, ...]}``; the rest of the
    config (weight paths relative to the clone) is kept as published.
    """
    import yaml

    base = wrapper.config.repo / wrapper.option("config")
    if not base.is_file():
        raise ClipError(f"{base} not found (baselines.{wrapper.name}.options.config)")
    config = yaml.safe_load(base.read_text(encoding="utf-8")) or {}
    config["test_cases"] = {str(image): [str(audio)]}
    atomic.write_text(out, yaml.safe_dump(config, sort_keys=False))
    return out.resolve()
