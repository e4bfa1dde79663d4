"""Hallo3 (fudan-generative-vision/hallo3): audio-driven video DiT, 25 fps.

``bash scripts/inference_long_batch.sh input.txt OUTDIR`` with one line ``prompt@@image@@audio.wav`` per
clip; the script calls ``python`` itself, so the program's interpreter is put first on PATH.
The prompt is the clip's caption (Hallo3 data ships ``caption/*.txt``), else ``options.prompt``.
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import ClipError, ClipInputs
from baselines.normalise import Source
from baselines.protocol import Step, Wrapper, input_files, newest_output
from benchmarks import atomic

SEPARATOR = "@@"


class Hallo3(Wrapper):
    name = "hallo3"
    url = "https://github.com/fudan-generative-vision/hallo3"
    checkpoint_keys = ("pretrained_models",)

    def prompt(self, clip: ClipInputs) -> str:
        caption = clip.record.source.get("caption")
        text = (clip.root / caption).read_text(encoding="utf-8") if caption else self.option("prompt")
        return " ".join(text.split())

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        fields = [self.prompt(clip), str(image), str(audio)]
        if any(SEPARATOR in f for f in fields):
            raise ClipError(f"{SEPARATOR!r} inside a prompt or path cannot be passed in Hallo3's input list")
        listing = work / "input.txt"
        atomic.write_text(listing, SEPARATOR.join(fields) + "\n")
        return [Step(["bash", self.option("script"), listing.resolve(), (work / "output").resolve()], interpreter=False)]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return Source(newest_output(work / "output", "**/*.mp4", started))
