"""FLOAT (deepbrainai-research/float at 97cfdd51; docs/programs/float.md): audio-driven flow matching in motion latent space, 512 px at 25 fps.

``python generate.py --ref_path IMG --aud_path WAV --seed 15 --fix_noise_seed --a_cfg_scale 2 --e_cfg_scale 1
--ckpt_path .. --res_video_path OUT.mp4``. ``--seed`` seeds the sampler's noise only with ``--fix_noise_seed``
(FLOAT.py:102-108 at 97cfdd51, docs/programs/float.md).
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import ClipInputs
from baselines.normalise import Source
from baselines.protocol import Step, Wrapper, input_files, written


class Float(Wrapper):
    name = "float"
    url = "https://github.com/deepbrainai-research/float"
    checkpoint_keys = ("ckpt",)
    parsers = {"generate.py": ("generate.py", "options/base_options.py")}
    weights = ("checkpoints/wav2vec2-base-960h/config.json",
               "checkpoints/wav2vec-english-speech-emotion-recognition/config.json")
    seeding = "--seed with --fix_noise_seed: seeds the sampler's noise (FLOAT.py:102-108)"
    raw_size = (512, 512)
    muxes_audio = True

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        return [Step(["generate.py", "--ref_path", image, "--aud_path", audio, "--seed", self.option("seed"), "--fix_noise_seed",
                      "--a_cfg_scale", self.option("a_cfg_scale"), "--e_cfg_scale", self.option("e_cfg_scale"),
                      "--ckpt_path", self.config.checkpoint("ckpt"), "--res_video_path", work / "output.mp4"])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return written(work / "output.mp4")
