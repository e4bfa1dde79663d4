"""The command-line options a program defines, read from its source without running it.

The preflight (baselines/check.py) must tell whether every flag a wrapper passes exists in the program's own
parser even where the program's heavy dependencies (torch, CUDA extensions, deepspeed) are not installed, so the
parser is read, not imported: every ``*.add_argument(...)`` (argparse, argument groups included) and every
``click.option(...)`` / ``@option(...)`` whose option strings are literals. No maintained library reads an
argparse or click parser statically; ``ast`` is the whole of it.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

NO_VALUE_ACTIONS = {"store_true", "store_false", "store_const", "append_const", "count", "help", "version"}


@dataclass(frozen=True)
class Option:
    flag: str
    takes_value: bool
    where: str  # "file:line" in the program's clone


def _literal(node: ast.AST):
    return node.value if isinstance(node, ast.Constant) else None


def _keyword(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _callee(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _argparse_options(call: ast.Call, where: str) -> list[Option]:
    flags = [s for s in map(_literal, call.args) if isinstance(s, str) and s.startswith("-")]
    action = _literal(_keyword(call, "action")) if _keyword(call, "action") is not None else None
    nargs = _literal(_keyword(call, "nargs")) if _keyword(call, "nargs") is not None else None
    takes_value = action not in NO_VALUE_ACTIONS and nargs != 0
    return [Option(f, takes_value, where) for f in flags]


def _click_options(call: ast.Call, where: str) -> list[Option]:
    names = [s for s in map(_literal, call.args) if isinstance(s, str)]
    is_flag = _literal(_keyword(call, "is_flag")) if _keyword(call, "is_flag") is not None else False
    options = []
    for name in names:
        for flag in name.split("/"):  # "--shout/--no-shout": a boolean flag pair
            flag = flag.strip()
            if flag.startswith("-"):
                options.append(Option(flag, not (is_flag or "/" in name), where))
    return options


def read_options(path: Path, shown_as: str) -> dict[str, Option]:
    """Every literal option defined in the Python file ``path`` (named ``shown_as`` in ``where``)."""
    tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"), filename=str(path))
    found: dict[str, Option] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        where = f"{shown_as}:{node.lineno}"
        callee = _callee(node)
        if callee == "add_argument":
            options = _argparse_options(node, where)
        elif callee == "option" and any(isinstance(_literal(a), str) and str(_literal(a)).startswith("-")
                                        for a in node.args):
            options = _click_options(node, where)
        else:
            continue
        for option in options:
            found.setdefault(option.flag, option)
    return found


def flags_passed(args: list[str]) -> list[tuple[str, str | None]]:
    """(flag, the token after it or None) for every option in an argument list; ``--x=v`` gives (--x, v)."""
    out = []
    for i, token in enumerate(args):
        if not token.startswith("-") or token == "-" or _is_number(token):
            continue
        if "=" in token:
            flag, value = token.split("=", 1)
            out.append((flag, value))
        else:
            following = args[i + 1] if i + 1 < len(args) else None
            out.append((token, following))
    return out


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True
