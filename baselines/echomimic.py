"""EchoMimic (BadToBest/EchoMimic): audio-driven, inputs listed in the YAML config's ``test_cases``.

``python -u infer_audio2vid.py --config YAML -W 512 -H 512 --cfg 2.5 --steps 30 --fps 25``; the program
writes into a dated folder under ``output/`` of its own clone; the muxed result ends in ``_withaudio.mp4``.
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import ClipInputs
from baselines.normalise import Source
from baselines.protocol import Step, Wrapper, input_files, newest_output, test_case_config


class EchoMimic(Wrapper):
    name = "echomimic"
    url = "https://github.com/BadToBest/EchoMimic"
    checkpoint_keys = ("pretrained_weights",)

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        config = test_case_config(self, image, audio, work / "config.yaml")
        o = self.option
        return [Step(["-u", "infer_audio2vid.py", "--config", config, "-W", o("width"), "-H", o("height"),
                      "--cfg", o("cfg"), "--steps", o("steps"), "--fps", o("fps"), "--seed", o("seed")])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return Source(newest_output(self.config.repo / "output", f"**/{clip.clip_id}_*_withaudio.mp4", started))
