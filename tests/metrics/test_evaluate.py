"""The engine on a tiny benchmark made here: every kind of bad input becomes a per-clip error."""
import json
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from benchmarks import media
from benchmarks.records import ClipRecord, write_manifest
from metrics import evaluate as ev
from metrics.cache import FeatureCache
from metrics.registry import Prepared, register

FPS, SR, N = 25, 16000, 12


@register("test_mean_colour", kind="distribution")
def _mean_colour(cfg, ctx):
    """A cheap distribution metric (per-frame mean RGB) to exercise the engine's plumbing."""
    return Prepared(lambda frames: frames.reshape(len(frames), -1, 3).mean(axis=1).astype(np.float64), {"test": True}, {"none": "n/a"})


def video(seed, n=N):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (1, 32, 32, 3))
    drift = np.arange(n)[:, None, None, None] * 3
    return np.clip(base + drift + rng.integers(-10, 11, (n, 32, 32, 3)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    runs = root / "runs"
    audio = (0.1 * np.sin(np.arange(int(N / FPS * SR)) / 5)).astype(np.float32)
    records, gens = [], {}
    for i in range(5):
        gt = video(i)
        media.write_video(root / "data" / f"c{i}.mp4", gt, FPS, audio=audio, sample_rate=SR)
        records.append(ClipRecord(f"c{i}", "th1kh", "eval", f"data/c{i}.mp4", None, FPS, N, f"id{i}"))
        noisy = np.clip(gt.astype(int) + np.random.default_rng(9).integers(-30, 31, gt.shape), 0, 255).astype(np.uint8)
        gens[f"c{i}"] = noisy
    gens["c2"] = gens["c2"][:3]  # 3-frame video: different length
    for clip_id, frames in gens.items():
        if clip_id != "c3":  # c3: no generated video at all
            media.write_video(runs / f"{clip_id}.mp4", frames, FPS)
    (runs / "c4.mp4").write_bytes(b"")  # empty file
    write_manifest(root / "manifest.jsonl", records)
    return root, runs, records


def config(**overrides):
    cfg = {
        "enabled": ["psnr", "ssim", "test_mean_colour"],
        "fps": FPS, "sample_rate": SR, "threads": 1,
        "psnr": {"data_range": 255}, "ssim": {"data_range": 255, "variant": "skimage"},
        "bootstrap": {"n_resamples": 200, "seed": 0, "distribution_resamples": {"test_mean_colour": 20}},
    }
    cfg.update(overrides)
    return cfg


CTX = {"profile": "mini", "seed": 0, "weights_dir": "weights"}


def test_bad_clips_get_errors_and_good_ones_are_scored(bench, tmp_path):
    root, runs, records = bench
    result = ev.evaluate(records, root / "", runs, config(), CTX, FeatureCache(tmp_path / "cache"), progress=False)
    by_id = {c["clip_id"]: c for c in result["per_clip"]}
    assert by_id["c0"]["error"] is None and by_id["c1"]["error"] is None
    assert "3 frames" in by_id["c2"]["error"]
    assert "not found" in by_id["c3"]["error"]
    assert "empty" in by_id["c4"]["error"]
    assert result["n_clips"] == 5 and result["summary"]["psnr"]["n"] == 2
    expected = np.mean([by_id[c]["values"]["psnr"]["psnr"] for c in ("c0", "c1")])
    assert result["summary"]["psnr"]["value"] == pytest.approx(expected)
    lo, hi = result["summary"]["psnr"]["ci95"]
    assert lo <= expected <= hi
    assert result["summary"]["test_mean_colour"]["value"] > 0
    assert result["metric_variants"]["ssim"]["variant"] == "skimage"


def test_ground_truth_against_itself(bench, tmp_path):
    root, _, records = bench
    runs = root / "data"  # the ground-truth videos, named <clip_id>.mp4
    result = ev.evaluate(records, root, runs, config(), CTX, FeatureCache(None), progress=False)
    assert all(c["error"] is None for c in result["per_clip"])
    assert result["summary"]["ssim"]["value"] == pytest.approx(1.0)
    assert result["summary"]["psnr"]["value"] == float("inf")
    assert abs(result["summary"]["test_mean_colour"]["value"]) < 1e-6
    assert json.loads(json.dumps(ev.json_safe(result), allow_nan=False))["summary"]["psnr"]["value"] == "inf"


def test_cache_is_reused_and_keyed_by_variant(bench, tmp_path):
    root, runs, records = bench
    cache = FeatureCache(tmp_path / "cache")
    first = ev.evaluate(records[:2], root, runs, config(), CTX, cache, progress=False)
    entries = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(entries) == 2 * 2 + 2 * 2  # 2 clips x (psnr, ssim) + 2 clips x 2 sides of the features
    again = ev.evaluate(records[:2], root, runs, config(), CTX, cache, progress=False)
    assert again["summary"] == first["summary"]
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == entries
    ev.evaluate(records[:2], root, runs, config(ssim={"data_range": 255, "variant": "wang"}), CTX, cache, progress=False)
    assert len(list((tmp_path / "cache").iterdir())) == len(entries) + 2


def test_edited_and_truncated_cache_entries_change_no_score(bench, tmp_path):
    root, runs, records = bench
    cache_dir = tmp_path / "cache"
    first = ev.evaluate(records[:2], root, runs, config(), CTX, FeatureCache(cache_dir), progress=False)
    for i, path in enumerate(sorted(cache_dir.iterdir())):
        if i % 2:
            path.write_bytes(path.read_bytes()[:100])
        else:
            with np.load(path) as data:
                np.savez(path, **{k: data[k] + 1 if data[k].dtype.kind == "f" else data[k] for k in data.files})
    again = ev.evaluate(records[:2], root, runs, config(), CTX, FeatureCache(cache_dir), progress=False)
    assert again["summary"] == first["summary"] and again["per_clip"] == first["per_clip"]


def test_generated_sizes_the_protocol_cannot_score_are_per_clip_errors_naming_both_sizes(bench, tmp_path):
    root, _, records = bench
    runs = tmp_path / "runs"
    sizes = {"c0": (8, 8), "c1": (96, 24), "c2": (64, 64)}  # a side under 16; aspect 4 against 1; twice the size
    for clip_id, (w, h) in sizes.items():
        gt = media.read_video(root / "data" / f"{clip_id}.mp4")
        media.write_video(runs / f"{clip_id}.mp4", np.stack([cv2.resize(f, (w, h)) for f in gt]), FPS)
    rule = {"min_side": 16, "max_aspect_change": 0.5}
    result = ev.evaluate(records[:3], root, runs, config(frame_size=rule), CTX, FeatureCache(None), progress=False)
    by_id = {c["clip_id"]: c for c in result["per_clip"]}
    assert "8x8 frames against the ground truth's 32x32" in by_id["c0"]["error"]
    assert "96x24 frames against the ground truth's 32x32: aspect ratio 4.000" in by_id["c1"]["error"]
    assert by_id["c2"]["error"] is None and result["summary"]["psnr"]["n"] == 1
    anything = ev.evaluate(records[:3], root, runs, config(), CTX, FeatureCache(None), progress=False)
    assert all(c["error"] is None for c in anything["per_clip"])  # no rule: every size is brought to the other


def test_cli_writes_result_file(bench, tmp_path, monkeypatch, capsys):
    root, runs, _ = bench
    import yaml

    (tmp_path / "runs" / "th1kh").mkdir(parents=True)
    (tmp_path / "runs" / "th1kh" / "gt").symlink_to(root / "data")
    cfg = config(out_dir=str(tmp_path / "out"), cache_dir=None, weights_dir="weights", seed=0, device="cpu")
    params = {"profile": "mini", "seed": 0, "metrics": cfg, "manifests": {"dir": "m"}, "datasets": {"th1kh": {"root": str(root)}}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    args = SimpleNamespace(benchmark="th1kh", method="gt", runs="runs", manifest=str(root / "manifest.jsonl"),
                           root=None, out=None, metrics=None, params="params.yaml")
    assert ev.run(args) == 0
    result = json.loads((tmp_path / "out" / "th1kh" / "gt.json").read_text())
    assert result["profile"] == "mini" and result["method"] == "gt" and len(result["per_clip"]) == 5
    (tmp_path / "runs" / "th1kh" / "none").mkdir()  # a method that generated nothing
    assert ev.run(SimpleNamespace(**{**vars(args), "method": "none"})) == 1
    assert "scored nothing on th1kh for none; first error: input:" in capsys.readouterr().err
    params["metrics"]["per_benchmark"] = {"th1kh": ["fid"]}  # not among enabled: nothing to score with
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert ev.run(args) == 2 and "nothing to score th1kh with" in capsys.readouterr().err
    assert set(result["metric_variants"]) == set(cfg["enabled"])

    # the benchmark's own list, within what is enabled
    params["metrics"]["per_benchmark"] = {"th1kh": ["ssim", "lpips"], "hallo3": ["psnr"]}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert ev.run(args) == 0
    result = json.loads((tmp_path / "out" / "th1kh" / "gt.json").read_text())
    assert set(result["metric_variants"]) == {"ssim"}
    assert all(set(clip["values"]) == {"ssim"} for clip in result["per_clip"] if not clip["error"])


def test_a_benchmark_without_a_list_gets_every_enabled_metric_and_unknown_names_stop():
    cfg = {"enabled": ["psnr", "ssim", "fid"], "per_benchmark": {"nersemble": ["fid", "psnr"], "typo": ["psnrr"]}}
    assert ev.benchmark_metrics(cfg, "nersemble") == ["fid", "psnr"]
    assert ev.benchmark_metrics(cfg, "th1kh") == ["psnr", "ssim", "fid"]
    assert ev.benchmark_metrics({"enabled": ["psnr"]}, "th1kh") == ["psnr"]
    with pytest.raises(KeyError, match="psnrr"):
        ev.benchmark_metrics(cfg, "typo")


def test_silent_ground_truth_gives_no_audio_and_reference_view_gives_source(tmp_path):
    from metrics.video_io import load_clip

    frames = np.repeat(np.arange(N, dtype=np.uint8)[:, None, None, None] * 20, 32 * 32 * 3).reshape(N, 32, 32, 3)
    media.write_video(tmp_path / "gt.mp4", frames, FPS)  # no audio track
    media.write_video(tmp_path / "ref.mp4", 255 - frames, FPS)
    record = ClipRecord("x", "nersemble", "eval", "gt.mp4", None, FPS, N, "id", reference_frame=2, reference_video="ref.mp4")
    clip = load_clip(record, tmp_path, tmp_path / "gt.mp4", FPS, SR)
    assert clip.audio is None
    assert abs(clip.source.mean() - (255 - 40)) < 3  # frame 2 of the reference view, up to codec loss


def test_scored_window_takes_the_first_frames_and_their_audio_for_every_method(tmp_path):
    from metrics.video_io import load_clip

    audio = (0.1 * np.sin(np.arange(int(N / FPS * SR)) / 5)).astype(np.float32)
    gt, longer = video(0), video(1, n=N + 4)
    media.write_video(tmp_path / "gt.mp4", gt, FPS, audio=audio, sample_rate=SR)
    media.write_video(tmp_path / "long.mp4", longer, FPS)
    media.write_video(tmp_path / "short.mp4", longer[:5], FPS)
    record = ClipRecord("x", "th1kh", "eval", "gt.mp4", None, FPS, N, "id")
    whole = load_clip(record, tmp_path, tmp_path / "gt.mp4", FPS, SR)
    window = load_clip(record, tmp_path, tmp_path / "long.mp4", FPS, SR, max_frames=8)
    assert len(window.generated) == len(window.reference) == 8 and window.meta["max_frames"] == 8
    np.testing.assert_array_equal(window.reference, whole.reference[:8])
    assert len(window.audio) == 8 * SR // FPS
    np.testing.assert_array_equal(window.audio, whole.audio[: len(window.audio)])
    with pytest.raises(ValueError, match="5 frames, the scored window 8"):
        load_clip(record, tmp_path, tmp_path / "short.mp4", FPS, SR, max_frames=8)
    with pytest.raises(ValueError, match="16 frames, ground truth 12"):
        load_clip(record, tmp_path, tmp_path / "long.mp4", FPS, SR)


def test_an_evaluation_killed_midway_then_rerun_equals_a_straight_run(bench, tmp_path, monkeypatch):
    root, runs, records = bench
    straight = ev.evaluate(records, root, runs, config(), CTX, FeatureCache(tmp_path / "straight"), progress=False)
    calls = []
    original = ev._per_clip_entry

    def killed_at_the_third_clip(metric, prepared, clip, cache, hashes):
        calls.append(clip.clip_id)
        if len(set(calls)) == 2 and metric.name == "ssim":
            raise KeyboardInterrupt("killed")
        return original(metric, prepared, clip, cache, hashes)

    monkeypatch.setattr(ev, "_per_clip_entry", killed_at_the_third_clip)
    with pytest.raises(KeyboardInterrupt):
        ev.evaluate(records, root, runs, config(), CTX, FeatureCache(tmp_path / "cache"), progress=False)
    monkeypatch.setattr(ev, "_per_clip_entry", original)
    assert any((tmp_path / "cache").iterdir())  # the first clip's entries were kept
    again = ev.evaluate(records, root, runs, config(), CTX, FeatureCache(tmp_path / "cache"), progress=False)
    assert again["summary"] == straight["summary"] and again["per_clip"] == straight["per_clip"]
