"""Hallo3 and the talking-video training sets: folders of videos with muxed audio."""
from __future__ import annotations

import pytest

from benchmarks.datasets import hallo3, talking
from benchmarks.datasets.base import DatasetError

from .layouts import FPS, N_FRAMES, place


def test_hallo3_reads_videos_and_optional_captions(tmp_path, clip_bytes):
    for stem in ("0001", "0002"):
        place(tmp_path / "videos" / f"{stem}.mp4", clip_bytes["audio"])
    (tmp_path / "caption").mkdir()
    (tmp_path / "caption" / "0002.txt").write_text("a person talking")
    scan = hallo3.scan(tmp_path)
    assert scan.problems == []
    assert [(r.clip_id, r.video, r.identity, r.split) for r in scan.records] == [
        ("0001", "videos/0001.mp4", "0001", "eval"),
        ("0002", "videos/0002.mp4", "0002", "eval"),
    ]
    assert [r.source["caption"] for r in scan.records] == [None, "caption/0002.txt"]
    assert all((r.fps, r.n_frames, r.audio) == (FPS, N_FRAMES, None) for r in scan.records)


def test_hallo3_reports_silent_and_corrupt_videos(tmp_path, clip_bytes):
    place(tmp_path / "videos" / "0001.mp4", clip_bytes["audio"])
    place(tmp_path / "videos" / "0002.mp4", clip_bytes["silent"])
    place(tmp_path / "videos" / "0003.mp4", clip_bytes["audio"][:500])
    scan = hallo3.scan(tmp_path)
    assert [r.clip_id for r in scan.records] == ["0001"]
    assert "0002.mp4: no audio track" in scan.problems[0]
    assert "0003.mp4: unreadable video" in scan.problems[1]


def test_hallo3_bad_layouts(tmp_path):
    with pytest.raises(DatasetError, match="download the Hallo3 data from .* datasets.hallo3.root"):
        hallo3.scan(tmp_path / "hallo3")
    with pytest.raises(DatasetError, match=rf"{tmp_path / 'videos'}: no \*.mp4"):
        hallo3.scan(tmp_path)


def test_talking_set_reads_nested_folders_and_identities_csv(tmp_path, clip_bytes):
    place(tmp_path / "id001" / "clip_a.mp4", clip_bytes["audio"])
    place(tmp_path / "id001" / "clip_b.mp4", clip_bytes["audio"])
    place(tmp_path / "WRA_Someone_000.mp4", clip_bytes["audio"])
    place(tmp_path / "id001" / ".clip_c.mp4.tmp.mp4", b"")  # an unfinished atomic write
    (tmp_path / "identities.csv").write_text("file,identity\nid001/clip_a.mp4,alice\nid001/clip_b.mp4,alice\n")
    scan = talking.scan(tmp_path, "hdtf")
    assert scan.problems == []
    assert [(r.clip_id, r.video, r.identity, r.dataset, r.split) for r in scan.records] == [
        ("WRA_Someone_000", "WRA_Someone_000.mp4", "WRA_Someone_000", "hdtf", "train"),
        ("id001__clip_a", "id001/clip_a.mp4", "alice", "hdtf", "train"),
        ("id001__clip_b", "id001/clip_b.mp4", "alice", "hdtf", "train"),
    ]


def test_talking_set_bad_inputs(tmp_path, clip_bytes):
    with pytest.raises(DatasetError, match=r"download VFHQ from .* datasets\.talking\.vfhq"):
        talking.scan(tmp_path / "VFHQ", "vfhq")
    place(tmp_path / "a.mp4", clip_bytes["audio"])
    (tmp_path / "identities.csv").write_text("name,person\na.mp4,x\n")
    with pytest.raises(DatasetError, match="identities.csv: expected a header with columns file,identity"):
        talking.scan(tmp_path, "celebvhq")
    with pytest.raises(ValueError, match="unknown talking-video dataset"):
        talking.scan(tmp_path, "voxceleb")
