"""Session fixtures of the dataset adapter tests."""
from __future__ import annotations

import pytest

from .layouts import VIEW_SIZE, write_clip


@pytest.fixture(scope="session")
def clip_bytes(tmp_path_factory) -> dict[str, bytes]:
    """One clip with audio and one without, encoded once and copied into each layout (fast fixtures)."""
    folder = tmp_path_factory.mktemp("clips")
    return {
        "audio": write_clip(folder / "a.mp4").read_bytes(),
        "silent": write_clip(folder / "s.mp4", audio=False).read_bytes(),
        "view": write_clip(folder / "v.mp4", size=VIEW_SIZE, audio=False).read_bytes(),
    }
