"""The drift gate end to end: the real `starcaster evaluate` on two tiny clips, `check-drift --bless`,
then `check-drift` after an unchanged run (passes) and after perturbing metric implementations (fails,
naming the metrics). Every run starts from a cold feature cache, as CI does."""
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchmarks import cli, media, params
from benchmarks.records import ClipRecord, write_manifest

ROOT = Path(__file__).resolve().parents[2]

FPS, SR, N, SIZE = 25, 16000, 16, 64  # 16 frames: one FVD clip
METRICS = ["psnr", "ssim", "fvd"]


def _clip(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (1, SIZE, SIZE, 3))
    return np.clip(base + 4 * np.arange(N)[:, None, None, None] + rng.integers(-8, 9, (N, SIZE, SIZE, 3)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("drift_gate")
    audio = (0.1 * np.sin(np.arange(int(N / FPS * SR)) / 5)).astype(np.float32)
    records = []
    for i in range(2):
        gt = _clip(i)
        media.write_video(root / "data" / f"c{i}.mp4", gt, FPS, audio=audio, sample_rate=SR)
        noisy = np.clip(gt.astype(int) + np.random.default_rng(10 + i).integers(-20, 21, gt.shape), 0, 255).astype(np.uint8)
        media.write_video(root / "runs" / "th1kh" / "m" / f"c{i}.mp4", noisy, FPS)
        records.append(ClipRecord(f"c{i}", "th1kh", "eval", f"data/c{i}.mp4", None, FPS, N, f"id{i}"))
    write_manifest(root / "manifest.jsonl", records)
    return root


def _run(root, name: str, *extra: str) -> int:
    """Evaluate with the ci profile's metric settings (fresh cache ``name``), then check-drift."""
    p = params.render("ci", ROOT / "params")
    p["metrics"].update(out_dir=str(root / name / "metrics"), cache_dir=str(root / name / "cache"), threads=1)
    p["drift"]["reference_dir"] = str(root / "reference")
    path = root / name / "params.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(p))
    assert cli.main(["evaluate", "--benchmark", "th1kh", "--method", "m", "--params", str(path), "--runs", str(root / "runs"),
                     "--manifest", str(root / "manifest.jsonl"), "--root", str(root), "--metrics", *METRICS]) == 0
    return cli.main(["check-drift", "--params", str(path), *extra])


@pytest.mark.slow  # three cold evaluations
def test_gate_passes_unchanged_and_names_perturbed_metrics(bench, monkeypatch, capsys):
    assert _run(bench, "blessed", "--bless") == 0
    reference = json.loads((bench / "reference" / "ci.json").read_text())
    assert set(reference["th1kh/m"]["values"]) >= set(METRICS)

    assert _run(bench, "unchanged") == 0
    assert "match" in capsys.readouterr().out

    import metrics.evaluate
    import metrics.pixel

    psnr, frechet = metrics.pixel.psnr, metrics.evaluate.frechet_distance_low_rank  # few clips: the low-rank form
    monkeypatch.setattr(metrics.pixel, "psnr", lambda *a, **k: psnr(*a, **k) * 1.001)
    monkeypatch.setattr(metrics.evaluate, "frechet_distance_low_rank", lambda *a, **k: frechet(*a, **k) * 1.01)
    assert _run(bench, "perturbed") == 1
    out = capsys.readouterr().out
    drifted = {line.split(": ")[1] for line in out.splitlines() if line.startswith("  th1kh/m: ")}
    assert drifted == {"psnr", "fvd"}, out
    assert "th1kh/m: psnr: reference" in out and "allowed" in out
