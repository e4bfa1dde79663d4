"""AniPortrait (Zejun-Yang/AniPortrait at 7f6593fd; docs/programs/aniportrait.md): audio-driven, inputs listed in the
YAML config's ``test_cases``.

``python -m scripts.audio2vid --config YAML -W 512 -H 512 --fps 30 --seed 42`` run in the clone (its config names its
weights relative to the working directory) writes a 3-panel grid (reference, pose, generated) of 1544x516 into
``output/<date>/<HHMM>--seed_<seed>-<W>x<H>/`` of its clone (audio2vid.py:128-133, :253-265); the generated panel is
x 1030..1542, y 2..514. The silent ``_noaudio`` draft is deleted once the audio is muxed (:265), so one left behind
means the mux failed. Audio of 5 s or less crashes the program's pose model (IndexError, audio2vid.py:181-184).
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import ClipInputs
from baselines.normalise import Panel, Source
from baselines.protocol import Step, Wrapper, input_files, newest_output, test_case_config


class AniPortrait(Wrapper):
    name = "aniportrait"
    url = "https://github.com/Zejun-Yang/AniPortrait"
    files = ("configs/inference/inference_audio.yaml",)
    weights = tuple(f"pretrained_model/{f}" for f in (
        "denoising_unet.pth", "reference_unet.pth", "pose_guider.pth", "motion_module.pth", "audio2mesh.pt",
        "audio2pose.pt", "stable-diffusion-v1-5/unet/config.json", "sd-vae-ft-mse/config.json",
        "image_encoder/config.json", "wav2vec2-base-960h/config.json"))
    seeding = ("partial: --seed seeds torch only (audio2vid.py:102); the pose model's identity is "
               "random.randint(0, 99) from an unseeded `random` (:172), so two runs differ in head motion")
    muxes_audio = True
    panel = Panel(1030, 2, 1542, 514, grid=(1544, 516))

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        config = test_case_config(self, image, audio, work / "config.yaml")
        o = self.option
        return [Step(["-m", "scripts.audio2vid", "--config", config, "-W", o("width"), "-H", o("height"),
                      "--fps", o("fps"), "--seed", o("seed")])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return Source(newest_output(self.config.repo / "output", f"**/{clip.clip_id}_*.mp4", started,
                                    exclude="_noaudio.mp4"))
