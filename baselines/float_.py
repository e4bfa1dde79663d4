"""FLOAT (deepbrainai-research/float at 97cfdd51; docs/programs/float.md): audio-driven flow matching in motion latent
space, 512 px at 25 fps.

``python generate.py --ref_path IMG --aud_path WAV --seed 15 --fix_noise_seed --a_cfg_scale 2 --e_cfg_scale 1
--ckpt_path .. --res_video_path OUT.mp4``. ``--seed`` seeds the sampler's noise only with ``--fix_noise_seed``
(FLOAT.py:102-108). The program muxes the audio with a shell command holding ``--aud_path`` and ``--res_video_path``
unquoted (generate.py:114-117): those two paths are always in a folder whose path a shell takes as one plain word.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from baselines.inputs import ClipError, ClipInputs
from baselines.normalise import Source
from baselines.protocol import Generation, Step, Wrapper, input_files, written

SHELL_WORD = re.compile(r"[A-Za-z0-9_./+-]+")  # characters no shell splits, expands or acts on


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.temporary: list[Path] = []
        self.shell: Path | None = None

    def shell_folder(self, work: Path) -> Path:
        """``work/shell`` when a shell takes its path as one word, else a fresh folder under the system's temporary
        folder (removed after the clip)."""
        folder = (work / "shell").resolve()
        if not SHELL_WORD.fullmatch(str(folder)):
            folder = Path(tempfile.mkdtemp(prefix="starcaster-float-"))
            self.temporary.append(folder)
            if not SHELL_WORD.fullmatch(str(folder)):
                raise ClipError(f"no folder a shell takes as one word for FLOAT's mux command (tried {folder})")
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        self.shell = self.shell_folder(work)
        shutil.copyfile(audio, self.shell / "audio.wav")
        return [Step(["generate.py", "--ref_path", image, "--aud_path", self.shell / "audio.wav",
                      "--seed", self.option("seed"), "--fix_noise_seed",
                      "--a_cfg_scale", self.option("a_cfg_scale"), "--e_cfg_scale", self.option("e_cfg_scale"),
                      "--ckpt_path", self.config.checkpoint("ckpt"), "--res_video_path", self.shell / "output.mp4"])]

    def generate(self, clip: ClipInputs, out: Path, work: Path) -> Generation:
        self.temporary = []
        try:
            return super().generate(clip, out, work)
        finally:
            for folder in self.temporary:
                shutil.rmtree(folder, ignore_errors=True)

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return written(self.shell / "output.mp4")
