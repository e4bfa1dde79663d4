"""Code dependencies come from the import graph (benchmarks/code_deps.py): every DVC stage depends on the digest of
the sources its command runs, and an edit to any of them changes the feature cache's code version and the training
fingerprint."""
from __future__ import annotations

import shlex
import textwrap
from pathlib import Path

import pytest
import yaml

from benchmarks import code_deps, stage_code

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = [ROOT / "dvc.yaml", *sorted((ROOT / "pipelines").glob("*/dvc.yaml"))]


def stages() -> list[tuple[str, str, list[str]]]:
    """(stage, command, deps relative to the repository root) of every stage that runs `starcaster`."""
    found = []
    for file in PIPELINES:
        for name, stage in yaml.safe_load(file.read_text())["stages"].items():
            body = stage.get("do", stage)
            argv = shlex.split(body["cmd"])
            if argv[0] != "starcaster":
                continue
            wdir = (file.parent / body.get("wdir", ".")).resolve()
            deps = [next(iter(d)) if isinstance(d, dict) else d for d in body.get("deps", [])]
            rooted = [(wdir / d).resolve().relative_to(ROOT).as_posix() for d in deps if "${" not in d]
            found.append((f"{file.relative_to(ROOT)}:{name}", argv[1], rooted))
    return found


@pytest.mark.parametrize("stage, command, deps", stages(), ids=[s[0] for s in stages()])
def test_every_stage_depends_on_its_commands_code_digest_and_on_no_hand_written_code(stage, command, deps):
    if command == "code-digests":
        sources = [p.relative_to(ROOT).as_posix() for package in code_deps.PACKAGES for p in (ROOT / package).rglob("*.py")]
        missed = [f for f in sources if not any(f == d or f.startswith(d + "/") for d in deps)]
        assert missed == [], f"{stage}: the digests are computed from every source"
        return
    assert f"{stage_code.OUT}/{command}.json" in deps, f"{stage}: add {stage_code.OUT}/{command}.json to its deps"
    code = [d for d in deps if d.split("/")[0] in code_deps.PACKAGES and d.endswith(".py") or d in code_deps.PACKAGES]
    assert code == [], f"{stage}: code deps come from {stage_code.OUT}/{command}.json"


def test_a_commands_digest_file_names_every_source_its_stage_runs():
    described = stage_code.describe("evaluate")
    assert described["sha256"] == code_deps.digest("benchmarks.cli", "metrics.evaluate")
    assert {"benchmarks/preprocess/faces.py", "metrics/pose.py", "benchmarks/media.py", "benchmarks/cli.py"} <= set(
        described["files"])  # face tooling (Pose Std, identity), the metrics registry's modules, the decoder
    assert not [f for f in described["files"] if f.startswith(("model/", "baselines/"))]


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A repository of three packages: an evaluation that imports face tooling inside a function and its metrics by
    name, a training entry point importing the same tooling, and a module nothing imports."""
    files = {
        "metrics/__init__.py": "",
        "metrics/evaluate.py": "from metrics import registry\n\ndef pose():\n    from benchmarks.preprocess import faces\n",
        "metrics/registry.py": 'MODULES = ("metrics.pose",)\n',
        "metrics/pose.py": "from . import registry\n",
        "metrics/unused.py": "",
        "benchmarks/__init__.py": "",
        "benchmarks/preprocess/__init__.py": "",
        "benchmarks/preprocess/faces.py": "from ..media import read_video\n",
        "benchmarks/media.py": "def read_video():\n    pass\n",
        "model/__init__.py": "",
        "model/training/__init__.py": "",
        "model/training/cli.py": "import benchmarks.preprocess.faces\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text))
    monkeypatch.setattr(code_deps, "ROOT", tmp_path)
    code_deps.closure.cache_clear()
    yield tmp_path
    code_deps.closure.cache_clear()


def test_the_closure_follows_lazy_relative_and_named_imports(tree):
    found = {p.relative_to(tree).as_posix() for p in code_deps.closure("metrics.evaluate")}
    assert found == {"metrics/__init__.py", "metrics/evaluate.py", "metrics/registry.py", "metrics/pose.py",
                     "benchmarks/__init__.py", "benchmarks/preprocess/__init__.py", "benchmarks/preprocess/faces.py",
                     "benchmarks/media.py"}


def test_editing_a_file_in_the_closure_invalidates_cached_features_and_checkpoints(tree):
    from metrics import cache
    from model.training import fingerprint

    before = (cache.code_version.__wrapped__(), fingerprint.code_hash())
    (tree / "metrics" / "unused.py").write_text("x = 1\n")
    assert (cache.code_version.__wrapped__(), fingerprint.code_hash()) == before  # not in the closure
    (tree / "benchmarks" / "preprocess" / "faces.py").write_text("from ..media import read_video  # edited\n")
    after = (cache.code_version.__wrapped__(), fingerprint.code_hash())
    assert after[0] != before[0] and after[1] != before[1]
