"""V-Express (tencent-ailab/V-Express at 6814f7db; docs/programs/vexpress.md): audio-driven; writes its video at a
rate that depends on the clip.

``python inference.py --reference_image_path IMG --audio_path AUD --kps_path "" --retarget_strategy fix_face
--output_path OUT.mp4 --fps 30 --seed 42``: its weights come from the defaults of its own arguments, relative to the
clone (inference.py:30-39). It writes 24 + 20k frames spread over the audio's duration (inference.py:255-264),
resampled to 25 fps by their timestamps; audio under 0.8 s is too short for the program's first 24-frame window and
the clip fails.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from baselines.inputs import ClipInputs
from baselines.normalise import Source
from baselines.protocol import Step, Wrapper, input_files, written


class VExpress(Wrapper):
    name = "vexpress"
    url = "https://github.com/tencent-ailab/V-Express"
    weights = tuple(f"model_ckpts/{f}" for f in (
        "stable-diffusion-v1-5/unet/config.json", "sd-vae-ft-mse/config.json", "wav2vec2-base-960h/config.json",
        "insightface_models/models/buffalo_l/1k3d68.onnx", "v-express/denoising_unet.bin",
        "v-express/reference_net.bin", "v-express/v_kps_guider.bin", "v-express/audio_projection.bin",
        "v-express/motion_module.bin"))
    seeding = "--seed: seeds the sampler's generator (inference.py:64, :216)"
    raw_size = (512, 512)
    muxes_audio = True

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        return [Step(["inference.py", "--reference_image_path", image, "--audio_path", audio, "--kps_path", "",
                      "--retarget_strategy", self.option("retarget_strategy"),
                      "--output_path", output_path(work), "--fps", self.option("fps"), "--seed", self.option("seed")])]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return written(output_path(work))


def output_path(work: Path) -> Path:
    """The program names its temporary video by replacing the output's stem everywhere in the path
    (pipelines/utils.py:74-75): a stem that cannot occur in the folders above it, the hash of their path."""
    work = work.resolve()
    return work / f"vexpress-{hashlib.sha256(str(work).encode()).hexdigest()[:16]}.mp4"
