"""GOHA (NVlabs/GOHA): video-driven one-shot head avatar (EG3D-style inputs).

``python demo.py --config configs/s2.yml --checkpoint .. --savedir OUT --source_path SRC --target_path DRV``
writes a 15 fps video of 2048x512 four-panel frames, one frame per driving frame; the generated panel is
x 1024..1536. The 15 fps is nominal: frames are retimed to the driving video's 25 fps, not resampled.
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import FPS, ClipInputs
from baselines.normalise import Panel, Source
from baselines.protocol import Step, newest_output
from baselines.video_driven import VideoDriven


class Goha(VideoDriven):
    name = "goha"
    url = "https://github.com/NVlabs/GOHA"
    checkpoint_keys = ("checkpoint",)
    panel = Panel(1024, 0, 1536, 512, grid=(2048, 512))

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        src, drv, preprocess = self.input_folders(clip, work)
        return [*preprocess, Step(["demo.py", "--config", self.option("config"),
                                   "--checkpoint", self.config.checkpoint("checkpoint"),
                                   "--savedir", (work / "output").resolve(), "--source_path", src, "--target_path", drv])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return Source(newest_output(work / "output", "**/*.mp4", started), fps=FPS)
