"""STARCaster (model/) as a method of ``starcaster generate``: the trained network sampled on each manifest clip.

Modes (paper Sec. 3.4, "Inference"):
- ``portrait``: the prepared reference crop (the clip's identity frame) + its identity embedding + the audio;
- ``id``: identity embedding + audio only (no reference image; paper Tab. 1, "ID-Driven*");
- ``novel_view``: the reference view's frame, resized to the model resolution as the spatial training stage
  resizes its renders, animated by the audio while the camera moves from the reference view to the target
  view (NeRSemble, paper Tab. 2). The identity embedding is taken from that frame; only when the face detector
  finds no face there (turned views, mini's frontal dlib detector) from the target view's prepared clip, as the
  sidecar records.

Per-frame audio features are computed with the preparation's extractor (``prepare.audio_features``) on the
clip's driving audio: the prepared ``audio_features.npy`` holds rows for kept frames only, and the video must
cover every frame. Videos are the model's frames as generated (25 fps, the model resolution, every frame of the
clip or the first ``max_frames``, the clip's audio muxed); model folders come from ``baselines.starcaster``
(docs/baselines.md, "STARCaster").
"""
from __future__ import annotations

import functools
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from baselines.inputs import FPS, SAMPLE_RATE, ClipError, ClipInputs
from baselines.protocol import Generation
from benchmarks import media

RANDOM_WEIGHTS_LABEL = "random initial weights: not a trained STARCaster"
# method -> the baselines.starcaster key naming its model folder in temporal (not novel-view) benchmarks
MODEL_KEYS = {"starcaster": "model", "starcaster_id": "id_model"}


@dataclass(frozen=True)
class Settings:
    """``baselines.starcaster`` of params.yaml."""

    model: str  # portrait-driven model (the audio stages' final model)
    id_model: str
    novel_view_model: str
    novel_view_benchmarks: tuple[str, ...]
    ablations: dict[str, str] = field(default_factory=dict)  # method name -> model folder (Table 3)
    steps: int = 25
    guidance: float = 3.0
    seed: int = 0
    max_frames: int | None = None  # generate only the first frames of each clip (CPU budget); None: all
    device: str = "cpu"
    dtype: str = "float32"

    @classmethod
    def from_params(cls, section: dict | None) -> Settings:
        s = dict(section or {})
        names = set(cls.__dataclass_fields__)
        if set(s) - names:
            raise ValueError(f"unknown baselines.starcaster settings {sorted(set(s) - names)}")
        missing = {"model", "id_model", "novel_view_model", "novel_view_benchmarks"} - set(s)
        if missing:
            raise ValueError(f"baselines.starcaster needs {sorted(missing)}")
        s["novel_view_benchmarks"] = tuple(s["novel_view_benchmarks"])
        s["ablations"] = dict(s.get("ablations") or {})
        return cls(**s)


def method_names(params: dict) -> tuple[str, ...]:
    section = (params.get("baselines") or {}).get("starcaster") or {}
    return (*MODEL_KEYS, *(section.get("ablations") or {}))


def clip_seed(seed: int, clip_id: str) -> int:
    """The clip's sampling seed: fixed per (seed, clip), independent of the clips run before it."""
    return int(np.random.default_rng([seed, zlib.crc32(clip_id.encode())]).integers(2**63))


def model_summary(folder: Path) -> dict:
    """The training stage's ``summary.json`` beside the exported ``model/`` folder."""
    return json.loads((folder.parent / "summary.json").read_text(encoding="utf-8"))


def weights_label(summary: dict) -> str | None:
    """The label every output of a model trained from random initial weights carries; None otherwise."""
    return RANDOM_WEIGHTS_LABEL if str(summary.get("initial_weights", "")).lower().startswith("random") else None


class STARCaster:
    """One STARCaster method (``starcaster``, ``starcaster_id`` or an ablation) on one benchmark."""

    def __init__(self, name: str, params: dict, benchmark: str | None = None):
        self.name, self.params, self.benchmark = name, params, benchmark
        self.settings = Settings.from_params((params.get("baselines") or {}).get("starcaster"))
        novel_view = benchmark in self.settings.novel_view_benchmarks
        self.unsupported = None
        if name == "starcaster":
            self.mode = "novel_view" if novel_view else "portrait"
        elif name == "starcaster_id":
            self.mode = "id"
            if novel_view:
                self.unsupported = (f"the ID-driven mode is not run on {benchmark}: novel-view synthesis animates "
                                    "the reference view (paper Tab. 2), which the ID mode does not see")
        elif name in self.settings.ablations:
            self.mode = "portrait"
            if novel_view:
                self.unsupported = f"the ablations are evaluated on the audio-driven benchmarks only (paper Tab. 3), not {benchmark}"
        else:
            raise KeyError(f"{name!r} is not a STARCaster method ({', '.join(method_names(params))})")
        if self.mode == "novel_view":
            self.folder = Path(self.settings.novel_view_model)
        elif name in self.settings.ablations:
            self.folder = Path(self.settings.ablations[name])
        else:
            self.folder = Path(getattr(self.settings, MODEL_KEYS[name]))

    def availability(self) -> str | None:
        if self.unsupported:
            return self.unsupported
        from model.pipeline import checked_folder

        try:
            checked_folder(self.folder)
        except FileNotFoundError:
            from model.training.cli import producer

            return (f"model folder {self.folder} not found (a pipeline folder with model_index.json): train it with "
                    f"`{producer(self.params.get('train') or {}, str(self.folder))}` (`dvc repro` runs the training stages)")
        except ValueError as exc:
            return str(exc)
        if not (self.folder.parent / "summary.json").is_file():
            return f"{self.folder.parent / 'summary.json'} not found: the training stage writes it beside {self.folder}"
        return None

    def program(self) -> dict:
        """What the sidecar records instead of an external program: the model folder and how it was trained."""
        from benchmarks.hashing import sha256_file

        summary = model_summary(self.folder)
        return {
            "model": str(self.folder),
            "files_sha256": {p.relative_to(self.folder).as_posix(): sha256_file(p)
                             for p in sorted(self.folder.rglob("*")) if p.is_file()},
            "config": json.loads((self.folder / "model" / "config.json").read_text(encoding="utf-8")),
            "training": {k: summary.get(k) for k in ("stage", "variant", "step", "model_preset", "init_from",
                                                     "initial_weights")},
            "weights_label": weights_label(summary),
            "mode": self.mode,
            "options": {k: v for k, v in vars(self.settings).items() if k in
                        ("steps", "guidance", "seed", "max_frames", "device", "dtype")},
        }

    @functools.cached_property
    def pipeline(self):
        import torch

        from model.pipeline import load_pipeline

        pipe = load_pipeline(self.folder)
        return pipe.to(self.settings.device, getattr(torch, self.settings.dtype))

    @functools.cached_property
    def audio_features(self):
        from benchmarks.preprocess import audio_features

        prepare = self.params["prepare"]
        return audio_features.build(prepare["audio_features"], prepare["weights_dir"], SAMPLE_RATE, FPS)

    @functools.cached_property
    def face_identity(self):
        """Preparation's face detector and identity extractor (``prepare``), for the reference view."""
        from model.training.multiview_data import FaceIdentity

        return FaceIdentity(self.params["prepare"])

    @property
    def resolution(self) -> int:
        return int(self.params["prepare"]["resolution"])

    def prepared(self, clip: ClipInputs) -> tuple[Path, dict]:
        folder = Path(self.params["prepare"]["out"]) / (self.benchmark or clip.record.dataset) / clip.clip_id
        if not (folder / "index.json").is_file():
            raise ClipError(f"clip {clip.clip_id} is not prepared ({folder}): run `starcaster prepare --benchmark "
                            f"{self.benchmark or clip.record.dataset}`")
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        if index["resolution"] != self.resolution:
            raise ClipError(f"{folder} was prepared at {index['resolution']} px, prepare.resolution is {self.resolution}")
        return folder, index

    def conditions(self, clip: ClipInputs) -> dict:
        """Identity (D,) and where it came from, reference image (R, R, 3) uint8 or None, and the source and
        target cameras of this clip."""
        if self.mode == "novel_view":
            import cv2

            record = clip.record
            if record.camera is None or record.reference_camera is None:
                raise ClipError(f"clip {clip.clip_id} has no target or reference camera for the novel-view mode")
            view = clip.reference_image()
            reference = cv2.resize(view, (self.resolution, self.resolution), interpolation=cv2.INTER_AREA)
            cameras = (record.reference_camera, record.camera)
            try:
                return {"identity": self.face_identity(view[None]), "identity_source": "reference view",
                        "reference": reference, "cameras": cameras}
            except ValueError:
                # dlib's frontal detector (mini) misses strongly turned reference views; the same person's
                # embedding from the target view's prepared clip stands in, and the sidecar says so
                folder, _ = self.prepared(clip)
                return {"identity": np.load(folder / "identity.npy"), "reference": reference, "cameras": cameras,
                        "identity_source": "prepared target view (no face found in the reference view)"}
        folder, index = self.prepared(clip)
        reference = None
        if self.mode == "portrait":
            reference = np.array(np.load(folder / "frames.npy", mmap_mode="r")[index["reference_frame"]])
        return {"identity": np.load(folder / "identity.npy"), "identity_source": "prepared clip",
                "reference": reference, "cameras": None}

    def generate(self, clip: ClipInputs, out: Path, work: Path) -> Generation:
        import torch

        from model.config import get_config

        audio = clip.require_audio()
        n_frames = clip.n_frames if self.settings.max_frames is None else min(clip.n_frames, self.settings.max_frames)
        # features of the whole clip, then cut: the last frames kept see the audio that follows them
        features = torch.from_numpy(self.audio_features(audio, clip.n_frames)[:n_frames])[None]
        audio = audio[: round(n_frames * SAMPLE_RATE / FPS)]
        cond = self.conditions(clip)
        pipe = self.pipeline
        expected = pipe.model.config.audio_in_dim
        if features.shape[2] * features.shape[3] != expected:
            raise ClipError(f"audio features of {features.shape[2]} x {features.shape[3]} per frame "
                            f"(prepare.audio_features) do not fit the model's {expected}")
        seed = clip_seed(self.settings.seed, clip.clip_id)
        place = {"device": pipe.model.device, "dtype": pipe.model.dtype}
        features = features.to(**place)
        identity = torch.from_numpy(np.asarray(cond["identity"], np.float32))[None].to(**place)
        reference = None if cond["reference"] is None else (
            torch.from_numpy(np.ascontiguousarray(cond["reference"])).permute(2, 0, 1)[None].to(**place) / 255)
        kwargs = {"num_inference_steps": self.settings.steps, "guidance_scale": self.settings.guidance,
                  "generator": torch.Generator().manual_seed(seed)}
        if self.mode == "novel_view":
            result = pipe.novel_view(identity, features, reference, *cond["cameras"], n_frames, **kwargs)
        else:
            side = self.resolution // get_config(model_summary(self.folder)["model_preset"]).vae_factor
            result = pipe(identity, features, n_frames, reference_image=reference, latent_size=(side, side), **kwargs)
        frames = (result.frames[0].permute(0, 2, 3, 1).float() * 255).round().to(torch.uint8).cpu().numpy()
        media.write_video(out, frames, FPS, audio=audio, sample_rate=SAMPLE_RATE)
        return Generation(commands=[], seed=seed, normalisation={
            "mode": self.mode, "frames_written": n_frames, "frames_in_clip": clip.n_frames,
            "max_frames": self.settings.max_frames, "size": [frames.shape[2], frames.shape[1]],
            "reference": None if cond["reference"] is None else (
                "reference view, frame resized" if self.mode == "novel_view" else "prepared crop of the identity frame"),
            "camera": None if cond["cameras"] is None else [c.serial for c in cond["cameras"]],
            "identity": cond["identity_source"],
        })
