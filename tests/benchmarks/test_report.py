import html
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from benchmarks import media, params, report
from benchmarks.report import curves, videos
from tests.pipeline.files import stage_definitions

from . import report_tree
from .report_tree import CLIPS, COLOURS, ERROR

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tree = report_tree.build(tmp_path_factory.mktemp("tree"))
    rendered = report.write_report(tree["results"], tree["runs"], tree["out"], None, [tree["models"]], videos_per_benchmark=2,
                                   video_seconds=0.8)
    return tree, rendered


def test_drilldown_pages_list_every_clip_with_values_and_errors(built):
    tree, _ = built
    out = tree["out"]
    md, page = (out / "README.md").read_text(), (out / "index.html").read_text()
    for bench in ("th1kh", "nersemble"):
        assert f"(clips/{bench}.md)" in md and f"href='clips/{bench}.html'" in page
        clip_md, clip_html = (out / "clips" / f"{bench}.md").read_text(), (out / "clips" / f"{bench}.html").read_text()
        for text in (clip_md, clip_html):
            assert all(text.count(clip) >= 3 for clip in CLIPS)  # one row per method result
            assert text.count(ERROR) == 3
            assert "pose_std_rad100" in text and "fid.n_features" in text and "21" in text  # clip_b's psnr
    assert "- hallo3: not available: program not found: hallo3.repo unset" in (out / "clips" / "th1kh.md").read_text()
    # paper methods without results are listed with the tables' reason; table 2's only on NeRSemble
    assert "- anitalker: not run in this profile" in (out / "clips" / "th1kh.md").read_text()
    assert "goha" in (out / "clips" / "nersemble.md").read_text() and "goha" not in (out / "clips" / "th1kh.md").read_text()
    # the clips that have a side-by-side video link to it
    assert "(../videos/th1kh/clip_b.mp4)" in (out / "clips" / "th1kh.md").read_text()
    assert "clip_a](" not in (out / "clips" / "th1kh.md").read_text()


def test_side_by_side_panels_follow_ground_truth_starcaster_baselines(built):
    tree, rendered = built
    th1kh = [v for v in rendered["videos"] if v["benchmark"] == "th1kh"]
    assert [v["clip_id"] for v in th1kh] == ["clip_b", "clip_c"]  # the clips every method has
    assert not [v for v in rendered["videos"] if v["benchmark"] == "nersemble"]  # no runs there
    for v in th1kh:
        assert v["methods"] == ["ground_truth", "starcaster", "static_reference"]
        video = tree["out"] / v["video"]
        info = media.probe(video)
        panel_w = videos._even(report_tree.SIZE[1] * 96 / report_tree.SIZE[0])
        assert (info.width, info.height, info.n_frames) == (3 * panel_w, 96 + videos.LABEL_HEIGHT, 20)
        assert info.has_audio  # the ground truth's speech
        poster = np.asarray(Image.open(tree["out"] / v["poster"]).convert("RGB")).astype(int)
        assert poster.shape == (info.height, info.width, 3)
        for k, method in enumerate(v["methods"]):
            centre = poster[videos.LABEL_HEIGHT + 48, k * panel_w + panel_w // 2]
            assert np.abs(centre - COLOURS[method]).max() < 30, (method, centre)
        assert media.read_video(video).shape[0] == 20
    assert "<video controls muted preload='none' poster='videos/th1kh/clip_b.png' src='videos/th1kh/clip_b.mp4'>" in \
        (tree["out"] / "index.html").read_text()
    md = (tree["out"] / "README.md").read_text()
    assert "[![th1kh / clip_b](videos/th1kh/clip_b.png)](videos/th1kh/clip_b.mp4)" in md
    assert "th1kh / clip_b: ground_truth | starcaster | static_reference\n" in md


def test_unreadable_video_is_left_out_with_its_reason(tmp_path):
    runs = tmp_path / "runs"
    report_tree.write_run(runs, "th1kh", "ground_truth", ["clip_a"], n_frames=10)
    report_tree.write_run(runs, "th1kh", "starcaster", ["clip_a"], n_frames=10)
    (runs / "th1kh" / "starcaster" / "clip_a.mp4").write_bytes(b"not a video")
    [record] = videos.write_videos(runs, tmp_path / "videos", 2, seconds=0.4)
    assert record["methods"] == ["ground_truth"] and "cannot open" in record["unreadable"]["starcaster"]
    assert "left out, unreadable: starcaster:" in videos.caption(record)
    assert media.probe(tmp_path / "videos" / record["video"]).n_frames == 10


def test_report_media_are_byte_identical_on_rerun_and_stale_files_go(built, tmp_path):
    tree, rendered = built
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "stale.mp4").write_bytes(b"old")
    again = report.write_report(tree["results"], tree["runs"], tmp_path, None, [tree["models"]], videos_per_benchmark=2,
                                video_seconds=0.8)
    files = [v["video"] for v in again["videos"]] + [v["poster"] for v in again["videos"]] + [c["figure"] for c in again["curves"]]
    assert files and all((tmp_path / f).read_bytes() == (tree["out"] / f).read_bytes() for f in files)
    assert not (tmp_path / "videos" / "stale.mp4").exists()
    assert (tmp_path / "README.md").read_text() == (tree["out"] / "README.md").read_text()


def test_loss_curves_are_drawn_and_labelled(built):
    tree, rendered = built
    by_run = {c["run"]: c for c in rendered["curves"]}
    assert set(by_run) == {"stage1", "ablations/no_lipreading"}
    assert by_run["stage1"]["random_init"] and "random initial weights" in by_run["stage1"]["title"]
    assert not by_run["ablations/no_lipreading"]["random_init"]
    assert "random initial weights" not in by_run["ablations/no_lipreading"]["title"]
    assert by_run["stage1"]["series"] == ["probe/loss", "train/loss", "train/lr"]
    assert by_run["stage1"]["probe"] == {"first_step": 0, "first": 0.5, "last_step": 12, "last": 0.4,
                                         "change": pytest.approx(-0.2)}
    assert by_run["ablations/no_lipreading"]["probe"] is None  # no probe series
    md, page = (tree["out"] / "README.md").read_text(), (tree["out"] / "index.html").read_text()
    for c in rendered["curves"]:
        image = np.asarray(Image.open(tree["out"] / c["figure"]).convert("L"), dtype=float)
        assert image.std() > 5  # drawn, not blank
        assert f"]({c['figure']})" in md and f"src='{c['figure']}'" in page and c["title"] in page
    probe = "0.5 at step 0 -> 0.4 at step 12 (-20.0%)"
    assert f"| stage1 | {probe} |" in md and f"<td>stage1</td><td>{html.escape(probe)}</td>" in page
    assert "| ablations/no_lipreading |" not in md


def test_curve_label_names_the_profile():
    label = {"profile": "ci", "model_preset": "mini", "random_init": True}
    assert curves.label_text("stage2", label) == "stage2 - profile ci - model preset mini - random initial weights"


def test_deviations_register_in_both_outputs(built):
    tree, _ = built
    deviations = yaml.safe_load((ROOT / "benchmarks" / "deviations.yaml").read_text())["deviations"]
    md, page = (tree["out"] / "README.md").read_text(), (tree["out"] / "index.html").read_text()
    assert "## Deviations register" in md and "<section id='deviations'><h2>Deviations register</h2>" in page
    for d in deviations:
        assert f"| {d['id']} | {d['topic']} |" in md
        assert f"<td>{d['id']}</td><td>{d['topic']}</td>" in page


def test_metric_variants_never_share_a_table(tmp_path):
    tree = report_tree.build(tmp_path)
    other = dict(report_tree.VARIANTS, fid={"features": "pytorch-fid InceptionV3 weights"})
    report_tree.write_json(tree["results"] / "th1kh" / "starcaster.json", report_tree.result("th1kh", "starcaster", variants=other))
    rendered = report.write_report(tree["results"], tmp_path / "no-runs", tree["out"])
    table1 = [t for t in rendered["tables"] if t["key"] == "table1"]
    assert len(table1) == 2 and len({t["id"] for t in table1}) == 2
    for t in table1:
        filled = {r["method"] for r in t["rows"] if any(c.value is not None for c in r["cells"].values())}
        assert filled == ({"starcaster"} if t["group"]["variants"] == other else {"ground_truth", "static_reference"})
    cells = json.loads((tree["out"] / "results.json").read_text())
    assert {c["table_id"] for c in cells if c["table"] == "table1"} == {t["id"] for t in table1}
    assert rendered["videos"] == [] and "No generated videos" in (tree["out"] / "README.md").read_text()


def test_training_roots_come_from_params():
    mini = params.render("mini", ROOT / "params")
    assert Path(mini["train"]["stage1"]["out"]).parent in report.training_roots(mini)
    nested = {"train": {"stage1": {"out": "m/stage1"}, "variants": {"a": {"out": "m/ablations/a/stage1"}}, "x": {"out": "other/x"}}}
    assert report.training_roots(nested) == [Path("m"), Path("other")]


def test_report_stage_declares_every_output_and_training_run(built):
    tree, _ = built
    stages = stage_definitions()
    report_stage = stages["report"]
    outs = {next(iter(o)) if isinstance(o, dict) else o for o in report_stage["outs"]}
    written = {f"reports/{p.name}" for p in tree["out"].iterdir()}
    assert written <= outs, written - outs
    assert "data/code/report.json" in report_stage["deps"]  # its code, from the import graph
    live = {next(iter(o)) if isinstance(o, dict) else o for s in stages.values() for o in s.get("outs", [])}
    live = {o for o in live if o.endswith("/dvclive")}
    assert live and live <= set(report_stage["deps"]), live - set(report_stage["deps"])


def test_programs_table_and_table2_rows_of_programs_without_camera_control(tmp_path):
    """The report lists each program's pinned commit, seeding and camera control; a program that cannot render a
    target camera is not scored on NeRSemble, and its Table 2 row says so."""
    mini = params.render("mini", ROOT / "params")
    tree = report_tree.build(tmp_path)
    rendered = report.write_report(tree["results"], tree["runs"], tree["out"], mini, [], videos_per_benchmark=0)
    md = (tree["out"] / "README.md").read_text()
    assert "## Baseline programs" in md and "<section id='programs'>" in (tree["out"] / "index.html").read_text()
    goha = next(r for r in rendered["programs"] if r[0] == "goha")
    assert goha[2] == mini["baselines"]["goha"]["commit"] and goha[3].startswith("none")
    table2 = next(t for t in rendered["tables"] if t["key"] == "table2")
    notes = {r["method"]: r["note"] for r in table2["rows"]}
    for method in ("portrait4d", "real3dportrait"):
        assert "no target-camera control" in notes[method], notes[method]
    assert "program not installed" in notes["goha"]
