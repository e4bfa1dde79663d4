"""The ci drift gate against runs of the same code on other CPU families (tests/benchmarks/data/ci_platforms.json:
a Xeon with AVX-512, an AMD EPYC without it, an AMD EPYC with it, none holding the libraries' kernels): each passes
against the committed reference under the committed ci tolerances, and a change of the size the gate exists to
catch still fails on every platform."""
import json
from pathlib import Path

import pytest

from benchmarks import drift, machine, params

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = json.loads((Path(__file__).parent / "data" / "ci_platforms.json").read_text())
P = params.render("ci", ROOT / "params")
REFERENCE, BLESSED_ON = drift.read_reference(ROOT / P["drift"]["reference_dir"] / "ci.json")


def _gate(current: dict) -> list[drift.Drift]:
    cfg = P["drift"]
    return drift.compare(REFERENCE, current, cfg["tolerances"], cfg["platform"]["tolerances"], drift.trained_results(current, P))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_other_cpu_families_pass(name):
    sample = SAMPLES[name]
    assert machine.differences(sample["platform"], BLESSED_ON)  # another platform: the platform class applies
    assert _gate(sample["results"]) == [], name


def _scaled(results: dict, where_pred, metric: str, factor: float) -> dict:
    out = json.loads(json.dumps(results))
    for where, summary in out.items():
        if where_pred(where) and isinstance(summary["values"].get(metric), float):
            summary["values"][metric] *= factor
    return out


def test_the_reference_has_the_blessing_platform_and_every_result_of_the_samples():
    assert BLESSED_ON and BLESSED_ON["isa"] and BLESSED_ON["packages"]["torch"]
    for sample in SAMPLES.values():
        assert set(sample["results"]) == set(REFERENCE)


@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("where_pred, metric, factor", [
    (lambda w: w.endswith("/ground_truth"), "psnr", 1.0001),  # the references: exact on every platform
    (lambda w: w.endswith("/static_reference"), "lse_c", 1.001),
    (lambda w: w.endswith("/ground_truth"), "fvd", 1.01),
    (lambda w: "/starcaster" in w, "lse_c", 1.3),  # trained methods: beyond twice the measured spread
    (lambda w: "/starcaster" in w, "fvd", 1.05),
    (lambda w: w == "nersemble/starcaster", "psnr", 1.001),
])
def test_a_real_change_fails_on_every_platform(name, where_pred, metric, factor):
    changed = _scaled(SAMPLES[name]["results"], where_pred, metric, factor)
    assert any(d.metric == metric for d in _gate(changed))


def test_a_moved_offset_beyond_one_frame_fails():
    current = json.loads(json.dumps(SAMPLES["amd-epyc-avx2"]["results"]))
    current["th1kh/starcaster"]["values"]["lse_offset"] = REFERENCE["th1kh/starcaster"]["values"]["lse_offset"] + 2
    assert [(d.where, d.metric) for d in _gate(current)] == [("th1kh/starcaster", "lse_offset")]
