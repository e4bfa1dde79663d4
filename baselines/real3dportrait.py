"""Real3DPortrait (yerfor/Real3DPortrait at a9d70c7e): one-shot 3D talking portrait, audio-driven here, 512 px at 25 fps.

``python inference/real3d_infer.py --src_img IMG --drv_aud WAV --drv_pose static --seed N --out_name OUT.mp4
--out_mode final`` (docs/programs/real3dportrait.md, commit a9d70c7e): ``--out_mode final`` keeps only the generated
frames (the default is a 2560x512 debug grid, real3d_infer.py:597); ``--drv_pose static`` holds the source image's
own head pose (the default drives every clip's head with the bundled ``May_5s.mp4``, :591, :282-298); ``--seed``
seeds ``random``, numpy and torch (without it the clock does, :183-186). ``options.extra_args`` is appended as
given. The program takes no target camera (its camera follows the source image, real3d_infer.py:282-298), so it
is not scored on novel-view benchmarks. It crops the source into the shared ``infer_out/tmp/cropped_src_img.png`` of
its clone (:195-196): concurrent runs in one clone collide.
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import ClipInputs
from baselines.normalise import Source
from baselines.protocol import Generation, Step, Wrapper, input_files, written

STALE_SOURCE = "infer_out/tmp/cropped_src_img.png"  # real3d_infer.py:195


class Real3DPortrait(Wrapper):
    name = "real3dportrait"
    url = "https://github.com/yerfor/Real3DPortrait"
    weights = ("checkpoints/240210_real3dportrait_orig/audio2secc_vae/config.yaml",
               "checkpoints/240210_real3dportrait_orig/secc2plane_torso_orig/config.yaml",
               "checkpoints/pretrained_ckpts/mit_b0.pth", "deep_3drecon/BFM/01_MorphableModel.mat",
               "deep_3drecon/BFM/BFM_model_front.mat", "deep_3drecon/BFM/Exp_Pca.bin")
    seeding = "--seed: random, numpy and torch (real3d_infer.py:183-186); without it the clock seeds the run"
    raw_size = (512, 512)
    muxes_audio = True
    # A pose sequence (--drv_pose x.npy) is mapped onto the source's own pose, first frame onto it (:303-309), and
    # absolute poses would need the source pose the program fits internally (:262-268): no constant target view.
    own_view = ("renders the source image's own camera with the head pose held (real3d_infer.py:282-298, --drv_pose "
                "static); a driving pose sequence starts from the source's own pose (:303-309)")

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        image, audio = input_files(clip, work)
        extra = [str(a) for a in self.config.options.get("extra_args") or []]
        return [Step(["inference/real3d_infer.py", "--src_img", image, "--drv_aud", audio,
                      "--drv_pose", self.option("drv_pose"), "--seed", self.option("seed"),
                      "--out_name", work / "output.mp4", "--out_mode", self.option("out_mode"), *extra])]

    def generate(self, clip: ClipInputs, out: Path, work: Path) -> Generation:
        # A failed crop (`cp`, :83-84) would leave the previous run's image there to be used as this clip's source.
        (self.config.repo / STALE_SOURCE).unlink(missing_ok=True)
        return super().generate(clip, out, work)

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return written(work / "output.mp4")
