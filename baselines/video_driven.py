"""What the video-driven methods (GOHA, Portrait4D-v2) share: EG3D-style input folders and novel-view cameras.

The source folder holds the reference frame, the driving folder the reference view's frames at 25 fps.
Each folder gets an EG3D ``dataset.json`` (``{"labels": [[file, 25-d camera label], ...]}``); after the
program's own preprocessing (``options.preprocess``: argument lists with ``{input}`` and ``{output}``),
the driving folder's labels are set to the clip's target camera, which asks for the novel view.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from baselines.inputs import ClipInputs, write_image
from baselines.normalise import IMAGE_SUFFIXES
from baselines.protocol import Step, Wrapper
from benchmarks import atomic
from benchmarks.records import Camera


def write_labels(folder: Path, camera: Camera | None) -> None:
    """EG3D ``dataset.json`` giving every image under ``folder`` (relative path) the label of ``camera``."""
    if camera is None:
        return
    label = [float(v) for v in camera.label25()]
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    atomic.write_json(folder / "dataset.json", {"labels": [[name, label] for name in names]})


class VideoDriven(Wrapper):
    driven_by = "video"

    def input_folders(self, clip: ClipInputs, work: Path) -> tuple[Path, Path, list[Step]]:
        """(source folder, driving folder, preprocessing steps) as the program will read them."""
        raw_src, raw_drv = work / "source_raw", work / "driving_raw"
        write_image(raw_src / f"{clip.clip_id}.png", clip.reference_image())
        for i, frame in enumerate(clip.driving_frames()):
            write_image(raw_drv / f"{i:05d}.png", frame)
        write_labels(raw_src, clip.record.reference_camera)
        write_labels(raw_drv, clip.record.camera)
        templates = self.config.options.get("preprocess") or []
        if not templates:
            return raw_src.resolve(), raw_drv.resolve(), []
        src, drv = (work / "source").resolve(), (work / "driving").resolve()
        cwd = str(self.config.options.get("preprocess_cwd") or ".")
        steps = [Step([str(a).replace("{input}", str(raw.resolve())).replace("{output}", str(prepared)) for a in args], cwd)
                 for raw, prepared in ((raw_src, src), (raw_drv, drv)) for args in templates]
        # Preprocessing estimates (and writes) its own cameras: the target view is set after it.
        steps[-1] = replace(steps[-1], after=lambda: write_labels(drv, clip.record.camera))
        return src, drv, steps
