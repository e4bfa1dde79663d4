"""EchoMimic (BadToBest/EchoMimic at 76cdab1a; docs/programs/echomimic.md): audio-driven, inputs listed in the YAML
config's ``test_cases``.

``python -u infer_audio2vid.py --config YAML -W 512 -H 512 --cfg 2.5 --steps 30 --fps 25 --seed 420 -L N`` run in the
clone, whose config names its weights relative to the working directory (animation.yaml:2-13). The program writes
``output/<date>/<HHMM>--seed_<seed>-<W>x<H>/<image>_<audio>_<H>x<W>_<int(cfg)>_<HHMM>_withaudio.mp4`` in its clone
(infer_audio2vid.py:180-181, :252). ``-L`` caps the frames at 1200 by default (:56; pipeline_echo_mimic.py:404-406):
the wrapper passes the clip's length. ``--fps 25`` departs from the default 24 (:67) so that the audio features are
sliced at the benchmark's rate (pipeline_echo_mimic.py:397).
"""
from __future__ import annotations

import glob
from pathlib import Path

from baselines.inputs import ClipInputs
from baselines.normalise import Source
from baselines.protocol import Step, Wrapper, input_files, newest_output, test_case_config

# Frames past the clip's own: the program makes 25 * seconds + 2 (pipeline_echo_mimic.py:404-406), trimmed later.
LENGTH_MARGIN = 25


class EchoMimic(Wrapper):
    name = "echomimic"
    url = "https://github.com/BadToBest/EchoMimic"
    files = ("configs/inference/inference_v2.yaml",)
    weights = tuple(f"pretrained_weights/{f}" for f in (
        "denoising_unet.pth", "reference_unet.pth", "motion_module.pth", "face_locator.pth",
        "sd-vae-ft-mse/config.json", "sd-image-variations-diffusers/unet/config.json",
        "audio_processor/whisper_tiny.pt"))
    # OpenAI's tiny.pt, whose download URL carries its sha256 (README.md:192)
    published_sha256 = {"pretrained_weights/audio_processor/whisper_tiny.pt":
                        "65147644a518d12f04e32d6f3b26facc3f8dd46e5390956a9424a650c0ce22b9"}
    seeding = "--seed: torch.manual_seed per test case (infer_audio2vid.py:187-188)"
    muxes_audio = True

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        config = test_case_config(self, image, audio, work / "config.yaml")
        o = self.option
        return [Step(["-u", "infer_audio2vid.py", "--config", config, "-W", o("width"), "-H", o("height"),
                      "--cfg", o("cfg"), "--steps", o("steps"), "--fps", o("fps"), "--seed", o("seed"),
                      "-L", str(clip.n_frames + LENGTH_MARGIN)])]

    def raw_output_name(self, clip: ClipInputs) -> str:
        o = self.option
        clip_id = glob.escape(clip.clip_id)
        return f"{clip_id}_{clip_id}_{o('height')}x{o('width')}_{int(float(o('cfg')))}_*_withaudio.mp4"

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        o = self.option
        folder = f"*/*--seed_{o('seed')}-{o('width')}x{o('height')}"
        return Source(newest_output(self.config.repo / "output", f"{folder}/{self.raw_output_name(clip)}", started))
