"""Every kind of bad or unusual input gives a clear per-clip outcome (an error with its reason, or a
documented correction recorded in the index), never a crash."""
from __future__ import annotations

import json

import av
import numpy as np
import pytest

from benchmarks import media
from benchmarks.preprocess.clip import ClipError, prepare_clip

from .conftest import SIZE, SR, astronaut_face, moving, record_for, speech_like, tom_hanks_face, write_clip, write_vfr


def prepare(tmp_path, video, tools, settings, **record_kw):
    tools_, extractors = tools
    record = record_for(video, tmp_path, **record_kw)
    out = tmp_path / "prepared" / record.clip_id
    result = prepare_clip(record, tmp_path, out, tools_, settings, extractors, "mini")
    return result, json.loads((out / "index.json").read_text())


def good_frames(n=25):
    return moving(astronaut_face(), n)


def test_truncated_video_is_a_clip_error(tmp_path, mini_tools, settings):
    video = write_clip(tmp_path / "full.mp4", good_frames(), 25, speech_like(1.0))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    with pytest.raises(ClipError, match="unreadable video"):
        prepare(tmp_path, cut, mini_tools, settings)
    assert not (tmp_path / "prepared" / "cut").exists()


def test_corrupt_video_is_a_clip_error(tmp_path, mini_tools, settings):
    bad = tmp_path / "noise.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    with pytest.raises(ClipError, match="unreadable video"):
        prepare(tmp_path, bad, mini_tools, settings)


def test_no_audio_track(tmp_path, mini_tools, settings):
    video = write_clip(tmp_path / "mute.mp4", good_frames(), 25)
    with pytest.raises(ClipError, match="no audio track"):
        prepare(tmp_path, video, mini_tools, settings)


def test_separate_audio_file_is_used(tmp_path, mini_tools, settings):
    video = write_clip(tmp_path / "mute.mp4", good_frames(), 25)
    wav = tmp_path / "mute.wav"
    media.write_audio(wav, speech_like(1.0), SR)
    result, _ = prepare(tmp_path, video, mini_tools, settings, audio=wav)
    assert result["n_kept"] == 25


def test_silent_audio(tmp_path, mini_tools, settings):
    video = write_clip(tmp_path / "silent.mp4", good_frames(), 25, np.zeros(SR, np.float32))
    with pytest.raises(ClipError, match="silent audio"):
        prepare(tmp_path, video, mini_tools, settings)


def test_no_face_anywhere(tmp_path, mini_tools, settings):
    wall = np.full((25, SIZE, SIZE, 3), 128, np.uint8)
    video = write_clip(tmp_path / "wall.mp4", wall, 25, speech_like(1.0))
    with pytest.raises(ClipError, match=r"no usable frames.*'no_face': 25"):
        prepare(tmp_path, video, mini_tools, settings)


def test_two_faces_everywhere(tmp_path, mini_tools, settings):
    pair = np.concatenate([astronaut_face(), tom_hanks_face()], axis=1)
    video = write_clip(tmp_path / "pair.mp4", moving(pair, 25), 25, speech_like(1.0))
    with pytest.raises(ClipError, match=r"no usable frames.*'multi_face': 25"):
        prepare(tmp_path, video, mini_tools, settings)


def test_some_faceless_and_two_face_frames_are_dropped_and_counted(tmp_path, mini_tools, settings):
    pair = np.concatenate([astronaut_face(), tom_hanks_face()], axis=1)
    single = np.pad(astronaut_face(), ((0, 0), (SIZE // 2, SIZE // 2), (0, 0)), mode="edge")
    frames = moving(single, 25)
    frames[5:9] = 128  # four frames without a face
    frames[15:17] = pair  # two frames with two faces
    video = write_clip(tmp_path / "mixed.mp4", frames, 25, speech_like(1.0))
    result, index = prepare(tmp_path, video, mini_tools, settings)
    assert result["dropped"] == {"multi_face": 2, "no_face": 4}
    assert index["dropped_frames"] == {"multi_face": [15, 16], "no_face": [5, 6, 7, 8]}
    assert index["kept_frames"] == [i for i in range(25) if i not in (5, 6, 7, 8, 15, 16)]
    clip_dir = tmp_path / "prepared" / "mixed"
    for name in ("frames", "landmarks", "crop_boxes", "audio_features"):
        assert len(np.load(clip_dir / f"{name}.npy")) == 19


def test_too_few_face_frames_is_an_error(tmp_path, mini_tools, settings):
    frames = good_frames(25)
    frames[:20] = 128
    video = write_clip(tmp_path / "mostly_wall.mp4", frames, 25, speech_like(1.0))
    with pytest.raises(ClipError, match="only 5 of 25 frames"):
        prepare(tmp_path, video, mini_tools, settings)


@pytest.mark.parametrize("fps", [24, 30, 60])
def test_other_frame_rates_are_resampled_to_25(tmp_path, mini_tools, settings, fps):
    import soundfile

    video = write_clip(tmp_path / f"at{fps}.mp4", good_frames(fps), fps, speech_like(1.0))
    result, index = prepare(tmp_path, video, mini_tools, settings, fps=fps, n_frames=fps)
    assert index["n_frames"] == 25  # one second at 25 fps
    assert index["source"]["fps"] == pytest.approx(fps)
    assert result["n_kept"] == 25
    wav, sr = soundfile.read(tmp_path / "prepared" / f"at{fps}" / "audio.wav")
    assert sr == SR and len(wav) == SR


def test_variable_frame_rate_is_resampled_by_timestamp(tmp_path, mini_tools, settings):
    rng = np.random.default_rng(1)
    steps = rng.choice([1 / 15, 1 / 30, 1 / 60], size=40)
    times = np.concatenate([[0.0], np.cumsum(steps)[:-1]])
    duration = times[-1] + steps[-1]
    frames = good_frames(40)
    frames[:, :4, :4] = (np.arange(40) * 6)[:, None, None, None]  # frame number in a corner
    video = write_vfr(tmp_path / "vfr.mp4", frames, times, speech_like(duration + 0.1))
    result, index = prepare(tmp_path, video, mini_tools, settings, fps=30, n_frames=40)
    assert index["source"]["variable_fps"] is True
    assert abs(index["n_frames"] - duration * 25) <= 1
    decoded = media.read_video(video, fps=25)
    shown = np.round(decoded[:, 1, 1, 0] / 6).astype(int)
    expected = [int(np.argmin(np.abs(times - k / 25))) for k in range(len(decoded))]
    assert np.mean(np.abs(shown - expected) <= 1) > 0.9  # nearest-timestamp resampling (codec noise aside)


def test_audio_shorter_than_video_trims_the_video(tmp_path, mini_tools, settings):
    video = write_clip(tmp_path / "short_audio.mp4", good_frames(50), 25, speech_like(1.6))
    result, index = prepare(tmp_path, video, mini_tools, settings, n_frames=50)
    assert index["n_frames"] == 40 and index["trimmed_to_audio"] == 10
    assert len(np.load(tmp_path / "prepared" / "short_audio" / "audio_features.npy")) == 40


def test_audio_much_shorter_than_video_is_an_error(tmp_path, mini_tools, settings):
    video = write_clip(tmp_path / "stub_audio.mp4", good_frames(50), 25, speech_like(0.4))
    with pytest.raises(ClipError, match="audio shorter than video"):
        prepare(tmp_path, video, mini_tools, settings, n_frames=50)


def test_grayscale_video(tmp_path, mini_tools, settings):
    path = tmp_path / "gray.mkv"
    gray = good_frames(25).mean(axis=3).astype(np.uint8)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("ffv1", rate=25)
        stream.width, stream.height, stream.pix_fmt = SIZE, SIZE, "gray"
        astream = container.add_stream("pcm_s16le", rate=SR, layout="mono")
        for image in gray:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="gray")))
        container.mux(stream.encode())
        audio = (speech_like(1.0) * 32767).astype(np.int16)
        aframe = av.AudioFrame.from_ndarray(audio[None], format="s16", layout="mono")
        aframe.sample_rate = SR
        container.mux(astream.encode(aframe))
        container.mux(astream.encode())
    result, _ = prepare(tmp_path, path, mini_tools, settings)
    frames = np.load(tmp_path / "prepared" / "gray" / "frames.npy")
    assert result["n_kept"] == 25 and frames.shape == (25, 128, 128, 3)
    assert np.abs(frames[..., 0].astype(int) - frames[..., 2]).max() <= 2  # still grey after alignment


def test_odd_frame_size(tmp_path, mini_tools, settings):
    frames = moving(astronaut_face(257)[:, :251], 25)
    video = write_clip(tmp_path / "odd.mp4", frames, 25, speech_like(1.0))
    result, index = prepare(tmp_path, video, mini_tools, settings)
    assert index["source"]["size"] == [251, 257]
    assert result["n_kept"] == 25
