"""The docs point at what exists: every relative link of README.md and docs/ resolves, and every file of this
repository they name in backquotes is there (docs/programs/ name files of the programs' clones: not checked)."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# configs/ is also every program's
OURS = {"benchmarks", "metrics", "model", "baselines", "tests", "scripts", "docs", "params", "pipelines"}
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
FILE = re.compile(r"`([A-Za-z0-9_./-]+\.(?:py|md|yaml|yml|json|jsonl|sh|txt|toml))`")


def _placeholder(path: str) -> bool:
    """``runs/B/M.json``, ``docs/programs/<name>.md``: a pattern, not a file."""
    return any(len(part) == 1 and part.isupper() for part in re.split(r"[/.]", path)) or "<" in path


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_file_names_resolve(doc):
    text = doc.read_text(encoding="utf-8")
    missing = [t for t in LINK.findall(text) if not t.startswith(("http://", "https://", "mailto:"))
               and not (doc.parent / t).exists()]
    if doc.parent.name != "programs":
        missing += [t for t in FILE.findall(text) if t.split("/")[0] in OURS and "/" in t and "*" not in t
                    and not _placeholder(t) and not (ROOT / t).exists()]
    assert not missing, f"{doc.relative_to(ROOT)} names what does not exist: {missing}"
