"""`starcaster manifest`: seeded, sorted, deterministic samples of the adapters' records."""
from __future__ import annotations

import argparse
import random
from pathlib import Path

import pytest
import yaml

from benchmarks import manifests
from benchmarks.records import ClipRecord, read_manifest

from .layouts import K_3208_EXAMPLE, SERIALS_EXAMPLE, camera_params_v2, look_at_world_2_cam, place, write_nersemble_participant


def records(n_identities: int, per_identity: int) -> list[ClipRecord]:
    return [
        ClipRecord(clip_id=f"id{i:02d}_c{c}", dataset="hallo3", split="eval", video=f"videos/{i}_{c}.mp4", audio=None,
                   fps=25.0, n_frames=10, identity=f"id{i:02d}")
        for i in range(n_identities) for c in range(per_identity)
    ]


def test_sample_is_deterministic_sorted_and_order_independent():
    pool = records(20, 1)
    shuffled = pool[:]
    random.Random(1).shuffle(shuffled)
    a = manifests.sample(pool, 5, seed=0)
    assert a == manifests.sample(shuffled, 5, seed=0)
    assert [r.clip_id for r in a] == sorted(r.clip_id for r in a) and len(a) == 5
    assert a != manifests.sample(pool, 5, seed=1)


def test_sample_by_identity_keeps_all_clips_of_the_chosen_identities():
    chosen = manifests.sample(records(6, 3), 2, seed=0, by_identity=True)
    identities = {r.identity for r in chosen}
    assert len(identities) == 2 and len(chosen) == 6


def test_sample_without_n_keeps_everything_and_too_few_is_an_error():
    pool = records(3, 1)
    assert manifests.sample(pool, None, seed=0) == sorted(pool, key=lambda r: r.clip_id)
    with pytest.raises(ValueError, match="4 clips requested but only 3 usable clips found"):
        manifests.sample(pool, 4, seed=0)


@pytest.fixture
def datasets(tmp_path, clip_bytes):
    hallo = tmp_path / "hallo3"
    for i in range(8):
        place(hallo / "videos" / f"{i:04d}.mp4", clip_bytes["audio"])
    ners = tmp_path / "nersemble"
    params = camera_params_v2({s: look_at_world_2_cam(0.1 * i) for i, s in enumerate(SERIALS_EXAMPLE)}, K_3208_EXAMPLE)
    for pid in ("017", "018", "019"):
        write_nersemble_participant(ners, pid, SERIALS_EXAMPLE, params, clip_bytes["view"])
    return {"th1kh": {"root": str(tmp_path / "th1kh"), "split": "val"}, "hallo3": {"root": str(hallo)},
            "nersemble": {"root": str(ners)}}


def manifest(tmp_path, datasets, benchmark, seed=0, n=3) -> tuple[int, str]:
    out = tmp_path / f"manifests_seed{seed}"
    params = {"datasets": datasets,
              "manifests": {"dir": str(out), "seed": seed, "n_clips": {"th1kh": n, "hallo3": n, "nersemble": 2}}}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    parser = argparse.ArgumentParser()
    manifests.add_arguments(parser)  # what `starcaster manifest` parses
    rc = manifests.run(parser.parse_args(["--benchmark", benchmark, "--params", str(path)]))
    return rc, out / f"{benchmark}.jsonl"


def test_manifest_command_is_deterministic_for_a_seed_and_differs_for_another(tmp_path, datasets):
    rc, first = manifest(tmp_path, datasets, "hallo3", seed=0)
    text = first.read_text()
    first.unlink()
    assert rc == 0 and manifest(tmp_path, datasets, "hallo3", seed=0)[1].read_text() == text
    other = manifest(tmp_path, datasets, "hallo3", seed=1)[1].read_text()
    assert other != text
    ids = [r.clip_id for r in read_manifest(first)]
    assert len(ids) == 3 and ids == sorted(ids)


def test_nersemble_manifest_samples_identities_with_three_target_views(tmp_path, datasets):
    rc, path = manifest(tmp_path, datasets, "nersemble")
    chosen = read_manifest(path)
    assert rc == 0 and len(chosen) == 6 and len({r.identity for r in chosen}) == 2
    assert all(r.camera is not None and r.reference_camera is not None for r in chosen)


def test_missing_root_stops_with_the_download_message(tmp_path, datasets, capsys):
    rc, path = manifest(tmp_path, datasets, "th1kh")
    assert rc == 1 and not path.exists()
    err = capsys.readouterr().err
    assert f"dataset root {tmp_path / 'th1kh'} not found: download TalkingHead-1KH from" in err
    assert "point datasets.th1kh.root at it" in err


def test_too_few_clips_stops(tmp_path, datasets, capsys):
    rc, path = manifest(tmp_path, datasets, "hallo3", n=9)
    assert rc == 1 and not path.exists()
    assert "9 clips requested but only 8 usable clips found" in capsys.readouterr().err


@pytest.mark.parametrize("profile", ["mini", "ci"])
def test_committed_manifests_are_valid_and_match_their_profile(profile):
    from benchmarks import params

    repo = Path(__file__).resolve().parents[2]
    config = params.render(profile, repo / "params")["manifests"]
    folder = repo / config["dir"]
    for benchmark, n in config["n_clips"].items():
        chosen = read_manifest(folder / f"{benchmark}.jsonl")
        ids = [r.clip_id for r in chosen]
        assert ids == sorted(ids) and {r.dataset for r in chosen} == {benchmark}
        units = {r.identity for r in chosen} if benchmark in manifests.SAMPLED_BY_IDENTITY else ids
        assert len(units) == n, f"{folder / benchmark}.jsonl is stale: rerun `starcaster manifest --benchmark {benchmark}`"


def test_dataset_roots_are_found_in_params():
    from benchmarks.datasets.base import root_in_params

    datasets = {"th1kh": {"root": "a", "split": "val"}, "talking": {"vfhq": "b"}}
    assert root_in_params(datasets, "th1kh") == ("a", "datasets.th1kh.root")
    assert root_in_params(datasets, "vfhq") == ("b", "datasets.talking.vfhq")
    with pytest.raises(KeyError, match="datasets.nope"):
        root_in_params(datasets, "nope")
