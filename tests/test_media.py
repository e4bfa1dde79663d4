import hashlib

import numpy as np
import pytest

from benchmarks import media


def _frames(n, h=48, w=64, seed=0):
    """A moving gradient: compresses well, so decoded frames stay close to the input."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([np.stack([(xx * 4 + 8 * t) % 256, (yy * 4) % 256, np.full_like(xx, 40 * seed % 256)], -1)
                     for t in range(n)]).astype(np.uint8)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_write_is_byte_deterministic_and_decodes_close(tmp_path):
    frames = _frames(20)
    audio = np.sin(np.linspace(0, 200, 16000)).astype(np.float32) * 0.3
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    media.write_video(a, frames, 25, audio=audio)
    media.write_video(b, frames, 25, audio=audio)
    assert _sha(a) == _sha(b)
    media.write_video(b, _frames(20, seed=1), 25, audio=audio)
    assert _sha(a) != _sha(b)
    decoded = media.read_video(a)
    assert decoded.shape == frames.shape
    assert np.abs(decoded.astype(int) - frames).mean() < 4
    info = media.probe(a)
    assert (info.width, info.height, info.n_frames, info.fps, info.has_audio) == (64, 48, 20, 25.0, True)
    assert not info.variable_fps


@pytest.mark.parametrize("src_fps,n_src,expected", [(30, 30, 25), (60, 60, 25), (24, 24, 25), (25, 25, 25)])
def test_resampling_to_25_fps_keeps_duration(tmp_path, src_fps, n_src, expected):
    path = tmp_path / "v.mp4"
    frames = _frames(n_src)
    media.write_video(path, frames, src_fps)
    out = media.read_video(path, fps=25)
    assert len(out) == expected
    # nearest-timestamp choice: output frame k shows source frame round(k * src_fps / 25)
    k = expected - 1
    src = min(round(k * src_fps / 25), n_src - 1)
    assert np.abs(out[k].astype(int) - frames[src]).mean() < 4


def test_streaming_matches_whole_read(tmp_path):
    path = tmp_path / "v.mp4"
    media.write_video(path, _frames(40), 30)
    whole = media.read_video(path, fps=25)
    streamed = np.concatenate(list(media.iter_video(path, fps=25, batch=7)))
    assert all(len(b) <= 7 for b in media.iter_video(path, fps=25, batch=7))
    np.testing.assert_array_equal(whole, streamed)



@pytest.mark.parametrize("max_frames", [1, 10, 33, 100])
def test_max_frames_reads_the_first_resampled_frames(tmp_path, max_frames):
    path = tmp_path / "v.mp4"
    media.write_video(path, _frames(40), 30)
    whole = media.read_video(path, fps=25)
    np.testing.assert_array_equal(media.read_video(path, fps=25, max_frames=max_frames), whole[:max_frames])

def test_audio_roundtrip_keeps_timing(tmp_path):
    audio = np.zeros(16000, np.float32)
    audio[8000:8160] = 0.8
    media.write_video(tmp_path / "v.mp4", _frames(25), 25, audio=audio)
    back = media.read_audio(tmp_path / "v.mp4")
    assert abs(int(np.argmax(np.abs(back) > 0.3)) - 8000) <= 2
    media.write_audio(tmp_path / "a.wav", audio, 16000)
    wav = media.read_audio(tmp_path / "a.wav", sample_rate=8000)
    assert len(wav) == 8000 and abs(int(np.argmax(np.abs(wav) > 0.3)) - 4000) <= 2


def test_odd_frame_size_is_written(tmp_path):
    path = tmp_path / "odd.mp4"
    media.write_video(path, _frames(5, h=33, w=45), 25)
    assert media.read_video(path).shape == (5, 33, 45, 3)


@pytest.mark.parametrize("content,reason", [(b"", "empty file"), (b"\x00" * 4000, "cannot open")])
def test_bad_files_raise_media_error(tmp_path, content, reason):
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(media.MediaError, match=reason):
        media.read_video(path)


def test_truncated_and_missing(tmp_path):
    good = tmp_path / "good.mp4"
    media.write_video(good, _frames(30), 25)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    with pytest.raises(media.MediaError):
        media.read_video(cut)
    with pytest.raises(media.MediaError, match="not found"):
        media.probe(tmp_path / "nope.mp4")
    with pytest.raises(media.MediaError, match="no audio"):
        media.read_audio(good)


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "x.mp4"
    with pytest.raises(media.MediaError):
        media.write_video(path, [np.zeros((4, 4), np.uint8)], 25)
    assert list(tmp_path.iterdir()) == []
