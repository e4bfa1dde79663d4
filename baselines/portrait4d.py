"""Portrait4D-v2 (YuDeng/Portrait-4D): video-driven one-shot 4D head synthesis.

The program's preprocessing (``preprocess_dir.py``, ``bfm2flame_simplified.py``; ``options.preprocess``)
turns the frame folders into its input layout, then ``python gen_images_portrait4d.py --network ..
--srcdir S --tardir T --outdir O --use_simplified=1`` writes one 1536x512 JPEG per driving frame
(source, generated, driving panels): the generated panel is x 512..1024.
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import FPS, ClipError, ClipInputs
from baselines.normalise import IMAGE_SUFFIXES, Panel, Source
from baselines.protocol import Step
from baselines.video_driven import VideoDriven


def frame_folder(root: Path) -> Path:
    """The folder under ``root`` (itself included) holding the most image frames."""
    counts = {d: sum(p.suffix.lower() in IMAGE_SUFFIXES for p in d.iterdir())
              for d in [root, *root.rglob("*")] if d.is_dir()} if root.is_dir() else {}
    best = max(counts, key=counts.get, default=None)
    if best is None or counts[best] == 0:
        raise ClipError(f"Portrait4D wrote no frames under {root}")
    return best


class Portrait4D(VideoDriven):
    name = "portrait4d"
    url = "https://github.com/YuDeng/Portrait-4D"
    checkpoint_keys = ("network",)
    panel = Panel(512, 0, 1024, 512, grid=(1536, 512))

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        src, drv, preprocess = self.input_folders(clip, work)
        return [*preprocess, Step(["gen_images_portrait4d.py", "--network", self.config.checkpoint("network"),
                                   "--srcdir", src, "--tardir", drv, "--outdir", (work / "output").resolve(),
                                   f"--use_simplified={self.option('use_simplified')}"],
                                  cwd=str(self.config.options.get("cwd") or "."))]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return Source(frame_folder(work / "output"), fps=FPS)
