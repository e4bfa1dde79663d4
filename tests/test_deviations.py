"""The deviations register (benchmarks/deviations.yaml) is complete in form and true to the tree: every entry names
the files that implement it and they exist; every id the code, docs and params cite is an entry."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REGISTER = yaml.safe_load((ROOT / "benchmarks" / "deviations.yaml").read_text())["deviations"]
CITED = re.compile(r"\bD\d{2}\b")


def test_every_entry_is_whole_and_names_files_that_exist():
    ids = [d["id"] for d in REGISTER]
    assert ids == [f"D{i:02d}" for i in range(1, len(ids) + 1)]  # unique, in order, none skipped
    for d in REGISTER:
        assert set(d) == {"id", "topic", "paper", "ours", "profiles", "where"}, d["id"]
        assert d["profiles"] and set(d["profiles"]) <= {"paper", "mini", "ci"}, d["id"]
        assert d["where"] and all((ROOT / path).is_file() for path in d["where"]), (d["id"], d["where"])


def test_every_cited_id_is_in_the_register():
    sources = [*ROOT.glob("*.md"), *(ROOT / "docs").rglob("*.md"), *(ROOT / "params").glob("*.yaml")]
    for package in ("benchmarks", "metrics", "model", "baselines", "scripts"):
        sources += (ROOT / package).rglob("*.py")
    known = {d["id"] for d in REGISTER}
    cited = {(path.relative_to(ROOT).as_posix(), i) for path in sources for i in CITED.findall(path.read_text())}
    assert cited and not {(path, i) for path, i in cited if i not in known}
