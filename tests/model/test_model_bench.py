"""scripts/bench_model.py writes its JSON with the sampler's counts (a tiny CPU run)."""
import json

import pytest

from tests.scripts import load_script


def test_bench_writes_json(tmp_path):
    bench = load_script("bench_model")
    out = tmp_path / "bench.json"
    assert bench.main(["--frames", "3", "--steps", "2", "--repeats", "1", "--threads", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["generation"]["denoiser_calls"] == 2 and result["naive_generation"]["denoiser_calls"] == 2
    ours = result["generation"]
    assert 0 < ours["denoiser_seconds"] < ours["seconds"]  # the timer wraps the denoiser's forward, inside the run
    assert result["overhead_ratio"] == pytest.approx(ours["seconds"] / ours["denoiser_seconds"])
    assert result["weights"].startswith("random")
    groups = result["paper_parameters"]
    assert groups["denoiser_total"] == sum(v for k, v in groups.items() if k not in ("reference_unet", "denoiser_total"))
