"""scripts/bench_pipeline.py: per-stage seconds and peak memory of a real `dvc repro` in a scratch repo."""
import os
import subprocess
import sys
from pathlib import Path

from tests.scripts import load_script


def _bench():
    return load_script("bench_pipeline")


def test_stages_are_timed_in_run_order_with_their_peak_memory(tmp_path):
    bench = _bench()
    py = sys.executable
    (tmp_path / "dvc.yaml").write_text(
        "stages:\n"
        f"  nap:\n    cmd: {py} -c \"import time; time.sleep(1.5); open('a', 'w').write('a')\"\n    outs: [a]\n"
        f"  hog:\n    cmd: {py} -c \"import time; b = b'x' * (300 * 2**20); time.sleep(1.0); open('b', 'w').write('b')\"\n"
        "    deps: [a]\n    outs: [b]\n")
    env = {**os.environ, "PATH": f"{Path(py).parent}:{os.environ['PATH']}"}
    subprocess.run(["dvc", "init", "--no-scm", "-q"], cwd=tmp_path, env=env, check=True)
    stages, total = bench.timed_repro(tmp_path, env, tmp_path / "repro.log")
    assert [s["stage"] for s in stages] == ["nap", "hog"]
    nap, hog = stages
    assert nap["seconds"] >= 1.5 and hog["seconds"] >= 1.0 and total >= nap["seconds"] + hog["seconds"]
    assert hog["peak_rss_mib"] >= 300 > nap["peak_rss_mib"]
    stages = [{"stage": "ev@a", "seconds": 1.0, "peak_rss_mib": 5},
              {"stage": "pipelines/x/dvc.yaml:ev@b", "seconds": 2.0, "peak_rss_mib": 9}, nap]
    assert bench.by_kind(stages) == {"ev": {"stages": 2, "seconds": 3.0, "peak_rss_mib": 9},
                                     "nap": {"stages": 1, "seconds": nap["seconds"], "peak_rss_mib": nap["peak_rss_mib"]}}
    assert bench.noop_seconds(tmp_path, env, runs=1)[0] > 0
