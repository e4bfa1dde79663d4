"""The files of this repository a module runs: its import closure, read from the sources.

Every ``import`` and ``from ... import`` statement counts, at any depth (the commands import their heavy modules
inside functions), with the ``__init__.py`` of each package on the way, and so does a string that names one of its
modules where it is imported by name (``import_module("...")``, or a tuple or list of nothing but module names:
``metrics.registry``'s metric modules). ``benchmarks.cli``'s table of commands is the
exception: a command's closure is that of ``benchmarks.cli`` and of the command's own module together. What reads
it: the DVC stages' code deps (held equal to it by tests/pipeline/test_code_deps.py), the feature cache's code
version and the training fingerprint, so that an edit to any file a result is computed by invalidates the result.
"""
from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("baselines", "benchmarks", "metrics", "model")
DISPATCHERS = ("benchmarks.cli",)  # their module names are every command's, not their own imports


def module_file(name: str) -> Path | None:
    """The source of module ``name`` if it is one of this repository's."""
    parts = name.split(".")
    if parts[0] not in PACKAGES:
        return None
    base = ROOT.joinpath(*parts)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imported(name: str, source: Path) -> set[str]:
    package = name if source.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source.read_bytes(), str(source))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from package import submodule`
        elif name not in DISPATCHERS:
            found |= _named(node)
    return found


def _named(node: ast.AST) -> set[str]:
    """Modules named as strings: ``import_module("...")``, or a tuple or list of nothing but dotted module names (not
    a list of the packages themselves)."""
    if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module":
        strings = node.args[:1]
    elif isinstance(node, (ast.Tuple, ast.List)) and node.elts:
        strings = node.elts
    else:
        return set()
    names = [n.value for n in strings if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    if len(names) != len(strings) or not all("." in n and module_file(n) is not None for n in names):
        return set()
    return set(names)


def _with_packages(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@functools.cache
def closure(*modules: str) -> tuple[Path, ...]:
    """The sources ``modules`` import, transitively, themselves included; sorted paths."""
    seen: dict[str, Path] = {}
    todo = [m for name in modules for m in _with_packages(name)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        source = module_file(name)
        if source is None:
            continue
        seen[name] = source
        for imported in _imported(name, source):
            todo += [m for m in _with_packages(imported) if m not in seen]
    return tuple(sorted(set(seen.values())))


def digest(*modules: str) -> str:
    """sha256 of the closure's files (relative path and bytes)."""
    h = hashlib.sha256()
    for path in closure(*modules):
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
