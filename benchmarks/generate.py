"""``starcaster generate --benchmark B --method M``: run one method on every clip of a benchmark's manifest.

Writes ``runs/<B>/<M>/<clip_id>.mp4`` with a ``<clip_id>.json`` sidecar per clip and ``summary.json``.
A clip is kept, not rerun, when its sidecar says ok, its video still has the recorded sha256 and its provenance
(the hashes of its record, its input files, the import source and the method's configuration, commit and weights)
is this run's; anything else is generated again, and a killed run's temporary files of the clip are removed. A failing
clip gets its error in its sidecar and the run goes on; a method whose program or checkpoints are absent
is recorded as "not available" with the reason for every clip it would have had to generate.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
import traceback
from pathlib import Path

from benchmarks import atomic


def add_arguments(parser) -> None:
    parser.add_argument("--benchmark", required=True, help="manifest name: th1kh, hallo3, nersemble")
    parser.add_argument("--method", required=True, help="method name (docs/baselines.md lists them)")
    parser.add_argument("--import-from", metavar="DIR", help="normalise videos named <clip_id>.mp4 from DIR instead of running the method")
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")
    parser.add_argument("--runs", default="runs", help="output root (default: runs)")


def run(args) -> int:
    from benchmarks import params as params_mod

    params = params_mod.load(args.params)
    summary = generate(params, args.benchmark, args.method, Path(args.runs), import_from=args.import_from)
    counts = {s: sum(c["status"] == s for c in summary["clips"]) for s in ("ok", "error", "not available")}
    print(f"{args.method} on {args.benchmark}: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    if summary["reason"]:
        print(f"not available: {summary['reason']}")
    return 0


def generate(params: dict, benchmark: str, method_name: str, runs: Path, import_from: str | None = None) -> dict:
    from baselines import registry
    from baselines.importer import Imported
    from benchmarks.datasets.base import root_in_params
    from benchmarks.records import read_manifest

    manifest = Path(params["manifests"]["dir"]) / f"{benchmark}.jsonl"
    records = read_manifest(manifest)
    # absolute: programs run in their own clone, where a path relative to this directory names another file
    root = Path(root_in_params(params["datasets"], benchmark)[0]).absolute()
    runs = Path(runs).absolute()
    method = Imported(method_name, import_from) if import_from else registry.get(method_name, params, benchmark)
    out_dir = runs / benchmark / method_name
    reason = method.availability()
    context = {"benchmark": benchmark, "method": method_name, "profile": params.get("profile")}
    if reason is None:
        context["program"] = _program(method)
        method_digest = _digest(context["program"])
    clips = []
    for record in _progress(records, f"{method_name} on {benchmark}"):
        _remove_leftovers(out_dir, record.clip_id)
        provenance = None if reason is not None else _provenance(method, record, root, method_digest)
        if provenance is not None and _complete(out_dir, record.clip_id, provenance):
            clips.append({"clip_id": record.clip_id, "status": "ok", "reused": True, "error": None})
        elif reason is not None:
            clips.append({"clip_id": record.clip_id, "status": "not available", "error": reason})
        else:
            sidecar = generate_clip(method, record, root, out_dir, {**context, "provenance": provenance},
                                    (params.get("metrics") or {}).get("frame_size"))
            clips.append({"clip_id": record.clip_id, "status": sidecar["status"], "error": sidecar["error"]})
    summary = {**context, "manifest": str(manifest), "available": reason is None, "reason": reason,
               "n_clips": len(clips), "clips": clips}
    atomic.write_json(out_dir / "summary.json", summary)
    return summary


def generate_clip(method, record, root: Path, out_dir: Path, context: dict, frame_size: dict | None = None) -> dict:
    """Generate one clip and write its sidecar; any failure becomes the sidecar's error. ``frame_size``: params
    metrics.frame_size, the output sizes the protocol scores."""
    from baselines.inputs import ClipError, ClipInputs, shown
    from benchmarks.hashing import sha256_file

    video = out_dir / f"{record.clip_id}.mp4"
    work = out_dir / ".work" / record.clip_id  # a killed run's is gone (_remove_leftovers)
    work.mkdir(parents=True)
    sidecar = {**context, "clip_id": record.clip_id, "video": video.name, "video_sha256": None, "command": None,
               "seed": None, "exit_status": None, "error": None, "normalisation": None}
    started = time.monotonic()
    try:
        result = method.generate(ClipInputs(record, root, frame_size), video, work)
        sidecar.update(status="ok", command=result.commands, seed=result.seed, exit_status=result.exit_status,
                       normalisation=result.normalisation, video_sha256=sha256_file(video))
        shutil.rmtree(work, ignore_errors=True)
    except ClipError as exc:
        sidecar.update(status="error", error=str(exc), exit_status=exc.exit_status, work_dir=shown(work))
    except Exception as exc:  # noqa: BLE001 -- one broken clip must not stop the others; the trace is kept
        sidecar.update(status="error", error=f"{type(exc).__name__}: {exc}",
                       traceback=traceback.format_exc(limit=5), work_dir=shown(work))
    if sidecar["status"] == "error":
        video.unlink(missing_ok=True)
        sidecar["command"] = _commands_tried(work)
    sidecar["wall_time_s"] = round(time.monotonic() - started, 3)
    atomic.write_json(out_dir / f"{record.clip_id}.json", sidecar)
    return sidecar


def _commands_tried(work: Path) -> list[list[str]] | None:
    path = work / "commands.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _complete(out_dir: Path, clip_id: str, provenance: dict) -> bool:
    """A clip generated from what this run would generate it from: the same inputs, import source and method (its
    configuration, commit and weights), with its video as its sidecar recorded it."""
    from benchmarks.hashing import sha256_file

    sidecar, video = out_dir / f"{clip_id}.json", out_dir / f"{clip_id}.mp4"
    if not (sidecar.is_file() and video.is_file()):
        return False
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return (meta.get("status") == "ok" and meta.get("provenance") == provenance
            and meta.get("video_sha256") == sha256_file(video))


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _provenance(method, record, root: Path, method_digest: str) -> dict:
    """What a clip's video is made from: the hashes of the clip's record and input files, of the method's
    description (``_digest`` of ``_program``: options, commit, checkpoint and weight hashes) and, for an import, of
    the source."""
    from baselines.importer import Imported
    from baselines.inputs import ClipError
    from benchmarks.hashing import sha256_file

    inputs = {which: sha256_file(record.resolve(root, which))
              for which in ("video", "audio", "reference_video") if getattr(record, which)}
    provenance = {"record": _digest(record.to_dict()), "inputs": inputs, "method": method_digest}
    if isinstance(method, Imported):
        try:
            provenance["import_source"] = sha256_file(method.find(record.clip_id))
        except ClipError:
            provenance["import_source"] = None
    return provenance


def _remove_leftovers(out_dir: Path, clip_id: str) -> None:
    """A killed run's half-written files of this clip (atomic writes' temporaries, its work folder)."""
    for name in (f"{clip_id}.mp4", f"{clip_id}.json"):
        atomic.remove_leftovers(out_dir / name)
    shutil.rmtree(out_dir / ".work" / clip_id, ignore_errors=True)


def _program(method) -> dict | None:
    """Commit (and the pinned one), options, the sha256 of its checkpoints and of the weights it loads from fixed
    paths (directories are listed, not hashed), and its seeding; a built-in model (STARCaster) describes its own
    weights."""
    from baselines.protocol import Wrapper, program_commit
    from benchmarks.hashing import sha256_file

    if hasattr(method, "program"):
        return method.program()
    if not isinstance(method, Wrapper):
        return None
    cfg = method.config
    checkpoints = {}
    for key in method.checkpoint_keys:
        path = cfg.checkpoint(key)
        checkpoints[key] = {"path": str(path), "sha256": sha256_file(path) if path.is_file() else None}
    weights = {rel: sha256_file(cfg.repo / rel) if (cfg.repo / rel).is_file() else None for rel in method.weights}
    return {"repo": str(cfg.repo), "commit": program_commit(cfg.repo), "pinned_commit": cfg.commit,
            "options": cfg.options, "checkpoints": checkpoints, "weights": weights, "seeding": method.seeding}


def _progress(items, desc: str):
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="clip")
