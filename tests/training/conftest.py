import json

import numpy as np
import pytest
import torch

from model.config import get_config
from model.factory import build_pipeline
from model.training.data import SegmentDataset
from model.training.stage import Stage1

torch.set_num_threads(1)

SIZE = 64  # 8 x 8 latents through the mini preset's space-to-depth
N, CONTEXT = 4, 2  # short segments for speed (the paper's 16 + 2 is a params value)


def write_clip(folder, frames=10, seed=0, kept=None, audio_rows=None):
    """A prepared clip (docs/preparation.md layout) with random content."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    np.save(folder / "frames.npy", rng.integers(0, 256, (frames, SIZE, SIZE, 3), dtype=np.uint8))
    np.save(folder / "audio_features.npy", rng.standard_normal((audio_rows or frames, 1, 64)).astype(np.float32))
    identities = rng.standard_normal((3, 128)).astype(np.float32)
    np.save(folder / "identity_frames.npy", identities / np.linalg.norm(identities, axis=1, keepdims=True))
    np.save(folder / "landmarks.npy", rng.uniform(0, SIZE, (frames, 68, 2)).astype(np.float32))
    (folder / "index.json").write_text(json.dumps({"kept_frames": kept or list(range(frames))}))
    return folder


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("prepared")
    return [write_clip(root / "vfhq" / f"clip{i}", frames=8 + i, seed=i) for i in range(2)]


@pytest.fixture(scope="session")
def mini_config():
    return get_config("mini")


def make_stage(config, work, identity_dropout=0.0, audio_dropout=0.0):
    pipe = build_pipeline(config, work / "components", seed=0)
    return Stage1(pipe, CONTEXT, identity_dropout, audio_dropout)


def make_dataset(clips, config, seed=0):
    return SegmentDataset(clips, N + CONTEXT, config.audio_radius, seed)
