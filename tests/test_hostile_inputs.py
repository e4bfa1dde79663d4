"""Bad input of each kind, given to the `starcaster` commands the way a careless or hostile user would, in a copy of
the micro project (tests/conftest.py): names, manifests, params, cache damage, provenance, frame sizes, weights.
Killed runs: tests/test_killed_runs.py. The component tests behind each answer: docs/bad-inputs.md."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchmarks import cli, media
from benchmarks.records import read_manifest
from tests.metrics.test_cache import empty, flip_a_byte, truncate

MANIFEST = Path("benchmarks/manifests/mini/th1kh.jsonl")


@pytest.fixture
def project(micro_project, tmp_path, monkeypatch):
    folder = shutil.copytree(micro_project, tmp_path / "project")
    monkeypatch.chdir(folder)
    return folder


def starcaster(capsys, *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    return code, capsys.readouterr().err


def edit_manifest(edit) -> None:
    lines = [json.loads(line) for line in MANIFEST.read_text().splitlines()]
    MANIFEST.write_text("".join(json.dumps(r) + "\n" for r in edit(lines)))


def snapshot(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_a_clip_id_that_names_another_file_is_refused_and_deletes_nothing(project, capsys):
    kept = project / "runs" / "th1kh" / "static_reference" / "summary.json"
    edit_manifest(lambda rs: [{**rs[0], "clip_id": ".."}])
    code, err = starcaster(capsys, "generate", "--benchmark", "th1kh", "--method", "static_reference")
    assert code == 1 and err.count("\n") == 1 and "bad clip id '..'" in err
    assert kept.is_file()
    code, err = starcaster(capsys, "generate", "--benchmark", "th1kh", "--method", "../../x")
    assert code == 2 and "method name" in err


@pytest.mark.parametrize("edit, message", [
    (lambda rs: rs + rs, "duplicate clip ids: '{clip}' on lines 1, 2"),
    (lambda rs: [{**rs[0], "video": "../../../../etc/passwd"}], "is not a path inside the dataset root"),
])
def test_a_manifest_with_repeated_clips_or_paths_out_of_its_root_is_refused(project, capsys, edit, message):
    clip = read_manifest(MANIFEST)[0].clip_id
    edit_manifest(edit)
    code, err = starcaster(capsys, "generate", "--benchmark", "th1kh", "--method", "static_reference")
    assert code == 1 and message.format(clip=clip) in err
    assert not (project / "runs" / "th1kh" / "static_reference" / f"{clip}.mp4").exists()


COMMANDS_WITH_PARAMS = [
    ["minitalk"], ["manifest", "--benchmark", "th1kh"], ["prepare", "--benchmark", "th1kh"], ["train", "--stage", "1"],
    ["train-lipreader"], ["train-syncnet"], ["generate", "--benchmark", "th1kh", "--method", "static_reference"],
    ["evaluate", "--benchmark", "th1kh", "--method", "static_reference"], ["report"], ["doctor"],
]


def test_every_command_given_misspelt_or_out_of_range_params_stops_before_any_work(project, capsys):
    params = yaml.safe_load(Path("params.yaml").read_text())
    params["metrics"]["max_frame"] = params["metrics"].pop("max_frames")
    params["metrics"]["fps"] = -25
    Path("params.yaml").write_text(yaml.safe_dump(params))
    before = snapshot(project)
    for argv in COMMANDS_WITH_PARAMS:
        code, err = starcaster(capsys, *argv)
        assert code == 2, argv
        assert "metrics.max_frame" in err and "max_frames" in err and "metrics.fps" in err, (argv, err)
    assert snapshot(project) == before


def test_damaged_cache_entries_are_recomputed_and_change_no_score(project, capsys, caplog):
    argv = ["evaluate", "--benchmark", "th1kh", "--method", "static_reference", "--runs", "gen",
            "--metrics", "fid", "fvd", "csim", "--out", "first.json"]
    assert starcaster(capsys, "generate", "--benchmark", "th1kh", "--method", "static_reference", "--runs", "gen")[0] == 0
    code, err = starcaster(capsys, *argv)
    assert code == 0, err
    entries = sorted((project / ".cache" / "metrics").rglob("*.npz"))
    assert entries
    damages = (truncate, empty, flip_a_byte)
    for k, entry in enumerate(entries):
        damages[k % len(damages)](entry)
    code, err = starcaster(capsys, *argv[:-1], "second.json")
    assert code == 0
    unreadable = [e.name for k, e in enumerate(entries) if damages[k % len(damages)] is not flip_a_byte]
    assert [name for name in unreadable if name not in caplog.text] == []  # a flip in zip metadata may harm nothing
    first, second = (json.loads(Path(f).read_text()) for f in ("first.json", "second.json"))
    assert second["per_clip"] == first["per_clip"] and second["summary"] == first["summary"]


def test_importing_again_from_another_folder_regenerates_the_clip(project, capsys):
    clip = read_manifest(MANIFEST)[0]
    root = Path(yaml.safe_load(Path("params.yaml").read_text())["datasets"]["th1kh"]["root"])
    frames, audio, fps = media.read_video(root / clip.video), None, 25
    for folder, content in (("a", frames), ("b", frames[:, ::-1])):
        media.write_video(Path(folder) / f"{clip.clip_id}.mp4", content, fps, audio=audio)
    sidecar = project / "gen" / "th1kh" / "imported" / f"{clip.clip_id}.json"
    hashes = []
    for folder in ("a", "a", "b"):
        argv = ["generate", "--benchmark", "th1kh", "--method", "imported", "--import-from", folder, "--runs", "gen"]
        assert starcaster(capsys, *argv)[0] == 0
        hashes.append(json.loads(sidecar.read_text())["video_sha256"])
    summary = json.loads((project / "gen" / "th1kh" / "imported" / "summary.json").read_text())
    assert hashes[0] == hashes[1] != hashes[2] and summary["clips"][0]["status"] == "ok"
    assert not summary["clips"][0].get("reused")


def test_a_video_the_protocol_cannot_score_is_a_per_clip_error_naming_both_sizes(project, capsys):
    clip = read_manifest(MANIFEST)[0].clip_id
    tiny = np.zeros((25, 8, 64, 3), np.uint8)
    media.write_video(Path("odd") / f"{clip}.mp4", tiny, 25)
    argv = ["generate", "--benchmark", "th1kh", "--method", "imported", "--import-from", "odd", "--runs", "gen"]
    assert starcaster(capsys, *argv)[0] == 0
    error = json.loads((project / "gen" / "th1kh" / "imported" / "summary.json").read_text())["clips"][0]["error"]
    assert "64x8" in error and "256x256" in error
    media.write_video(project / "gen" / "th1kh" / "imported" / f"{clip}.mp4", tiny, 25)  # placed by hand
    code, err = starcaster(capsys, "evaluate", "--benchmark", "th1kh", "--method", "imported", "--runs", "gen",
                           "--metrics", "csim", "--out", "scored.json")
    assert code == 1 and "64x8" in err
    scored = json.loads(Path("scored.json").read_text())
    assert scored["summary"] == {} and "64x8" in scored["per_clip"][0]["error"]


def test_weights_that_do_not_load_as_their_network_are_refused_and_nothing_is_installed(project, capsys):
    Path("bad").mkdir()
    Path("bad/deca_model.tar").write_bytes(b"<html>quota exceeded</html>")
    code = cli.main(["weights", "import", "bad"])
    out = capsys.readouterr().out
    assert code == 1 and "deca_model.tar is not a deca file" in out
    assert not (project / "weights" / "deca_model.tar").exists()
    assert starcaster(capsys, "weights", "import", "nowhere")[0] == 2
