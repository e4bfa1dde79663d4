"""V-Express (tencent-ailab/V-Express): audio-driven; writes its video at a rate that depends on the clip.

``python inference.py --reference_image_path IMG --audio_path AUD --kps_path "" --retarget_strategy fix_face
--output_path OUT.mp4 --fps 30 --seed 42`` (docs/programs/vexpress.md, commit 6814f7db): 24 + 20k frames spread over
the audio's duration (inference.py:255-264), resampled to 25 fps by their timestamps; audio under 0.8 s is too short
for the program's first 24-frame window and the clip fails.
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
                      "--output_path", work / "output.mp4", "--fps", self.option("fps"), "--seed", self.option("seed")])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return written(work / "output.mp4")
