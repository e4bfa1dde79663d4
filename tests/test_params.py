from pathlib import Path

import pytest
import yaml

from benchmarks import params

ROOT = Path(__file__).resolve().parents[1]


def test_committed_params_yaml_is_the_rendered_mini_profile():
    assert params.load(ROOT / "params.yaml") == params.render("mini", ROOT / "params")


@pytest.mark.parametrize("profile", params.PROFILES)
def test_profiles_share_every_key(profile):
    def keys(d, prefix=""):
        return {prefix + k for k in d} | {x for k, v in d.items() if isinstance(v, dict) for x in keys(v, f"{prefix}{k}.")}

    rendered = params.render(profile, ROOT / "params")
    assert rendered["profile"] == profile
    # overrides may change values but never introduce keys mini lacks: profiles differ in values only
    assert keys(rendered) == keys(params.render("mini", ROOT / "params"))


def test_switch_writes_the_profile(tmp_path):
    out = tmp_path / "params.yaml"
    params.switch("ci", out, ROOT / "params")
    assert yaml.safe_load(out.read_text())["profile"] == "ci"
    with pytest.raises(ValueError, match="unknown profile"):
        params.render("huge", ROOT / "params")


@pytest.mark.parametrize("profile", ["mini", "ci"])
def test_embedded_profiles_read_minitalk_where_it_is_built(profile):
    from benchmarks.datasets.minitalk import own_layout

    rendered = params.render(profile, ROOT / "params")
    assert rendered["datasets"] == own_layout(rendered["minitalk"]["out"])


@pytest.mark.parametrize("profile", params.PROFILES)
def test_starcaster_generates_at_least_the_scored_window(profile):
    rendered = params.render(profile, ROOT / "params")
    window, generated = rendered["metrics"]["max_frames"], rendered["baselines"]["starcaster"]["max_frames"]
    assert generated is None or (window is not None and generated >= window)


# the metric (metrics/ registry name) whose result holds each column of the report's tables
COLUMN_SOURCE = {"lse_c": "lse", "lse_d": "lse", "identity": "csim"}


@pytest.mark.parametrize("profile", params.PROFILES)
def test_every_benchmark_is_scored_with_what_its_report_tables_show(profile):
    from benchmarks.report.tables import TITLES
    from metrics.evaluate import benchmark_metrics

    rendered = params.render(profile, ROOT / "params")
    tables = yaml.safe_load((ROOT / "benchmarks" / "paper_results.yaml").read_text())
    needed: dict[str, set] = {}
    for table in map(tables.get, TITLES):
        for benchmark in table["benchmarks"]:
            needed.setdefault(benchmark, set()).update(COLUMN_SOURCE.get(m, m) for m in table["metrics"])
    for benchmark, metrics in needed.items():
        assert metrics == set(benchmark_metrics(rendered["metrics"], benchmark)), benchmark


@pytest.mark.parametrize("profile", params.PROFILES)
def test_the_scored_benchmarks_are_the_tables_in_the_reproduction_profiles_and_a_subset_in_ci(profile):
    from benchmarks.manifests import BENCHMARKS
    from benchmarks.report.tables import TITLES

    rendered = params.render(profile, ROOT / "params")
    scored, audio = rendered["evaluation"]["benchmarks"], rendered["evaluation"]["audio_benchmarks"]
    tables = yaml.safe_load((ROOT / "benchmarks" / "paper_results.yaml").read_text())
    in_tables = {b for key in TITLES for b in tables[key]["benchmarks"]}
    assert set(audio) <= set(scored) <= in_tables <= set(BENCHMARKS)
    assert len(set(scored)) == len(scored) and len(set(audio)) == len(audio)
    assert set(tables["table2"]["benchmarks"]) <= set(scored)  # the novel-view stage scores nersemble
    if profile != "ci":  # the paper's protocol: every table's benchmarks, the ablations on Table 3's
        assert set(scored) == in_tables and set(audio) == set(tables["table3"]["benchmarks"])
    else:
        assert audio  # every STARCaster mode and ablation still generates and is scored somewhere
