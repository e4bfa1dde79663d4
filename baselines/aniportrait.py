"""AniPortrait (Zejun-Yang/AniPortrait at 7f6593fd; docs/programs/aniportrait.md): audio-driven, inputs listed in the
YAML config's ``test_cases``.

``python -m scripts.audio2vid --config YAML -W 512 -H 512 --fps 30 --seed 42`` run in the clone (its config names its
weights relative to the working directory) writes a 3-panel grid (reference, pose, generated) of 1544x516 into
``output/<date>/<HHMM>--seed_<seed>-<W>x<H>/`` of its clone (audio2vid.py:128-133, :253-265); the generated panel is
x 1030..1542, y 2..514. The silent ``_noaudio`` draft is deleted once the audio is muxed (:265), so one left behind
means the mux failed. Audio of 5 s or less crashes the program's pose model (IndexError, audio2vid.py:181-184).
"""
from __future__ import annotations

import glob
import math
from pathlib import Path

from baselines.inputs import ClipError, ClipInputs
from baselines.normalise import Panel, Source
from baselines.protocol import Generation, Step, Wrapper, input_files, newest_output, test_case_config

CHUNK = 80000  # samples: the pose model's 5-s chunks at 16 kHz (audio2vid.py:176-179)


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

    def generate(self, clip: ClipInputs, out: Path, work: Path) -> Generation:
        reason = pose_model_crash(len(clip.require_audio()))
        if reason:
            raise ClipError(f"AniPortrait's pose model cannot take this clip's audio: {reason}")
        return super().generate(clip, out, work)

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        # <ref>_<audio>_<H>x<W>_<int(cfg)>_<HHMM>.mp4, cfg at its default 3.5 (audio2vid.py:45, :254-262)
        o = self.option
        clip_id = glob.escape(clip.clip_id)
        name = f"{clip_id}_{clip_id}_{o('height')}x{o('width')}_3_[0-9][0-9][0-9][0-9].mp4"
        return Source(newest_output(self.config.repo / "output", f"*/*--seed_{o('seed')}-{o('width')}x{o('height')}/{name}",
                                    started))


def pose_model_crash(samples: int) -> str | None:
    """Why the published pose model fails on ``samples`` of 16 kHz audio, or None: it splits the audio into 5-s chunks
    and merges the last into the one before (audio2vid.py:176-184), so one chunk raises IndexError (upstream issue
    #137), and a frame count (30 fps, rounded up: audio_util.py:24) that is a multiple of 150 leaves an empty last
    chunk whose pose sequence comes up short (pose_util.py:38; upstream issue #200)."""
    if samples <= CHUNK:
        return "5 s or less is one chunk, and audio2vid.py:184 indexes the one before it (IndexError)"
    if math.ceil(samples / 16000 * 30) % 150 == 0:
        return "its 30 fps frame count is a multiple of 150, which leaves an empty last chunk (IndexError, pose_util.py:38)"
    return None
