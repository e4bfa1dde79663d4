import itertools

import numpy as np
import pytest
import torch

from model.training.data import SegmentDataset, SegmentSampler, contiguous_starts, find_clips
from tests.training.conftest import CONTEXT, N, make_dataset, write_clip


def test_contiguous_starts_skip_dropped_frames():
    # timeline 0..9 with frame 4 dropped: rows 0-3 = frames 0-3, rows 4-8 = frames 5-9
    kept = [0, 1, 2, 3, 5, 6, 7, 8, 9]
    assert contiguous_starts(kept, 3) == [0, 1, 4, 5, 6]
    assert contiguous_starts(kept, 5) == [4]
    assert contiguous_starts(kept, 10) == []


def test_segment_is_the_clip_slice_with_real_audio_neighbours(clips, mini_config):
    dataset = make_dataset(clips, mini_config)
    clip_index, start = dataset.segments[3]
    item = dataset[(3, 0)]
    frames = np.load(clips[clip_index] / "frames.npy")
    audio = np.load(clips[clip_index] / "audio_features.npy")
    landmarks = np.load(clips[clip_index] / "landmarks.npy")
    assert item["frames"].shape == (N + CONTEXT, 3, 64, 64)
    assert torch.equal(item["frames"], torch.from_numpy(frames[start:start + N + CONTEXT]).permute(0, 3, 1, 2) / 255)
    assert np.array_equal(item["landmarks"].numpy(), landmarks[start:start + N + CONTEXT])
    r = mini_config.audio_radius
    middle = N + CONTEXT - 1 - r  # a frame whose window lies inside the clip
    assert np.array_equal(item["audio"][middle].numpy(), audio[start + middle - r:start + middle + r + 1, 0])
    assert np.allclose(item["identity"].norm(), 1)
    assert any(torch.equal(item["reference"], torch.from_numpy(f).permute(2, 0, 1) / 255) for f in frames)


def test_items_depend_only_on_stream_position(clips, mini_config):
    dataset = make_dataset(clips, mini_config)
    references = [dataset[(0, p)]["reference"] for p in range(6)]
    assert all(torch.equal(dataset[(0, p)]["reference"], references[p]) for p in range(6))
    assert not all(torch.equal(references[0], r) for r in references[1:])


def test_the_identity_is_a_random_embedded_frames_one(clips, mini_config):
    dataset = make_dataset(clips, mini_config)
    clip_index, _ = dataset.segments[0]
    embedded = torch.from_numpy(np.load(clips[clip_index] / "identity_frames.npy"))
    drawn = [dataset[(0, p)]["identity"] for p in range(12)]
    rows = {next(i for i, e in enumerate(embedded) if torch.equal(e, d)) for d in drawn}
    assert rows == set(range(len(embedded)))
    assert all(torch.equal(dataset[(0, p)]["identity"], drawn[p]) for p in range(12))


def test_bad_clips_are_skipped_with_their_reason(clips, mini_config, tmp_path):
    short = write_clip(tmp_path / "short", frames=N + CONTEXT - 1)
    mismatch = write_clip(tmp_path / "mismatch", frames=10, audio_rows=7)
    broken = write_clip(tmp_path / "broken", frames=10)
    (broken / "frames.npy").write_bytes(b"not an array")
    no_mouth = write_clip(tmp_path / "no_mouth", frames=10)
    old = write_clip(tmp_path / "old", frames=10)
    (old / "identity_frames.npy").unlink()
    np.save(no_mouth / "landmarks.npy", np.full((10, 68, 2), np.nan, np.float32))
    dataset = SegmentDataset([short, mismatch, broken, no_mouth, old, clips[0]], N + CONTEXT, 2)
    assert set(dataset.skipped) == {str(short), str(mismatch), str(broken), str(no_mouth), str(old)}
    assert "rerun `starcaster prepare`" in dataset.skipped[str(old)]
    assert "contiguous" in dataset.skipped[str(short)] and "audio_features" in dataset.skipped[str(mismatch)]
    assert "landmarks" in dataset.skipped[str(no_mouth)]
    with pytest.raises(ValueError, match="no usable training segment"):
        SegmentDataset([short], N + CONTEXT, 2)


def test_find_clips_names_a_missing_benchmark(clips, tmp_path):
    assert find_clips(clips[0].parent.parent, ["vfhq"]) == sorted(clips)
    with pytest.raises(FileNotFoundError, match="starcaster prepare --benchmark hdtf"):
        find_clips(tmp_path, ["hdtf"])


def test_sampler_resumes_the_stream_and_shards_it():
    stream = list(itertools.islice(SegmentSampler(5, seed=3), 23))
    assert sorted(i for i, _ in stream[:5]) == list(range(5))  # one permutation per epoch
    assert [i for i, _ in stream[:5]] != [i for i, _ in stream[5:10]]
    assert list(itertools.islice(SegmentSampler(5, seed=3, start=7), 16)) == stream[7:]
    shards = [list(itertools.islice(SegmentSampler(5, 3, start=6, rank=r, world_size=2), 8)) for r in (0, 1)]
    assert sorted(shards[0] + shards[1], key=lambda x: x[1]) == stream[6:22]
