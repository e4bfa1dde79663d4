"""GOHA (NVlabs/GOHA at 102abbf3; docs/programs/goha.md): video-driven one-shot head avatar (EG3D-style inputs).

``python demo.py --config configs/s2.yml --checkpoint .. --savedir OUT --source_path SRC --target_path DRV
--frame_limit N`` run in ``src/`` (its config and weights are relative to it, README.md:55-56, s2.yml:25-26). Each of
SRC and DRV holds one folder per video with ``images/*.png`` (512 EG3D crops), ``matting/*.png`` (MODNet mattes) and
``dataset.json`` (an EG3D label per image) (dataset/Dataset.py:37-61, :100-102). They are made as GOHA's
docs/dataset_preprocessing.md says, by two other programs (``options.eg3d``, ``options.modnet``):
EG3D's ``preprocess_in_the_wild.py --indir RAW`` (NVlabs/eg3d 7cf1fd1e, run in dataset_preprocessing/ffhq) crops
into ``RAW/crop/`` and writes the labels to ``<its cwd>/<RAW's name>/dataset.json`` (preprocess_in_the_wild.py:23-46,
preprocess_face_cameras.py:116-128); MODNet's ``python -m demo.image_matting.colab.inference --input-path
--output-path --ckpt-path`` (ZHKKKe/MODNet 28165a45, inference.py:18-20) mattes the crops under their own names.
``--frame_limit`` defaults to 1000 (demo.py:230-232). The program renders the driving labels' cameras
(demo.py:170-172; model_s2.py:305-308): on a novel-view clip each driving frame's label is replaced by the target
camera carried into that frame's head frame (baselines/cameras.py). It writes ``OUT/<source crop name>.mp4``,
2048x512 four-panel frames at a nominal 15 fps, one per driving frame (demo.py:195-205); the generated panel is
x 1024..1536, retimed to 25 fps. The program has no seed.
"""
from __future__ import annotations

import functools
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from baselines import cameras
from baselines.inputs import FPS, ClipError, ClipInputs
from baselines.normalise import Panel, Source
from baselines.protocol import Step, newest_output
from baselines.video_driven import VideoDriven
from benchmarks import atomic

AUTHORS_FILE = "/xtli-correspondence/OMG/HRN/assets/3dmm_assets/template_mesh/bfm_uvs2.npy"  # losses/threeDMM.py:41
EG3D_FFHQ = "dataset_preprocessing/ffhq"
SUBMISSION_OFFSET = "c[1] += 0.006"  # 3dface2idr_mat.py:48-49, which GOHA's preprocessing comments out
TOOLS = {"eg3d": "https://github.com/NVlabs/eg3d", "modnet": "https://github.com/ZHKKKe/MODNet"}


def read_layout(folder: Path) -> list[list]:
    """The ``dataset.json`` labels of one prepared GOHA video folder, checked against its images and mattes."""
    images = sorted(p.name for p in (folder / "images").glob("*.png"))
    if not images:
        raise ClipError(f"{folder}/images holds no PNG crops: EG3D's preprocessing found no face")
    missing = [n for n in images if not (folder / "matting" / n).is_file()]
    if missing:
        raise ClipError(f"{folder}/matting lacks {missing[:3]}: every crop needs its MODNet matte")
    try:
        labels = json.loads((folder / "dataset.json").read_text())["labels"]
    except (OSError, ValueError, KeyError) as exc:
        raise ClipError(f"{folder}/dataset.json with EG3D labels not readable: {exc}") from exc
    labels = [[name, label] for name, label in labels if "_mirror" not in name]  # as Dataset.py:55-57 skips them
    named = {str(name).replace(".jpg", ".png") for name, _ in labels}
    if not set(images) <= named or any(len(label) != 25 for _, label in labels):
        raise ClipError(f"{folder}/dataset.json does not give every crop a 25-d label")
    return labels


class Goha(VideoDriven):
    name = "goha"
    url = "https://github.com/NVlabs/GOHA"
    checkpoint_keys = ("checkpoint",)
    files = ("src/configs/s2.yml", "src/dataset/cano_exemplar.png")
    weights = ("external/face-parsing/79999_iter.pth", "external/GFPGAN/GFPGANv1.3.pth",
               "external/Deep3DFaceRecon/checkpoints/face_recon_feat0.2_augment/epoch_20.pth",
               "external/BFM/BFM_model_front.mat")
    seeding = "none: the program seeds nothing and GFPGAN draws noise (stylegan2_clean_arch.py:140-142)"
    panel = Panel(1024, 0, 1536, 512, grid=(2048, 512))
    target_camera = "each driving frame's EG3D label carried from the reference to the target camera (baselines/cameras.py)"

    def tool(self, key: str) -> Path:
        """The clone of a preprocessing program (``options.eg3d``, ``options.modnet``)."""
        if not self.config.options.get(key):
            raise ClipError(f"baselines.{self.name}.options.{key} is not set: GOHA's inputs are made by "
                            f"{TOOLS[key]} (GOHA docs/dataset_preprocessing.md): clone it and set it there")
        return Path(self.option(key)).expanduser().absolute()

    def steps(self, clip: ClipInputs, work: Path) -> list[Step]:
        eg3d, modnet = self.tool("eg3d") / EG3D_FFHQ, self.tool("modnet")
        python = self.config.options.get("preprocess_python")
        src, drv = (work / "source").resolve(), (work / "driving").resolve()
        # EG3D names its output folder after the input folder's name, in its own working directory: a unique name
        unique = hashlib.sha256(str(work.resolve()).encode()).hexdigest()[:10]
        raw = {"source": work / f"{clip.clip_id}-{unique}-source", "driving": work / f"{clip.clip_id}-{unique}-driving"}
        raw_src, raw_drv = self.raw_folders(clip, work)
        steps = []
        for kind, first, prepared, n in (("source", raw_src, src / clip.clip_id, 1),
                                         ("driving", raw_drv, drv / clip.clip_id, clip.n_frames)):
            shutil.rmtree(raw[kind], ignore_errors=True)
            first.rename(raw[kind])
            folder = raw[kind].resolve()
            steps.append(Step(["preprocess_in_the_wild.py", "--indir", folder], cwd=str(eg3d), python=python,
                              after=functools.partial(collect_eg3d, folder, eg3d / folder.name, prepared, n)))
            steps.append(Step(["-m", "demo.image_matting.colab.inference", "--input-path", prepared / "images",
                               "--output-path", prepared / "matting", "--ckpt-path",
                               modnet / self.option("modnet_checkpoint")], cwd=str(modnet), python=python,
                              after=(lambda p=prepared: read_layout(p)) if kind == "source"
                              else (lambda: self.prepare_labels(clip, drv / clip.clip_id))))
        return [*steps, Step(["demo.py", "--config", self.option("config"),
                              "--checkpoint", self.config.checkpoint("checkpoint"), "--savedir", (work / "output").resolve(),
                              "--source_path", src, "--target_path", drv, "--frame_limit", str(clip.n_frames)], cwd="src")]

    def prepare_labels(self, clip: ClipInputs, folder: Path) -> None:
        labels = read_layout(folder)
        if not self.novel_view:
            return
        record = clip.record
        if record.camera is None or record.reference_camera is None:
            raise ClipError(f"clip {clip.clip_id} has no reference and target cameras to render a novel view from")
        world = [np.linalg.inv(np.asarray(c.world_2_cam)) for c in (record.reference_camera, record.camera)]
        moved = cameras.target_labels(world[0], world[1], np.array([label for _, label in labels]))
        atomic.write_json(folder / "dataset.json",
                          {"labels": [[name, [float(v) for v in row]] for (name, _), row in zip(labels, moved)]})

    def extra_problems(self) -> list[str]:
        problems = []
        loss = self.config.repo / "src" / "losses" / "threeDMM.py"
        if loss.is_file() and _active(loss, AUTHORS_FILE) and not Path(AUTHORS_FILE).is_file():
            problems.append(f"{loss}:41 loads {AUTHORS_FILE}, a file of the authors' machine, when the model is built "
                            "(NVlabs/GOHA issue #5): delete its unused lines 41-42")
        for key, needed in (("eg3d", f"{EG3D_FFHQ}/preprocess_in_the_wild.py"),
                            ("modnet", "demo/image_matting/colab/inference.py")):
            if self.config.options.get(key) and not (self.tool(key) / needed).is_file():
                problems.append(f"{self.tool(key) / needed} not found: clone {TOOLS[key]} there (options.{key})")
        if self.config.options.get("eg3d"):
            eg3d = self.tool("eg3d") / EG3D_FFHQ
            recon = eg3d / "Deep3DFaceRecon_pytorch"
            if not (recon / "test.py").is_file():
                problems.append(f"{recon} is empty: git -C {self.tool('eg3d')} submodule update --init --recursive")
            for rel in ("checkpoints/pretrained/epoch_20.pth", "BFM/01_MorphableModel.mat", "BFM/Exp_Pca.bin"):
                if (recon / "test.py").is_file() and not (recon / rel).is_file():
                    problems.append(f"checkpoint {recon / rel} not found: download it as Deep3DFaceRecon_pytorch's "
                                    "README describes")
            mat = eg3d / "3dface2idr_mat.py"
            if mat.is_file() and _active(mat, SUBMISSION_OFFSET):
                problems.append(f"{mat}:48-49 add EG3D's submission offset: comment them out as GOHA's "
                                "docs/dataset_preprocessing.md says")
        if self.config.options.get("modnet"):
            ckpt = self.tool("modnet") / self.option("modnet_checkpoint")
            if not ckpt.is_file():
                problems.append(f"checkpoint {ckpt} not found: download it as ZHKKKe/MODNet's README describes")
        return problems

    def find_output(self, clip: ClipInputs, work: Path, started: float) -> Source:
        return Source(newest_output(work / "output", "*.mp4", started), fps=FPS)


def _active(source: Path, text: str) -> bool:
    """``text`` on a line of ``source`` that is not commented out."""
    return any(text in line and not line.lstrip().startswith("#")
               for line in source.read_text(errors="replace").splitlines())


def collect_eg3d(raw: Path, labelled: Path, prepared: Path, expected: int) -> None:
    """EG3D's crops (``RAW/crop/*.png``) and labels (``<cwd>/<RAW name>/dataset.json``) into ``prepared``'s
    ``images/`` and ``dataset.json``, and the ``matting/`` folder MODNet writes into; EG3D's own copy in its
    working directory is removed."""
    crops = sorted((raw / "crop").glob("*.png"))
    if not crops or not (labelled / "dataset.json").is_file():
        raise ClipError(f"EG3D's preprocessing wrote no crops in {raw / 'crop'} or no {labelled / 'dataset.json'}: "
                        "it found no face, or one of its steps failed (it exits 0 after errors)")
    if len(crops) != expected:
        raise ClipError(f"EG3D's preprocessing cropped {len(crops)} of {expected} frames: MTCNN missed a face, and "
                        "crop_images_in_the_wild.py:36 would pair the other frames with the wrong landmarks")
    (prepared / "images").mkdir(parents=True, exist_ok=True)
    for crop in crops:
        shutil.move(str(crop), prepared / "images" / crop.name)
    shutil.move(str(labelled / "dataset.json"), prepared / "dataset.json")
    shutil.rmtree(labelled, ignore_errors=True)
    (prepared / "matting").mkdir(exist_ok=True)  # MODNet does not make its output folder (inference.py:93)
