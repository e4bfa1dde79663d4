"""NeRSemble: per participant, one speech sequence seen from one reference view and three target views.

Layout (tobias-kirschstein/nersemble-data v2 and nersemble-benchmark)::

    {pid:03d}/calibration/camera_params.json
    {pid:03d}/sequences/{SEQ}/images/cam_{serial}.mp4
    {pid:03d}/sequences/{SEQ}/alpha_maps/cam_{serial}.mp4        # benchmark format only
    {pid:03d}/sequences/{SEQ}/audio/audio_recording.{wav,ogg}   # speech sequences SEN-xx

Paper Sec. 4.2: "one random camera view as the reference image and three other views as target
videos"; one clip record per target view. The choices are drawn from a generator seeded by
(seed, participant id), so a participant's views do not depend on which others are present.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from benchmarks.datasets.base import DatasetError, Scan, dataset_root, probe, read_json_fields, relative
from benchmarks.records import Camera, ClipRecord

OBTAIN = "download NeRSemble from https://github.com/tobias-kirschstein/nersemble-data (access form in its README)"
# The image size the intrinsics of each camera_params.json format are expressed in.
INTRINSICS_SIZE = {"v2": (3208, 2200), "benchmark": (1604, 1100)}
SPEECH_PREFIX = "SEN-"
AUDIO_NAMES = ("audio_recording.wav", "audio_recording.ogg")
N_TARGETS = 3


def read_cameras(path: Path) -> tuple[str, dict[str, Camera]]:
    """The format name ("v2" or "benchmark") and every camera, K in pixels of that format's image size."""
    world_2_cam, intrinsics = read_json_fields(path, "NeRSemble camera_params.json", "world_2_cam", "intrinsics")
    if not isinstance(world_2_cam, dict) or not world_2_cam:
        raise DatasetError(f"{path}: world_2_cam must map camera serials to 4x4 matrices")
    fmt = "benchmark" if isinstance(intrinsics, dict) else "v2"
    cameras = {}
    for serial, E in world_2_cam.items():
        if fmt == "benchmark" and serial not in intrinsics:
            raise DatasetError(f"{path}: camera {serial} has extrinsics but no intrinsics")
        K = intrinsics[serial] if fmt == "benchmark" else intrinsics
        try:
            cameras[serial] = Camera.from_arrays(serial, K, E, INTRINSICS_SIZE[fmt])
        except (ValueError, TypeError) as exc:
            raise DatasetError(f"{path}: camera {serial}: {exc}") from None
    return fmt, cameras


def choose_views(rng: np.random.Generator, serials: list[str]) -> tuple[str, list[str]]:
    """A reference serial and ``N_TARGETS`` other target serials (sorted), drawn from ``rng``."""
    if len(serials) < 1 + N_TARGETS:
        raise ValueError(f"need {1 + N_TARGETS} cameras, got {len(serials)}")
    picked = rng.choice(len(serials), size=1 + N_TARGETS, replace=False)
    return serials[picked[0]], sorted(serials[i] for i in picked[1:])


def _speech_sequences(participant_dir: Path) -> dict[str, Path]:
    """Speech sequences that have audio, with their audio file."""
    found = {}
    for seq in sorted((participant_dir / "sequences").glob(f"{SPEECH_PREFIX}*")):
        audio = next((seq / "audio" / name for name in AUDIO_NAMES if (seq / "audio" / name).is_file()), None)
        if audio is not None:
            found[seq.name] = audio
    return found


def _scan_participant(root: Path, participant_dir: Path, seed: int, result: Scan) -> None:
    pid = participant_dir.name
    calibration = participant_dir / "calibration" / "camera_params.json"
    try:
        fmt, cameras = read_cameras(calibration)
    except DatasetError as exc:
        result.problems.append(f"participant {pid}: {exc}")
        return
    sequences = _speech_sequences(participant_dir)
    if not sequences:
        result.problems.append(f"participant {pid}: no speech sequence ({SPEECH_PREFIX}*) with audio/{AUDIO_NAMES[0]}")
        return
    rng = np.random.default_rng([seed, int(pid)])
    sequence = sorted(sequences)[rng.integers(len(sequences))]
    images = participant_dir / "sequences" / sequence / "images"
    serials = sorted(s for s in cameras if (images / f"cam_{s}.mp4").is_file())
    if len(serials) < 1 + N_TARGETS:
        result.problems.append(f"{images}: {len(serials)} calibrated camera videos, need {1 + N_TARGETS}")
        return
    reference, targets = choose_views(rng, serials)
    ref_video = relative(images / f"cam_{reference}.mp4", root)
    ref_info = probe(root, ref_video, result)
    if ref_info is None:
        return
    for serial in targets:
        video = relative(images / f"cam_{serial}.mp4", root)
        info = probe(root, video, result)
        if info is None:
            continue
        alpha = images.parent / "alpha_maps" / f"cam_{serial}.mp4"
        result.records.append(
            ClipRecord(
                clip_id=f"{pid}_{sequence}_{serial}",
                dataset="nersemble",
                split="eval",
                video=video,
                audio=relative(sequences[sequence], root),
                fps=info.fps,
                n_frames=info.n_frames,
                identity=pid,
                camera=cameras[serial].scaled(info.width, info.height),
                reference_video=ref_video,
                reference_camera=cameras[reference].scaled(ref_info.width, ref_info.height),
                source={
                    "participant": pid,
                    "sequence": sequence,
                    "serial": serial,
                    "reference_serial": reference,
                    "calibration": relative(calibration, root),
                    "camera_format": fmt,
                    "alpha_map": relative(alpha, root) if alpha.is_file() else None,
                },
            )
        )


def scan(root: str | os.PathLike, seed: int) -> Scan:
    root = dataset_root(root, OBTAIN, "datasets.nersemble.root")
    participants = sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit())
    if not participants:
        raise DatasetError(f"{root}: no participant folders ({{pid:03d}}/calibration/camera_params.json)")
    result = Scan()
    for participant_dir in participants:
        _scan_participant(root, participant_dir, seed, result)
    return result
