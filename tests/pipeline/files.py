"""The pipeline's dvc.yaml files: the root one and pipelines/*/dvc.yaml (one pipeline, one lock per file)."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def pipeline_files() -> list[Path]:
    return [ROOT / "dvc.yaml", *sorted((ROOT / "pipelines").glob("*/dvc.yaml"))]


def stage_definitions() -> dict[str, dict]:
    """Every stage definition by name, from all the files (names are unique across them)."""
    stages: dict[str, dict] = {}
    for path in pipeline_files():
        defined = yaml.safe_load(path.read_text())["stages"]
        assert not set(defined) & set(stages), f"{path}: a stage name used twice"
        stages.update(defined)
    return stages
