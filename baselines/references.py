"""Built-in references that always run: the ground truth (upper bound) and the reference frame held
still (lower bound for motion), both in the generated-video contract."""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import FPS, ClipInputs
from baselines.normalise import Source, normalise
from baselines.protocol import Generation
from benchmarks import media


class GroundTruth:
    """The clip itself (the target view), normalised like every method's output."""

    name = "ground_truth"

    def availability(self) -> str | None:
        return None

    def generate(self, clip: ClipInputs, out: Path, work: Path) -> Generation:
        stats = normalise(Source(clip.target_video), out, size=clip.size, n_frames=clip.n_frames, audio=clip.audio,
                          frame_size=clip.frame_size)
        return Generation(commands=[], normalisation=stats)


class StaticReference:
    """The reference frame repeated for the whole clip, with the driving audio."""

    name = "static_reference"

    def availability(self) -> str | None:
        return None

    def generate(self, clip: ClipInputs, out: Path, work: Path) -> Generation:
        import cv2

        image = cv2.resize(clip.reference_image(), clip.size, interpolation=cv2.INTER_AREA)
        n = clip.n_frames
        media.write_video(out, (image for _ in range(n)), FPS, audio=clip.audio)
        return Generation(commands=[], normalisation={"frames_written": n, "size": list(clip.size),
                                                      "reference_frame": clip.record.reference_frame})
