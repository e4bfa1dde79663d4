"""V-Express (tencent-ailab/V-Express): audio-driven; writes its video at a non-integer frame rate.

``python inference.py --reference_image_path IMG --audio_path AUD --kps_path "" --retarget_strategy fix_face
--output_path OUT.mp4 --fps 30``; the output is resampled to 25 fps by its timestamps.
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import ClipInputs
from baselines.normalise import Source
from baselines.protocol import Step, Wrapper, input_files, written


class VExpress(Wrapper):
    name = "vexpress"
    url = "https://github.com/tencent-ailab/V-Express"
    checkpoint_keys = ("model_ckpts",)

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        return [Step(["inference.py", "--reference_image_path", image, "--audio_path", audio, "--kps_path", "",
                      "--retarget_strategy", self.option("retarget_strategy"),
                      "--output_path", work / "output.mp4", "--fps", self.option("fps")])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return written(work / "output.mp4")
