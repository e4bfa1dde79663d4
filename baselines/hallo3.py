"""Hallo3 (fudan-generative-vision/hallo3 at e342dcec; docs/programs/hallo3.md): audio-driven video DiT, 25 fps.

The published ``scripts/inference_long_batch.sh`` seeds every run with ``$RANDOM``, ``eval``s its unquoted paths and
exits 0 whatever Python did (inference_long_batch.sh:4-9), so the wrapper runs the command it builds directly:
``WORLD_SIZE=1 RANK=0 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 python hallo3/sample_video.py --base
./configs/cogvideox_5b_i2v_s2.yaml ./configs/inference.yaml --seed N --input-file LIST --output-dir OUT`` in the clone
(its configs name the weights relative to the working directory, inference.yaml:6-19). ``LIST`` has one line
``prompt@@image@@audio`` per clip; the prompt is the clip's caption (Hallo3 data ships ``caption/*.txt``), else
``options.prompt``. The output is ``OUT/<image>-<audio>-seed_<N>/000000_with_audio.mp4`` (sample_video.py:267-268,
:123); the silent ``000000.mp4`` it is muxed from is deleted (:126). ``--seed`` is defined by SwissArmyTransformer's
parser (sat/arguments.py, installed with the program), and must be positive.
"""
from __future__ import annotations

import glob
from pathlib import Path

from baselines.inputs import ClipError, ClipInputs
from baselines.normalise import Source
from baselines.protocol import Step, Wrapper, input_files, newest_output
from benchmarks import atomic

SEPARATOR = "@@"
SINGLE_PROCESS = {"WORLD_SIZE": "1", "RANK": "0", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "1"}


class Hallo3(Wrapper):
    name = "hallo3"
    url = "https://github.com/fudan-generative-vision/hallo3"
    files = ("configs/cogvideox_5b_i2v_s2.yaml", "configs/inference.yaml")
    weights = tuple(f"pretrained_models/{f}" for f in (
        "hallo3/latest", "hallo3/1/mp_rank_00_model_states.pt", "cogvideox-5b-i2v-sat/vae/3d-vae.pt",
        "t5-v1_1-xxl/config.json", "wav2vec/wav2vec2-base-960h/config.json", "audio_separator/Kim_Vocal_2.onnx",
        "face_analysis/models/face_landmarker_v2_with_blendshapes.task"))
    parsers = {"hallo3/sample_video.py": ("hallo3/arguments.py", "python:sat/arguments.py")}
    seeding = "--seed: sat's set_random_seed (arguments.py:186-187); the published script passes $RANDOM"
    muxes_audio = True

    def prompt(self, clip: ClipInputs) -> str:
        caption = clip.record.source.get("caption")
        text = (clip.root / caption).read_text(encoding="utf-8") if caption else self.option("prompt")
        return " ".join(text.split())

    def environment(self, python: str | None = None) -> dict[str, str]:
        return {**super().environment(python), **SINGLE_PROCESS}

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        fields = [self.prompt(clip), str(image), str(audio)]
        if any(SEPARATOR in f or "\n" in f for f in fields):
            raise ClipError(f"{SEPARATOR!r} or a line break inside a prompt or path cannot be passed in Hallo3's input list")
        if int(self.option("seed")) <= 0:
            raise ClipError(f"baselines.{self.name}.options.seed must be positive (sat asserts seed > 0)")
        listing = work / "input.txt"
        atomic.write_text(listing, SEPARATOR.join(fields) + "\n")
        base = [str(c) for c in self.config.options.get("base") or []]
        if not base:
            raise ClipError(f"baselines.{self.name}.options.base (the model and inference configs) is not set")
        return [Step(["hallo3/sample_video.py", "--base", *base,
                      "--seed", self.option("seed"), "--input-file", listing.resolve(),
                      "--output-dir", (work / "output").resolve()])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        clip_id = glob.escape(clip.clip_id)
        return Source(newest_output(work / "output", f"{clip_id}-{clip_id}-seed_*/*_with_audio.mp4", started))
