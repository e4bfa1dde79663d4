"""Real3DPortrait (yerfor/Real3DPortrait): one-shot 3D talking portrait, audio-driven here, 512 px at 25 fps.

``python inference/real3d_infer.py --src_img IMG --drv_aud WAV --drv_pose static --seed N --out_name OUT.mp4
--out_mode final`` (docs/programs/real3dportrait.md, commit a9d70c7e): ``--out_mode final`` keeps only the generated
frames (the default is a 2560x512 debug grid, real3d_infer.py:597); ``--drv_pose static`` holds the source image's
own head pose (the default drives every clip's head with the bundled ``May_5s.mp4``, :591, :282-298); ``--seed``
seeds ``random``, numpy and torch (without it the clock does, :183-186). ``options.extra_args`` is appended as
given. The program takes no target camera here, so novel views are its own.
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import ClipInputs
from baselines.normalise import Source
from baselines.protocol import Step, Wrapper, input_files, written


class Real3DPortrait(Wrapper):
    name = "real3dportrait"
    url = "https://github.com/yerfor/Real3DPortrait"
    checkpoint_keys = ("checkpoints",)

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        extra = [str(a) for a in self.config.options.get("extra_args") or []]
        return [Step(["inference/real3d_infer.py", "--src_img", image, "--drv_aud", audio,
                      "--drv_pose", self.option("drv_pose"), "--seed", self.option("seed"),
                      "--out_name", work / "output.mp4", "--out_mode", self.option("out_mode"), *extra])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return written(work / "output.mp4")
