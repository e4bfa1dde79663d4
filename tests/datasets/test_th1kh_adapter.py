"""TH-1KH adapter on a hand-written tube file in the official layout."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks import media
from benchmarks.datasets import th1kh
from benchmarks.datasets.base import DatasetError

from .layouts import FPS, N_FRAMES, place

# Three tubes written by hand: two from one 1-minute chunk, one from a chunk whose YouTube id has '_'/'-'.
TUBES = """\
aBcDeFgHiJk_0003,1080,1920,10,14,800,100,1200,500
aBcDeFgHiJk_0003,1080,1920,30,34,700,120,1100,520

x_Y-z123456_0000,720,1280,0,4,100,50,400,350
"""
# The names videos_crop.py writes for them: {video_name}_S{S}_E{E}_L{L}_T{T}_R{R}_B{B}.mp4
CLIPS = {
    "aBcDeFgHiJk_0003_S10_E14_L800_T100_R1200_B500": "muxed",
    "aBcDeFgHiJk_0003_S30_E34_L700_T120_R1100_B520": "muxed",
    "x_Y-z123456_0000_S0_E4_L100_T50_R400_B350": "wav",
}


@pytest.fixture
def root(tmp_path, clip_bytes):
    (tmp_path / "data_list").mkdir()
    (tmp_path / "data_list" / "val_video_tubes.txt").write_text(TUBES)
    for clip, audio in CLIPS.items():
        place(tmp_path / "val" / "cropped_clips" / f"{clip}.mp4", clip_bytes["audio" if audio == "muxed" else "silent"])
        if audio == "wav":
            media.write_audio(tmp_path / "val" / "audio" / f"{clip}.wav", np.zeros(3200, np.float32), 16000)
    return tmp_path


def test_reads_every_tube_of_the_official_layout(root):
    scan = th1kh.scan(root, split="val")
    assert scan.problems == []
    records = {r.clip_id: r for r in scan.records}
    assert set(records) == set(CLIPS)
    first = records["aBcDeFgHiJk_0003_S10_E14_L800_T100_R1200_B500"]
    assert first.video == "val/cropped_clips/aBcDeFgHiJk_0003_S10_E14_L800_T100_R1200_B500.mp4"
    assert first.audio is None  # muxed
    assert first.identity == "aBcDeFgHiJk"
    assert first.source == {
        "video": "val/1min_clips/aBcDeFgHiJk_0003.mp4",
        "frames": [10, 14],
        "crop_ltrb": [800, 100, 1200, 500],
        "crop_reference_size": [1920, 1080],
    }
    assert (first.fps, first.n_frames, first.reference_frame, first.split) == (FPS, N_FRAMES, 0, "eval")
    third = records["x_Y-z123456_0000_S0_E4_L100_T50_R400_B350"]
    assert third.audio == "val/audio/x_Y-z123456_0000_S0_E4_L100_T50_R400_B350.wav"
    assert third.identity == "x_Y-z123456"
    assert third.resolve(root).is_file() and third.resolve(root, "audio").is_file()


def test_missing_clip_is_reported_not_dropped(root):
    missing = root / "val" / "cropped_clips" / "aBcDeFgHiJk_0003_S30_E34_L700_T120_R1100_B520.mp4"
    missing.unlink()
    scan = th1kh.scan(root)
    assert len(scan.records) == 2
    assert len(scan.problems) == 1 and str(missing) in scan.problems[0]


def test_clip_without_any_audio_is_reported(root):
    (root / "val" / "audio" / "x_Y-z123456_0000_S0_E4_L100_T50_R400_B350.wav").unlink()
    scan = th1kh.scan(root)
    assert len(scan.records) == 2
    assert "no audio" in scan.problems[0] and "x_Y-z123456_0000_S0_E4" in scan.problems[0]


def test_corrupt_clip_is_reported(root):
    (root / "val" / "cropped_clips" / "aBcDeFgHiJk_0003_S10_E14_L800_T100_R1200_B500.mp4").write_bytes(b"not a video")
    scan = th1kh.scan(root)
    assert len(scan.records) == 2
    assert "unreadable video" in scan.problems[0]


@pytest.mark.parametrize(
    "line",
    [
        "aBcDeFgHiJk_0003,1080,1920,10,14,800,100,1200",  # 8 fields
        "aBcDeFgHiJk_0003,1080,1920,10,14,800,100,1200,500,7",  # 10 fields
        "aBcDeFgHiJk_0003,1080,1920,ten,14,800,100,1200,500",  # not an integer
        "aBcDeFgHiJk_0003,1080,1920,14,10,800,100,1200,500",  # E < S
        "aBcDeFgHiJk_0003,1080,1920,10,14,1200,100,800,500",  # R < L
        ",1080,1920,10,14,800,100,1200,500",  # no video name
    ],
)
def test_malformed_tube_line_names_file_and_line(root, line):
    tubes = root / "data_list" / "val_video_tubes.txt"
    tubes.write_text(TUBES.splitlines()[0] + "\n" + line + "\n")
    with pytest.raises(DatasetError, match=rf"{tubes}:2: malformed tube line"):
        th1kh.scan(root)


def test_missing_root_says_where_to_get_the_dataset(tmp_path):
    missing = tmp_path / "TalkingHead-1KH"
    with pytest.raises(DatasetError) as err:
        th1kh.scan(missing)
    message = str(err.value)
    assert f"dataset root {missing} not found" in message
    assert "github.com/tcwang0509/TalkingHead-1KH" in message and "datasets.th1kh.root" in message


def test_missing_tube_file_is_a_layout_error(tmp_path):
    with pytest.raises(DatasetError, match="val_video_tubes.txt not found"):
        th1kh.scan(tmp_path)
