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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from baselines.inputs import SAMPLE_RATE, ClipError, ClipInputs, write_image
from baselines.normalise import Panel, Source, normalise
from benchmarks import atomic, media

LOG_TAIL = 2000  # characters of the program's output kept in a per-clip error


@dataclass(frozen=True)
class ProgramConfig:
    """``baselines.<method>`` of params.yaml. Relative checkpoint paths are inside ``repo``."""

    repo: Path | None
    commit: str | None = None  # the pinned commit the wrapper was derived from; None accepts any
    python: str | None = None  # the program's interpreter (e.g. <conda>/envs/<name>/bin/python)
    conda_env: str | None = None  # alternative to ``python``: run through `conda run -n ENV python`
    env: dict[str, str] = field(default_factory=dict)
    checkpoints: dict[str, str | None] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)  # file (relative to repo) -> the hash it must have
    options: dict[str, Any] = field(default_factory=dict)
    timeout_s: float = 3600.0

    @classmethod
    def from_params(cls, section: dict | None, default_timeout_s: float) -> ProgramConfig:
        s = dict(section or {})
        unknown = set(s) - {"repo", "commit", "python", "conda_env", "env", "checkpoints", "sha256", "options",
                            "timeout_s"}
        if unknown:
            raise ValueError(f"unknown baseline settings {sorted(unknown)}")
        return cls(
            # absolute: the program runs in its clone, where a relative path would name another file
            repo=Path(s["repo"]).expanduser().absolute() if s.get("repo") else None,
            commit=str(s["commit"]) if s.get("commit") else None,
            python=s.get("python"),
            conda_env=s.get("conda_env"),
            env=dict(s.get("env") or {}),
            checkpoints=dict(s.get("checkpoints") or {}),
            sha256={str(k): str(v) for k, v in (s.get("sha256") or {}).items()},
            options=dict(s.get("options") or {}),
            timeout_s=float(s.get("timeout_s") or default_timeout_s),
        )

    def checkpoint(self, key: str) -> Path:
        path = Path(self.checkpoints[key]).expanduser()
        return path if path.is_absolute() or self.repo is None else self.repo / path


@dataclass(frozen=True)
class Step:
    """One Python program invocation: arguments after the interpreter, run in ``cwd`` (relative to the repo)."""

    args: list[str]
    cwd: str = "."
    after: Callable[[], None] | None = None  # run once the step succeeded
    python: str | None = None  # another program's interpreter (a preprocessing tool's), else the wrapper's

    def script(self) -> tuple[str, list[str]] | None:
        """(the Python file run, relative to ``cwd``; the arguments it gets)."""
        args = [str(a) for a in self.args]
        while args and args[0] in ("-u", "-B", "-O"):
            args = args[1:]
        if len(args) >= 2 and args[0] == "-m":
            return args[1].replace(".", "/") + ".py", args[2:]
        return (args[0], args[1:]) if args else None


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
            raise ClipError(f"timed out after {timeout_s:g} s: {argv[0]} ... ({_tail(log)})", exit_status=None) from None
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
    """One external method. Subclasses state the program (the facts the preflight checks, each read from the
    program's source at the pinned commit: docs/programs/<name>.md) and fill in ``steps`` and ``find_output``."""

    name: ClassVar[str]
    url: ClassVar[str]
    driven_by: ClassVar[str] = "audio"  # audio | video
    checkpoint_keys: ClassVar[tuple[str, ...]] = ()  # checkpoints passed as arguments (params ``checkpoints``)
    weights: ClassVar[tuple[str, ...]] = ()  # files the program loads from fixed paths in its clone
    published_sha256: ClassVar[dict[str, str]] = {}  # weights file -> the sha256 its publisher gives
    files: ClassVar[tuple[str, ...]] = ()  # files of the clone the run needs (configs), relative to it
    # script run (relative to the clone) -> the files defining its options; "python:pkg/mod.py" names a file of
    # a package installed in the program's interpreter. A script missing here defines its own options.
    parsers: ClassVar[dict[str, tuple[str, ...]]] = {}
    seeding: ClassVar[str]  # how the program's randomness is fixed, or why it cannot be
    raw_size: ClassVar[tuple[int, int] | None] = None  # the frame size the program writes, where it is fixed
    muxes_audio: ClassVar[bool] = False  # the program muxes the driving audio: a silent video means a failed mux
    panel: ClassVar[Panel | None] = None
    # How the target camera of a novel-view clip reaches the program; None: it cannot, and ``own_view`` says what
    # it renders instead (the method is then not scored on novel-view benchmarks).
    target_camera: ClassVar[str | None] = None
    own_view: ClassVar[str] = "renders the reference image's own view"

    def __init__(self, config: ProgramConfig, novel_view: bool = False):
        self.config = config
        self.novel_view = novel_view

    # -- what a subclass provides -------------------------------------------------------------
    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        """Write the clip's inputs under ``work`` and return the invocations, in order."""
        raise NotImplementedError

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        raise NotImplementedError

    def extra_problems(self) -> list[str]:
        """Problems of this program's clone that the generic preflight cannot see (each naming the fix)."""
        return []

    @property
    def seed(self) -> int | None:
        seed = self.config.options.get("seed")
        return None if seed is None else int(seed)

    # -- shared ---------------------------------------------------------------------------------
    def availability(self) -> str | None:
        """None when the preflight (baselines/check.py) finds nothing wrong, else its problems, each naming the fix."""
        from baselines.check import preflight

        if self.novel_view and self.target_camera is None:
            return f"no target-camera control: the program {self.own_view}, so its video is not scored as a novel view"
        problems = preflight(self)
        return "; ".join(problems) if problems else None

    def interpreter(self) -> list[str]:
        if self.config.python:
            return [str(Path(self.config.python).expanduser())]
        if self.config.conda_env:
            return [shutil.which("conda") or "conda", "run", "--no-capture-output", "-n", self.config.conda_env, "python"]
        return ["python"]

    def environment(self, python: str | None = None) -> dict[str, str]:
        """The program's environment; ``python``: a step's own interpreter (a preprocessing tool's)."""
        # The program has its own environment: this suite's virtualenv must not leak into it.
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        env.update({k: str(v) for k, v in self.config.env.items()})
        python = python or self.config.python
        if python:  # scripts that call `python` themselves (EG3D's preprocessing) find the same interpreter
            env["PATH"] = str(Path(python).expanduser().parent) + os.pathsep + env.get("PATH", "")
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
        log = None
        for i, step in enumerate(self.steps(clip, work)):
            argv = ([step.python] if step.python else self.interpreter()) + [str(a) for a in step.args]
            commands.append(argv)
            atomic.write_json(work / "commands.json", commands)  # kept with the error if the step fails
            log = work / f"step{i}.log"
            run_step(argv, self.config.repo / step.cwd, self.environment(step.python), self.config.timeout_s, log)
            if step.after is not None:
                try:
                    step.after()
                except ClipError as exc:
                    raise _after_exit_0(exc, log) from exc
        try:
            source = self.find_output(clip, work, started)
            self.accept_source(source)
            stats = normalise(source, out, size=clip.size, n_frames=clip.n_frames, audio=audio, panel=self.panel,
                              frame_size=clip.frame_size)
            if self.raw_size is not None and self.panel is None and tuple(stats["raw_size"]) != tuple(self.raw_size):
                raise ClipError(f"the program wrote {stats['raw_size'][0]}x{stats['raw_size'][1]} frames, "
                                f"not its {self.raw_size[0]}x{self.raw_size[1]}")
            accept_output(out, clip, audio)
        except ClipError as exc:
            raise _after_exit_0(exc, log) from exc
        return Generation(commands=commands, normalisation=stats, seed=self.seed)

    def accept_source(self, source: Source) -> None:
        """Refuse a raw output that cannot be the finished video (a program that muxes audio wrote a silent one)."""
        if self.muxes_audio and source.path.is_file() and not media.probe(source.path).has_audio:
            raise ClipError(f"{source.path.name} has no audio track: the program's own mux step did not finish")


def _after_exit_0(exc: ClipError, log: Path | None) -> ClipError:
    """An output found wrong after the program exited 0: several programs exit 0 after an error
    (docs/programs/), so what they printed says why."""
    return ClipError(f"{exc}; the program's last output: {_tail(log) if log else 'none'}", exit_status=0)


def accept_output(out: Path, clip: ClipInputs, audio) -> None:
    """The normalised video is accepted by its content: it decodes to the clip's frame count and size, with audio
    where the clip has it."""
    try:
        info = media.probe(out)
    except media.MediaError as exc:
        raise ClipError(f"the normalised video does not decode: {exc}") from exc
    problems = []
    if info.n_frames != clip.n_frames:
        problems.append(f"{info.n_frames} frames, not {clip.n_frames}")
    if (info.width, info.height) != tuple(clip.size):
        problems.append(f"{info.width}x{info.height}, not {clip.size[0]}x{clip.size[1]}")
    if (audio is not None) != info.has_audio:
        problems.append("audio missing" if audio is not None else "an audio track where the clip has none")
    if problems:
        raise ClipError("the normalised video is wrong: " + ", ".join(problems))


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
