"""AniTalker (X-LANCE/AniTalker at 738c5625; docs/programs/anitalker.md): audio-driven, HuBERT features, 256 px at 25 fps.

``python code/demo.py --infer_type hubert_audio_only --stage1_checkpoint_path .. --stage2_checkpoint_path ..
--test_image_path IMG --test_audio_path WAV --test_hubert_path <absent file> --result_path DIR --seed N`` writes
``DIR/{image stem}-{audio stem}.mp4`` with the audio muxed (demo.py:60, :35). A HuBERT feature file at
``--test_hubert_path`` wins over the audio, and the default names a bundled demo's (demo.py:140, :177-179, :272): the
wrapper names a file that does not exist, so the features come from the clip's own audio, through the HuBERT model
at the fixed path ``ckpts/chinese-hubert-large`` (:145). The program reports its own errors with ``exit(0)``
(:102-148, :197-200).
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
    weights = ("ckpts/chinese-hubert-large/config.json", "ckpts/chinese-hubert-large/preprocessor_config.json",
               "ckpts/chinese-hubert-large/pytorch_model.bin")
    seeding = "--seed: pl.seed_everything before the sampler's noise, DDIM eta 0 (experiment.py:23-24, demo.py:188)"
    raw_size = (256, 256)
    muxes_audio = True

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        return [Step([
            "code/demo.py",
            "--infer_type", self.option("infer_type"),
            "--stage1_checkpoint_path", self.config.checkpoint("stage1"),
            "--stage2_checkpoint_path", self.config.checkpoint("stage2"),
            "--test_image_path", image,
            "--test_audio_path", audio,
            "--test_hubert_path", audio.with_suffix(".hubert-absent.npy"),
            "--result_path", work / "result",
            "--seed", self.option("seed"),
        ])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return written(work / "result" / f"{clip.clip_id}-{clip.clip_id}.mp4")
