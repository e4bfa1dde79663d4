"""Real3DPortrait (yerfor/Real3DPortrait): one-shot 3D talking portrait, audio-driven here, 512 px at 25 fps.

``python inference/real3d_infer.py --src_img IMG --drv_aud WAV --out_name OUT.mp4 --out_mode final``
(``--out_mode final`` keeps only the generated frames). ``options.extra_args`` is appended as given
(e.g. ``[--drv_pose, static]``); the program takes no target camera, so novel views are its own.
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
                      "--out_name", work / "output.mp4", "--out_mode", self.option("out_mode"), *extra])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return written(work / "output.mp4")
