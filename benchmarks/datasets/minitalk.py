"""`starcaster minitalk`: build MiniTalk, the embedded benchmark, in the real datasets' layouts.

Everything comes from material that installs with the project (docs/data-layouts.md gives the layouts):
portraits shipped in packages (benchmarks/synth/faces.py), speech from espeak-ng or the formant
fallback (synth/speech.py), a jaw driven by the speech loudness and a smooth random head motion
(synth/warp.py, synth/trajectories.py), cameras (synth/views.py). The per-frame truth of every video
is saved under ``ground_truth/``.

Split: see SPLIT_RULE (also written into minitalk.json).

Determinism: every clip draws from its own RNG stream, seeded by (seed, stream kind, identity, clip),
and the video writer is byte-deterministic, so a seed gives identical files whatever the number of
worker processes (``minitalk.workers``); ``minitalk.json`` records the seed, params, synthesiser and
the sha256 of every file.
"""
from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

SPLIT_RULE = (
    "Sentences are held out: evaluation clips speak only evaluation sentences (every third line of "
    "sentences.txt), training clips only the others. Clip g = identity * clips_per_identity + k goes to "
    "th1kh (eval) when g % 3 == 0, hallo3 (eval) when g % 3 == 1, and to a training folder when g % 3 == 2 "
    "(vfhq, celebvhq, hdtf in turn). NeRSemble (eval) takes the first multiview.n_identities identities "
    "speaking evaluation sentences; the multi-view trajectories (training) take the first "
    "trajectories.n_identities identities speaking training sentences."
)
SENTENCES = Path(__file__).with_name("sentences.txt")
EVAL_EVERY = 3
TRAIN_SETS = ("vfhq", "celebvhq", "hdtf")
NERSEMBLE_SEQUENCE = "SEN-01"
NERSEMBLE_FRAME = (320, 220)
NERSEMBLE_BACKGROUND = (128, 128, 128)
TRAJECTORY_FILL = 0.6  # the portrait plane spans this fraction of a trajectory frame
STREAM_CLIP, STREAM_NERSEMBLE, STREAM_TRAJECTORY = 0, 1, 2
SYNTHESISERS = ("auto", "espeak-ng", "formant")


def read_sentences(path: Path = SENTENCES) -> tuple[list[str], list[str]]:
    """(evaluation, training) sentences; see the file's header for the rule."""
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    return [s for k, s in enumerate(lines) if k % EVAL_EVERY == 0], [s for k, s in enumerate(lines) if k % EVAL_EVERY]


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


@dataclass(frozen=True)
class Take:
    """One performance: who says what, how, and how the head moves."""

    identity: int
    sentence: str
    voice: dict
    audio: np.ndarray
    opening: np.ndarray  # (T,) jaw opening in [0, 1]
    angles: np.ndarray  # (T, 3)
    translation: np.ndarray  # (T, 3)


class Builder:
    def __init__(self, cfg: dict, datasets: dict, root: Path):
        from benchmarks.synth import faces, warp

        self.cfg, self.root = cfg, root
        self.fps, self.sr, self.size = float(cfg["fps"]), int(cfg["sample_rate"]), int(cfg["frame_size"])
        self.layout = _layout_dirs(cfg["out"], datasets)
        self.synthesiser = _choose_synthesiser(cfg.get("synthesiser", "auto"))
        self.eval_sentences, self.train_sentences = read_sentences()
        self.portraits = faces.load_portraits(self.size, int(cfg["n_identities"]))
        self.rigs = [warp.FaceRig.from_landmarks(p.landmarks, self.size) for p in self.portraits]

    # -- performances -----------------------------------------------------------------------
    def take(self, identity: int, sentences: list[str], seconds: float, rng: np.random.Generator,
             still: bool = False) -> Take:
        from benchmarks.synth import speech, trajectories

        n = int(round(seconds * self.fps))
        sentence = sentences[int(rng.integers(len(sentences)))]
        voice = speech.Voice.sample(rng)
        audio = speech.synthesize(sentence, voice, self.sr, use_espeak=self.synthesiser == "espeak-ng")
        audio = speech.fit_length(audio, int(round(n / self.fps * self.sr)), self.sr)
        motion = trajectories.head_motion(rng, n, self.fps)
        angles, translation = (np.zeros((n, 3)), np.zeros((n, 3))) if still else (motion.angles, motion.translation)
        opening = speech.mouth_envelope(audio, self.sr, self.fps, n)
        return Take(identity, sentence, asdict(voice), audio, opening, angles, translation)

    def render(self, take: Take, K: np.ndarray, extrinsics: list[np.ndarray], out_size: tuple[int, int],
               background=None) -> tuple[np.ndarray, dict]:
        """Frames (T,H,W,3) and the ground truth of ``take`` seen by one camera per frame."""
        from benchmarks.synth import warp

        portrait, rig = self.portraits[take.identity], self.rigs[take.identity]
        frames, landmarks, opening = [], [], []
        for t, E in enumerate(extrinsics):
            frame, pts = warp.render(portrait.image, portrait.landmarks, rig, float(take.opening[t]), K, E,
                                     warp.rotation_matrix(*take.angles[t]), take.translation[t], out_size, background)
            frames.append(frame)
            landmarks.append(pts)
            opening.append(warp.mouth_opening(rig.displace(portrait.landmarks, float(take.opening[t]))))
        truth = {
            "fps": self.fps,
            "n_frames": len(frames),
            "identity": portrait.identity,
            "sentence": take.sentence,
            "voice": take.voice,
            "synthesiser": self.synthesiser,
            "mouth_open": np.round(opening, 5).tolist(),
            "head_rotation": np.round(take.angles, 6).tolist(),
            "head_translation_m": np.round(take.translation, 6).tolist(),
            "landmarks": np.round(np.stack(landmarks), 2).tolist(),
            "face_plane": {"width_m": warp.PLANE_WIDTH_M, "head_centre_m": warp.HEAD_CENTRE_M.tolist(),
                           "portrait": f"portraits/{portrait.identity}.png"},
        }
        return np.stack(frames), truth

    # -- writers -------------------------------------------------------------------------------
    def write_clip(self, rel: str, frames: np.ndarray, take: Take, truth: dict, camera: dict | list) -> None:
        """``rel`` (relative to the MiniTalk root, without .mp4): the video with muxed audio and its truth."""
        from benchmarks import atomic, media

        media.write_video(self.root / f"{rel}.mp4", frames, self.fps, audio=take.audio, sample_rate=self.sr)
        truth = dict(truth, camera=camera)
        atomic.write_text(self.root / "ground_truth" / f"{rel}.json", json.dumps(truth, separators=(",", ":"), sort_keys=True))

    # -- jobs: each renders and writes one video; independent, so they run in any order or process --
    def jobs(self) -> list[tuple]:
        from benchmarks.synth import views

        per_id = int(self.cfg["clips_per_identity"])
        jobs: list[tuple] = [("clip", i, k) for i in range(len(self.portraits)) for k in range(per_id)]
        jobs += [("nersemble", i, serial) for i in range(self._n("multiview")) for serial in views.NERSEMBLE_SERIALS]
        jobs += [("trajectory", i, k) for i in range(self._n("trajectories"))
                 for k in range(int(self.cfg["trajectories"]["per_identity"]))]
        return jobs

    def _n(self, section: str) -> int:
        return min(int(self.cfg[section]["n_identities"]), len(self.portraits))

    def run_job(self, job: tuple) -> tuple[str, str, str]:
        """Render and write one video; returns (dataset, path relative to the root, index line or '')."""
        kind, i, k = job
        return {"clip": self.monocular_clip, "nersemble": self.nersemble_view, "trajectory": self.trajectory}[kind](i, k)

    def monocular_clip(self, i: int, k: int) -> tuple[str, str, str]:
        from benchmarks import atomic
        from benchmarks.synth import warp

        K, E = warp.frontal_camera(self.size)
        camera = {"K": K.tolist(), "world_2_cam": E.tolist(), "image_size": [self.size, self.size]}
        g = i * int(self.cfg["clips_per_identity"]) + k
        role = g % 3
        take = self.take(i, self.train_sentences if role == 2 else self.eval_sentences,
                         float(self.cfg["clip_seconds"]), _rng(self.cfg["seed"], STREAM_CLIP, i, k))
        frames, truth = self.render(take, K, [E] * len(take.opening), (self.size, self.size))
        n, s, identity = len(frames), self.size, self.portraits[i].identity
        if role == 0:
            # TH-1KH names one-minute chunks {youtube_id}_{NNNN}; the portrait plays the YouTube id.
            # Frame ranges are inclusive, as in the official cropping script.
            name = f"{identity}_{g:04d}"
            dataset, line = "th1kh", f"{name},{s},{s},0,{n - 1},0,0,{s},{s}"
            rel = f"{self.layout['th1kh']}/{self.layout['th1kh_split']}/cropped_clips/{name}_S0_E{n - 1}_L0_T0_R{s}_B{s}"
        elif role == 1:
            number = f"{g // 3 + 1:04d}"
            dataset, line, rel = "hallo3", "", f"{self.layout['hallo3']}/videos/{number}"
            atomic.write_text(self.root / self.layout["hallo3"] / "caption" / f"{number}.txt",
                              f"A person looks at the camera and says: {take.sentence}\n")
        else:
            dataset = TRAIN_SETS[(g // 3) % len(TRAIN_SETS)]
            rel = f"{self.layout[dataset]}/{identity}_{g:04d}"
            line = f"{identity}_{g:04d}.mp4,{identity}"
        self.write_clip(rel, frames, take, truth, camera)
        return dataset, rel, line

    def nersemble_take(self, i: int) -> Take:
        return self.take(i, self.eval_sentences, float(self.cfg["multiview"]["seconds"]),
                         _rng(self.cfg["seed"], STREAM_NERSEMBLE, i))

    def nersemble_view(self, i: int, serial: str) -> tuple[str, str, str]:
        from benchmarks.synth import views

        K_sensor, rig = views.nersemble_rig()
        K = views.scale_intrinsics(K_sensor, views.NERSEMBLE_SENSOR, NERSEMBLE_FRAME)
        take = self.nersemble_take(i)  # every view re-derives the same take from the identity's stream
        frames, truth = self.render(take, K, [rig[serial]] * len(take.opening), NERSEMBLE_FRAME, NERSEMBLE_BACKGROUND)
        camera = {"serial": serial, "K": K.tolist(), "world_2_cam": rig[serial].tolist(), "image_size": list(NERSEMBLE_FRAME)}
        rel = f"{self.layout['nersemble']}/{i + 1:03d}/sequences/{NERSEMBLE_SEQUENCE}/images/cam_{serial}"
        self.write_clip(rel, frames, take, truth, camera)
        return "nersemble", rel, ""

    def nersemble_sessions(self) -> None:
        """Per participant: the rig calibration and the sequence's audio (the views are jobs)."""
        from benchmarks import atomic, media
        from benchmarks.synth import views

        K_sensor, rig = views.nersemble_rig()
        for i in range(self._n("multiview")):
            pid = self.root / self.layout["nersemble"] / f"{i + 1:03d}"
            atomic.write_json(pid / "calibration" / "camera_params.json",
                              {"world_2_cam": {s: E.tolist() for s, E in rig.items()}, "intrinsics": K_sensor.tolist()})
            audio = pid / "sequences" / NERSEMBLE_SEQUENCE / "audio" / "audio_recording.wav"
            media.write_audio(audio, self.nersemble_take(i).audio, self.sr)

    def trajectory(self, i: int, k: int) -> tuple[str, str, str]:
        from benchmarks import atomic
        from benchmarks.synth import views, warp

        tr = self.cfg["trajectories"]
        f = TRAJECTORY_FILL * self.size * float(tr["distance"]) / warp.PLANE_WIDTH_M
        K = np.array([[f, 0, self.size / 2], [0, f, self.size / 2], [0, 0, 1.0]])
        rng = _rng(self.cfg["seed"], STREAM_TRAJECTORY, i, k)
        take = self.take(i, self.train_sentences, float(tr["seconds"]), rng, still=True)
        cams = views.sweep(rng, len(take.opening), self.fps, float(tr["azimuth_deg"]),
                           float(tr["elevation_deg"]), float(tr["distance"]))
        frames, truth = self.render(take, K, cams, (self.size, self.size), NERSEMBLE_BACKGROUND)
        folder = f"{self.layout['multiview']}/{self.portraits[i].identity}/traj_{k:02d}"
        per_frame = [{"world_2_cam": E.tolist(), "K": K.tolist()} for E in cams]
        atomic.write_json(self.root / folder / "cameras.json",
                          {"fps": self.fps, "image_size": [self.size, self.size], "frames": per_frame})
        self.write_clip(f"{folder}/video", frames, take, truth, per_frame)
        return "multiview", f"{folder}/video", ""

    def write_indexes(self, results: list[tuple[str, str, str]]) -> dict[str, list[str]]:
        """TH-1KH's tube and id lists and the training sets' identities.csv; returns the split."""
        from benchmarks import atomic

        split: dict[str, list[str]] = {"th1kh": [], "hallo3": [], **{name: [] for name in TRAIN_SETS}, "nersemble": [],
                                       "multiview": []}
        lines: dict[str, list[str]] = {name: [] for name in split}
        for dataset, rel, line in results:
            split[dataset].append(rel)
            lines[dataset].append(line)
        data_list = self.root / self.layout["th1kh"] / "data_list"
        tubes = lines["th1kh"]
        atomic.write_text(data_list / f"{self.layout['th1kh_split']}_video_tubes.txt", "".join(t + "\n" for t in tubes))
        atomic.write_text(data_list / f"{self.layout['th1kh_split']}_video_ids.txt",
                          "".join(t.split(",")[0] + "\n" for t in tubes))
        for dataset in TRAIN_SETS:
            atomic.write_text(self.root / self.layout[dataset] / "identities.csv",
                              "".join(row + "\n" for row in ["file,identity", *lines[dataset]]))
        return split

    def portraits_png(self) -> None:
        import cv2

        from benchmarks import atomic

        for p in self.portraits:
            ok, png = cv2.imencode(".png", p.image[:, :, ::-1])
            atomic.write_bytes(self.root / "portraits" / f"{p.identity}.png", png.tobytes())


_WORKER_BUILDER: Builder | None = None


def _start_worker(builder: Builder) -> None:
    global _WORKER_BUILDER
    _WORKER_BUILDER = builder


def _run_in_worker(job: tuple) -> tuple[str, str, str]:
    return _WORKER_BUILDER.run_job(job)


def _choose_synthesiser(wanted: str) -> str:
    from benchmarks.synth import speech

    if wanted not in SYNTHESISERS:
        raise ValueError(f"minitalk.synthesiser must be one of {SYNTHESISERS}, got {wanted!r}")
    if wanted == "espeak-ng" and not speech.espeak_available():
        raise FileNotFoundError("minitalk.synthesiser is espeak-ng but `espeak-ng` is not on PATH (apt-get install espeak-ng)")
    if wanted == "auto":
        return "espeak-ng" if speech.espeak_available() else "formant"
    return wanted


def _layout_dirs(out: str, datasets: dict) -> dict[str, str]:
    """Each dataset root of params as a folder inside ``out`` (MiniTalk writes nowhere else)."""
    out_path = Path(out).resolve()
    roots = {
        "th1kh": datasets["th1kh"]["root"], "hallo3": datasets["hallo3"]["root"],
        "nersemble": datasets["nersemble"]["root"], "multiview": datasets["multiview"]["root"],
        **{name: datasets["talking"][name] for name in TRAIN_SETS},
    }
    dirs = {}
    for name, root in roots.items():
        try:
            dirs[name] = Path(root).resolve().relative_to(out_path).as_posix()
        except ValueError:
            raise ValueError(f"datasets root {root!r} ({name}) is not inside minitalk.out {out!r}; "
                             "MiniTalk only builds its own copies of the datasets") from None
        if dirs[name] in ("", ".", "ground_truth", "portraits"):
            raise ValueError(f"datasets root {root!r} ({name}) must be a subfolder of minitalk.out")
    dirs["th1kh_split"] = datasets["th1kh"].get("split", "val")
    return dirs


def build(cfg: dict, datasets: dict) -> dict:
    """Build MiniTalk into ``cfg['out']`` atomically; returns the contents of minitalk.json."""
    from benchmarks import atomic
    from benchmarks.hashing import sha256_file
    from benchmarks.synth import speech

    with atomic.atomic_dir(cfg["out"]) as tmp:
        builder = Builder(cfg, datasets, tmp)
        builder.portraits_png()
        builder.nersemble_sessions()
        jobs = builder.jobs()
        workers = max(1, min(int(cfg.get("workers", 1)), len(jobs)))
        if workers == 1:
            results = [builder.run_job(job) for job in jobs]
        else:
            ctx = multiprocessing.get_context("spawn")  # fork after torch/dlib initialised threads is unsafe
            with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start_worker, initargs=(builder,)) as pool:
                results = list(pool.map(_run_in_worker, jobs))
        split = builder.write_indexes(results)
        files = {p.relative_to(tmp).as_posix(): sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        summary = {
            "seed": cfg["seed"],
            "params": cfg,
            "synthesiser": builder.synthesiser,
            "synthesiser_version": speech.describe(builder.synthesiser == "espeak-ng"),
            "identities": [p.identity for p in builder.portraits],
            "split": {"rule": SPLIT_RULE, **split},
            "files": files,
        }
        atomic.write_json(tmp / "minitalk.json", summary)
    return summary


def own_layout(out: str) -> dict:
    """MiniTalk's dataset roots inside ``out``: what the mini and ci profiles' ``datasets`` point at.

    The build always writes here, whatever the active profile's ``datasets`` say, so that building
    MiniTalk under the paper profile can never touch a real dataset folder.
    """
    return {
        "th1kh": {"root": f"{out}/th1kh", "split": "val"},
        "hallo3": {"root": f"{out}/hallo3"},
        "nersemble": {"root": f"{out}/nersemble"},
        "talking": {name: f"{out}/talking/{name}" for name in TRAIN_SETS},
        "multiview": {"root": f"{out}/multiview"},
    }


def add_arguments(parser) -> None:
    parser.add_argument("--params", default="params.yaml", help="params file with the minitalk: section")


def readers(params: dict) -> list[str]:
    """What the profile reads from MiniTalk: the params keys of dataset roots inside ``minitalk.out`` and the mini lip
    encoder, which trains on MiniTalk's mouth openings. The paper profile reads none of it."""
    from benchmarks.datasets.base import root_in_params

    out = Path(params["minitalk"]["out"]).resolve()
    found = []
    for name in [n for n in own_layout("") if n != "talking"] + list(TRAIN_SETS):
        root, key = root_in_params(params["datasets"], name)
        if Path(root).resolve().is_relative_to(out):
            found.append(key)
    if params["train"]["lipreader"]["encoder"] == "minitalk":
        found.append("train.lipreader.encoder")
    return found


def run(args) -> int:
    from benchmarks import atomic, params

    p = params.load(args.params)
    if not readers(p):
        atomic.write_json(Path(p["minitalk"]["out"]) / "minitalk.json",
                          {"built": False, "reason": f"the {p['profile']!r} profile reads no MiniTalk dataset"})
        print(f"MiniTalk: not built, the {p['profile']!r} profile reads none of it")
        return 0
    start = time.perf_counter()
    summary = build(p["minitalk"], own_layout(p["minitalk"]["out"]))
    print(f"MiniTalk: {len(summary['files'])} files, {len(summary['identities'])} identities, speech by "
          f"{summary['synthesiser']}, in {p['minitalk']['out']} ({time.perf_counter() - start:.0f} s)")
    return 0
