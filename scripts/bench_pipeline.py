"""Time the DVC pipeline stage by stage: wall seconds and peak memory of every stage, and a no-op run.

    python scripts/bench_pipeline.py --profile ci --out docs/bench/pipeline_ci.json

Runs ``starcaster warm -- dvc repro --force`` (as ``make repro`` does; ``--cold``: plain ``dvc repro``) on
``--profile`` in a fresh clone of this checkout's HEAD (the virtual environment linked, not rebuilt), so
nothing is reused from earlier runs; then times a no-op ``dvc repro``. ``--in-place`` runs without
``--force`` in this checkout instead: only the stages its changes touch.
Each stage's peak memory is the largest resident set of its process tree, sampled every 0.2 s; with the
warm server that is the stage's fork and its children (the idle server, whose pages the forks share, is
not counted).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from benchmarks import atomic

REPO = Path(__file__).resolve().parents[1]
STAGE_LINE = re.compile(r"^Running stage '([^']+)':")
WARM_SERVER = "from benchmarks.warm import serve"


def clone(workdir: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(REPO), str(workdir)], check=True)
    (workdir / ".venv").symlink_to(REPO / ".venv")
    return workdir


def environment(workdir: Path) -> dict[str, str]:
    # PYTHONPATH: the clone's code, not the editable install's (which points at this checkout)
    return {**os.environ, "PATH": f"{workdir / '.venv' / 'bin'}:{os.environ['PATH']}", "PYTHONPATH": str(workdir)}


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            # the warm server's forks keep its command line; the server itself is the one whose parent lacks it
            if not (WARM_SERVER in " ".join(p.cmdline()) and WARM_SERVER not in " ".join(p.parent().cmdline())):
                total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def timed_repro(workdir: Path, env: dict[str, str], log_path: Path, force: bool = True,
                warm: bool = False) -> tuple[list[dict], float]:
    """``dvc repro [--force]``: per stage (in run order) its seconds and peak MiB; and the total seconds."""
    start = time.monotonic()
    command = ["dvc", "repro", *(["--force"] if force else [])]
    proc = subprocess.Popen(["starcaster", "warm", "--", *command] if warm else command, cwd=workdir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    stages: list[dict] = []
    lock = threading.Lock()

    def read() -> None:
        with open(log_path, "w") as log:
            for line in proc.stdout:
                log.write(line)
                found = STAGE_LINE.match(line)
                if found:
                    now = time.monotonic() - start
                    with lock:
                        if stages:
                            stages[-1]["seconds"] = now - stages[-1].pop("_start")
                        stages.append({"stage": found.group(1), "_start": now, "peak_rss_mib": 0.0})

    reader = threading.Thread(target=read)
    reader.start()
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        rss = tree_rss(watched) / 2**20
        with lock:
            if stages:
                stages[-1]["peak_rss_mib"] = max(stages[-1]["peak_rss_mib"], rss)
        time.sleep(0.2)
    reader.join()
    total = time.monotonic() - start
    if stages:
        stages[-1]["seconds"] = total - stages[-1].pop("_start")
    if proc.returncode:
        raise SystemExit(f"dvc repro failed ({proc.returncode}); log: {log_path}")
    return [{**s, "seconds": round(s["seconds"], 1), "peak_rss_mib": round(s["peak_rss_mib"])} for s in stages], total


def noop_seconds(workdir: Path, env: dict[str, str], runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.monotonic()
        out = subprocess.run(["dvc", "repro"], cwd=workdir, env=env, capture_output=True, text=True, check=True).stdout
        times.append(round(time.monotonic() - start, 1))
        if "Running stage" in out:
            raise SystemExit("the no-op dvc repro ran a stage: the pipeline is not reproducible as committed")
    return times


def by_kind(stages: list[dict]) -> dict[str, dict]:
    """Stages grouped by name before '@' (foreach/matrix instances together), without their file
    (``pipelines/evaluate/dvc.yaml:evaluate@a`` is an ``evaluate``)."""
    kinds: dict[str, dict] = {}
    for s in stages:
        k = kinds.setdefault(s["stage"].split(":")[-1].split("@")[0], {"stages": 0, "seconds": 0.0, "peak_rss_mib": 0})
        k["stages"] += 1
        k["seconds"] = round(k["seconds"] + s["seconds"], 1)
        k["peak_rss_mib"] = max(k["peak_rss_mib"], s["peak_rss_mib"])
    return kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci", help="mini, ci (paper needs the real data and weights)")
    parser.add_argument("--out", type=Path, help="write the results here as JSON")
    parser.add_argument("--workdir", type=Path, help="clone here (default: a temporary folder, removed after)")
    parser.add_argument("--in-place", action="store_true", help="no clone, no --force: `dvc repro` in this checkout")
    parser.add_argument("--cold", action="store_true", help="plain `dvc repro`: every stage imports its packages itself")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        workdir = REPO if args.in_place else clone(args.workdir or Path(tmp) / "repo")
        env = environment(workdir)
        subprocess.run(["starcaster", "profile", args.profile], cwd=workdir, env=env, check=True)
        load_before = os.getloadavg()[0]
        stages, total = timed_repro(workdir, env, Path(tmp) / "repro.log", force=not args.in_place, warm=not args.cold)
        load_after = os.getloadavg()[0]
        noop = noop_seconds(workdir, env)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=workdir, capture_output=True,
                                text=True, check=True).stdout.strip()
    result = {
        "profile": args.profile, "commit": commit, "cpus": os.cpu_count(),
        "run": "dvc repro in the checkout (changed stages only)" if args.in_place else "dvc repro --force in a fresh clone",
        "stages_start": "cold (each its own interpreter)" if args.cold else "warm (forks of `starcaster warm`'s preloaded server)",
        "load_average_1min": {"before": round(load_before, 2), "after": round(load_after, 2)},
        "total_seconds": round(total, 1), "noop_seconds": {"runs": noop, "median": statistics.median(noop)},
        "peak_rss_mib": max((s["peak_rss_mib"] for s in stages), default=0),
        "by_kind": by_kind(stages), "stages": stages,
    }
    for s in stages:
        print(f"{s['seconds']:8.1f} s {s['peak_rss_mib']:7d} MiB  {s['stage']}")
    print(f"{args.profile}: {len(stages)} stages in {total:.0f} s; no-op dvc repro {noop} s")
    if args.out:
        atomic.write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
