"""AniTalker (X-LANCE/AniTalker): audio-driven, HuBERT features, 256 px at 25 fps.

``python code/demo.py --infer_type hubert_audio_only --stage1_checkpoint_path .. --stage2_checkpoint_path ..
--test_image_path IMG --test_audio_path WAV --result_path DIR`` writes ``DIR/{image stem}-{audio stem}.mp4``.
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import ClipInputs
from baselines.normalise import Source
from baselines.protocol import Step, Wrapper, input_files, written


class AniTalker(Wrapper):
    name = "anitalker"
    url = "https://github.com/X-LANCE/AniTalker"
    checkpoint_keys = ("stage1", "stage2")

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        return [Step([
            "code/demo.py",
            "--infer_type", self.option("infer_type"),
            "--stage1_checkpoint_path", self.config.checkpoint("stage1"),
            "--stage2_checkpoint_path", self.config.checkpoint("stage2"),
            "--test_image_path", image,
            "--test_audio_path", audio,
            "--result_path", work / "result",
        ])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return written(work / "result" / f"{clip.clip_id}-{clip.clip_id}.mp4")
