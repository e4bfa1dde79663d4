"""The real dvc.yaml in a scratch DVC repo: every dependency and output a placeholder, recorded with
`dvc commit`; then one method's new outputs must re-run only that method's evaluation and the report."""
from pathlib import Path

import pytest

from benchmarks import params

ROOT = Path(__file__).resolve().parents[2]


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

    (tmp_path / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text())
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
    generates = [s.addressing for s in repo.index.stages if s.addressing.startswith("generate@")]
    assert "generate@th1kh-static_reference" in generates and len(generates) > 1
    assert repo.reproduce(dry=True) == []  # everything recorded: a no-op

    (root / "runs" / "th1kh" / "static_reference" / "placeholder.txt").write_text("new outputs")
    repo.commit("generate@th1kh-static_reference", force=True)  # the method's outputs, recorded
    assert [s.addressing for s in repo.reproduce(dry=True)] == ["evaluate@th1kh-static_reference", "report"]
