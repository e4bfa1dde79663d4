"""AniPortrait (Zejun-Yang/AniPortrait): audio-driven, inputs listed in the YAML config's ``test_cases``.

``python -m scripts.audio2vid --config YAML -W 512 -H 512 --fps 30`` writes a 3-panel grid (reference,
pose, generated) of 1544x516 into a dated folder under ``output/`` of its clone; the generated panel is
x 1030..1542, y 2..514. The ``_noaudio`` copy is skipped.
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import ClipInputs
from baselines.normalise import Panel, Source
from baselines.protocol import Step, Wrapper, input_files, newest_output, test_case_config


class AniPortrait(Wrapper):
    name = "aniportrait"
    url = "https://github.com/Zejun-Yang/AniPortrait"
    checkpoint_keys = ("pretrained_model",)
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
