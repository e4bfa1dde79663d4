"""Portrait4D-v2 (YuDeng/Portrait-4D at da5eec6f; docs/programs/portrait4d.md): video-driven one-shot 4D head
synthesis.

The program's preprocessing (``options.preprocess``, run in ``data_preprocess/``: ``preprocess_dir.py --input_dir
IN --save_dir OUT`` aligns the crops, ``bfm2flame_simplified.py --input_dir OUT --save_dir OUT`` maps them to FLAME,
whose ``--save_dir`` defaults to the working directory, bfm2flame_simplified.py:103-109) turns the frame folders
into its input layout, then ``python gen_images_portrait4d.py --network .. --srcdir S --tardir T --outdir O
--use_simplified=1`` (run in ``portrait4d/``: it loads ``models/pdfgc/weights/motion_model.pth`` relative to it,
gen_images_portrait4d.py:169) writes ``O/<source>/NNNNN.jpg``, one 1536x512 JPEG per driving frame (source,
generated, driving panels; :257-259): the generated panel is x 512..1024. Its camera is fixed (extrinsics at radius
4.2, :239-243): it takes no target camera, so it is not scored on novel-view benchmarks.
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import FPS, ClipError, ClipInputs
from baselines.normalise import IMAGE_SUFFIXES, Panel, Source
from baselines.protocol import Step
from baselines.video_driven import VideoDriven


def frame_folder(root: Path) -> Path:
    """The folder under ``root`` (itself included) holding the most image frames."""
    counts = {d: sum(p.suffix.lower() in IMAGE_SUFFIXES for p in d.iterdir())
              for d in [root, *root.rglob("*")] if d.is_dir()} if root.is_dir() else {}
    best = max(counts, key=counts.get, default=None)
    if best is None or counts[best] == 0:
        raise ClipError(f"Portrait4D wrote no frames under {root}")
    return best


class Portrait4D(VideoDriven):
    name = "portrait4d"
    url = "https://github.com/YuDeng/Portrait-4D"
    checkpoint_keys = ("network",)
    parsers = {"data_preprocess/preprocess_dir.py": ("data_preprocess/lib/config/config.py",)}
    weights = ("portrait4d/models/pdfgc/weights/motion_model.pth", "portrait4d/models/FLAME/geometry/generic_model.pkl",
               "portrait4d/models/FLAME/mask/FLAME_masks.pkl",
               "data_preprocess/assets/facedetect/retinaface/Resnet50_Final.pth",
               "data_preprocess/assets/facerecon/deep3d_2023/epoch_20.pth",
               "data_preprocess/assets/facerecon/bfm/BFM_model_front.mat",
               "data_preprocess/assets/hrnet_w18_wflw/h3r/model.pth",
               "data_preprocess/assets/landmark3d/3DFAN4-4a694010b9.zip",
               "data_preprocess/assets/landmark3d/depth-6c4283c0e0.zip")
    seeding = "fixed by the program: torch.manual_seed(source index) before each source (gen_images_portrait4d.py:181)"
    panel = Panel(512, 0, 1024, 512, grid=(1536, 512))
    own_view = "renders a fixed camera at radius 4.2 that follows the driving head pose (gen_images_portrait4d.py:239-243)"

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        src, drv, preprocess = self.input_folders(clip, work)
        return [*preprocess, Step(["gen_images_portrait4d.py", "--network", self.config.checkpoint("network"),
                                   "--srcdir", src, "--tardir", drv, "--outdir", (work / "output").resolve(),
                                   f"--use_simplified={self.option('use_simplified')}"],
                                  cwd=str(self.config.options.get("cwd") or "."))]

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        folder = frame_folder(work / "output")
        made = sum(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.iterdir())
        aligned = work / "driving" / "align_images"
        kept = sum(1 for _ in aligned.iterdir()) if aligned.is_dir() else made
        if kept < clip.n_frames:  # preprocessing stops at the first frame without a face, and exits 0
            raise ClipError(f"Portrait4D's preprocessing kept {kept} of {clip.n_frames} driving frames "
                            "(it stops at the first frame without a detected face: inferencer.py:133-139)")
        return Source(folder, fps=FPS)
