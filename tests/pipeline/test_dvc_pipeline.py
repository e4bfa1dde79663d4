"""The real pipeline (dvc.yaml and pipelines/*/dvc.yaml) in a scratch DVC repo: every dependency and output a
placeholder, recorded with `dvc commit`; then one method's new outputs must re-run only that method's
evaluation and the report, and `dvc repro` at the root must reach every stage of every file."""
from pathlib import Path

import pytest

from benchmarks import params
from tests.pipeline.files import ROOT, pipeline_files


def _placeholder(path: Path, text: str) -> None:
    if path.exists():
        return
    if path.suffix:  # a file (x.json, x.jsonl); otherwise a folder
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    else:
        path.mkdir(parents=True, exist_ok=True)
        (path / "placeholder.txt").write_text(text)


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    from dvc.repo import Repo

    for path in pipeline_files():
        copy = tmp_path / path.relative_to(ROOT)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(path.read_text())
    params.switch("ci", tmp_path / "params.yaml", ROOT / "params")
    monkeypatch.chdir(tmp_path)  # dvc resolves stage paths against the working directory
    repo = Repo.init(str(tmp_path), no_scm=True)
    stages = repo.index.stages
    for stage in stages:
        for out in stage.outs:
            _placeholder(tmp_path / out.def_path, stage.addressing)
    for stage in stages:
        for dep in stage.deps:
            if not hasattr(dep, "params"):
                _placeholder(tmp_path / dep.def_path, "input")
    repo.commit(force=True)
    yield tmp_path, repo
    repo.close()


@pytest.mark.slow
def test_new_outputs_of_one_method_rerun_only_its_evaluation_and_the_report(scratch):
    root, repo = scratch
    generates = [s.addressing for s in repo.index.stages if s.name.startswith("generate@")]
    static = "pipelines/generate/dvc.yaml:generate@th1kh-static_reference"
    assert static in generates and len(generates) > 1
    assert repo.reproduce(dry=True) == []  # everything recorded: a no-op

    (root / "runs" / "th1kh" / "static_reference" / "placeholder.txt").write_text("new outputs")
    repo.commit(static, force=True)  # the method's outputs, recorded
    assert [s.addressing for s in repo.reproduce(dry=True)] == [
        "pipelines/evaluate/dvc.yaml:evaluate@th1kh-static_reference", "report"]


@pytest.mark.slow
def test_dvc_repro_at_the_root_reaches_every_stage_and_each_file_keeps_its_own_lock(scratch):
    """The root dvc.yaml's stages (the report) depend on every stage of pipelines/*: a stage outside that
    reach would be skipped by `dvc repro` silently. Each file's lock holds its own stages only."""
    import yaml

    root, repo = scratch
    everything = {s.addressing for s in repo.index.stages}
    assert {s.addressing for s in repo.reproduce(dry=True, force=True)} == everything
    for path in pipeline_files():
        lock = yaml.safe_load((root / path.relative_to(ROOT)).with_suffix(".lock").read_text())
        defined = {s.name for s in repo.index.stages if s.path == str(root / path.relative_to(ROOT))}
        assert set(lock["stages"]) == defined and defined
