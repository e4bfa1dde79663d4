"""``starcaster report``: Tables 1-3 beside the paper's numbers, identity similarity, per-clip
drill-down and the deviations register, as Markdown, CSV/JSON and static HTML.

Inputs are the metric-result JSON files (``{metrics.out_dir}/<benchmark>/<method>.json``), the
generation summaries (``runs/<benchmark>/<method>/summary.json``, for methods that could not
run), ``benchmarks/paper_results.yaml`` and ``benchmarks/deviations.yaml``. Results of different
profiles or metric variants are never put in one table: each table is split by that key.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmarks import atomic

HERE = Path(__file__).resolve().parent
TITLES = {
    "table1": "Table 1 - audio-driven portrait animation",
    "table2": "Table 2 - 3D-aware talking portraits (novel views)",
    "table3": "Table 3 - ablations",
    "fig5": "Fig. 5 - identity similarity (ArcFace cosine in paper; the encoder is named in the variants)",
}
# Lower is better for these; used only for the arrows in the header.
LOWER_IS_BETTER = {"fid", "fvd", "lse_d", "lpips"}
# Table metric -> key in a result's summary. The paper's Pose Std column is radians x100.
SUMMARY_KEY = {"pose_std": "pose_std_rad100", "identity": "csim"}


@dataclass(frozen=True)
class Cell:
    value: float | None
    ci95: tuple[float, float] | None
    paper: float | None
    error: str | None = None

    @property
    def delta(self) -> float | None:
        if self.value is None or self.paper is None:
            return None
        return self.value - self.paper

    def text(self) -> str:
        if self.error:
            return f"n/a ({self.error})"
        if self.value is None:
            return "-"
        s = f"{self.value:.4g}"
        if self.ci95:
            s += f" [{self.ci95[0]:.4g}, {self.ci95[1]:.4g}]"
        return s


def load_results(results_dir: Path) -> dict[tuple[str, str], dict]:
    out = {}
    for path in sorted(Path(results_dir).glob("*/*.json")):
        out[(path.parent.name, path.stem)] = json.loads(path.read_text())
    return out


def unavailable_methods(runs_dir: Path) -> dict[tuple[str, str], str]:
    """Methods whose generation recorded that they could not run, with the reason."""
    out = {}
    for path in sorted(Path(runs_dir).glob("*/*/summary.json")):
        summary = json.loads(path.read_text())
        if summary.get("status") == "not available":
            out[(path.parent.parent.name, path.parent.name)] = summary.get("reason", "not available")
    return out


def availability(method: str, params: dict) -> str:
    """Why a method that has no results could not run here, asked of its wrapper."""
    from baselines import registry

    try:
        reason = registry.get(method, params).availability()
    except KeyError:
        return "not built yet (its checkpoint comes from a training stage that does not exist yet)"
    return f"not available: {reason}" if reason else "available but not run in this profile's pipeline"


def random_feature_metrics(group: dict) -> list[str]:
    """Metrics whose network was a seeded random initialisation: not comparable to the paper."""
    return sorted(m for m, v in group.get("variants", {}).items() if "random" in json.dumps(v).lower())


def group_key(result: dict) -> str:
    """Results share a table only when profile and metric variants agree."""
    return json.dumps({"profile": result.get("profile"), "variants": result.get("metric_variants", {})}, sort_keys=True)


def cell(result: dict | None, metric: str, paper: float | None) -> Cell:
    if result is None:
        return Cell(None, None, paper)
    entry = result.get("summary", {}).get(SUMMARY_KEY.get(metric, metric))
    if entry is None:
        return Cell(None, None, paper)
    if entry.get("value") is None:
        return Cell(None, None, paper, entry.get("error", "no value"))
    ci = entry.get("ci95")
    return Cell(float(entry["value"]), tuple(ci) if ci else None, paper)


def build_tables(paper: dict, results: dict, missing: dict, params: dict | None = None) -> list[dict]:
    """One table dict per (paper table, profile+variants group)."""
    tables = []
    for key in TITLES:
        spec = paper[key]
        methods = list(spec["methods"])
        groups: dict[str, dict] = {}
        for (bench, method), result in results.items():
            if bench in spec["benchmarks"] and method in methods:
                groups.setdefault(group_key(result), {})[(bench, method)] = result
        for gkey, members in sorted(groups.items()) or [("{}", {})]:
            rows = []
            for method in methods:
                row = {"method": method, "cells": {}, "note": None}
                for bench in spec["benchmarks"]:
                    paper_values = spec["methods"][method].get(bench, [None] * len(spec["metrics"]))
                    for metric, pv in zip(spec["metrics"], paper_values):
                        row["cells"][(bench, metric)] = cell(members.get((bench, method)), metric, pv)
                reasons = {missing[(b, method)] for b in spec["benchmarks"] if (b, method) in missing}
                if reasons:
                    row["note"] = "; ".join(sorted(reasons))
                elif not any((b, method) in members for b in spec["benchmarks"]):
                    row["note"] = availability(method, params) if params is not None else "not run in this profile"
                rows.append(row)
            tables.append({"key": key, "title": TITLES[key], "group": json.loads(gkey), "spec": spec, "rows": rows})
    return tables


def _header(spec) -> list[str]:
    cols = ["method"]
    for bench in spec["benchmarks"]:
        for metric in spec["metrics"]:
            arrow = "↓" if metric in LOWER_IS_BETTER else "↑"
            cols += [f"{bench} {metric}{arrow}", "paper", "Δ"]
    return cols + ["note"]


def _row_values(row, spec) -> list[str]:
    values = [row["method"]]
    for bench in spec["benchmarks"]:
        for metric in spec["metrics"]:
            c = row["cells"][(bench, metric)]
            values += [c.text(), "-" if c.paper is None else f"{c.paper:g}", "-" if c.delta is None else f"{c.delta:+.3f}"]
    return values + [row["note"] or ""]


def to_markdown(tables: list[dict], deviations: list[dict]) -> str:
    lines = ["# STARCaster reproduction: results", "",
             "Each cell: our value [bootstrap 95% interval], the paper's value and the difference.",
             "Numbers from different profiles or metric variants never share a table.", ""]
    for t in tables:
        g = t["group"]
        lines += [f"## {t['title']}", "", f"profile: `{g.get('profile')}`; metric variants: `{json.dumps(g.get('variants', {}), sort_keys=True)}`", ""]
        if random_feature_metrics(g):
            lines += [f"**Random features** (seeded random networks, labelled in every result; not comparable with the paper): "
                      f"{', '.join(random_feature_metrics(g))}", ""]
        header = _header(t["spec"])
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_row_values(r, t["spec"])) + " |" for r in t["rows"]]
        lines.append("")
    lines += ["## Deviations register", "", "| id | topic | paper | ours | profiles |", "|---|---|---|---|---|"]
    lines += [f"| {d['id']} | {d['topic']} | {d['paper']} | {d['ours']} | {', '.join(d['profiles'])} |" for d in deviations]
    return "\n".join(lines) + "\n"


def to_html(markdown_tables: list[dict], deviations: list[dict]) -> str:
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>STARCaster reproduction</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:13px}"
             "td,th{border:1px solid #ccc;padding:3px 6px}th{background:#eef}</style></head><body>",
             "<h1>STARCaster reproduction: results</h1>"]
    for t in markdown_tables:
        g = t["group"]
        parts.append(f"<h2>{html.escape(t['title'])}</h2><p>profile <code>{html.escape(str(g.get('profile')))}</code></p>")
        if random_feature_metrics(g):
            parts.append(f"<p><b>Random features</b> (not comparable with the paper): {html.escape(', '.join(random_feature_metrics(g)))}</p>")
        parts.append("<table>")
        parts.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in _header(t["spec"])) + "</tr>")
        for r in t["rows"]:
            parts.append("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in _row_values(r, t["spec"])) + "</tr>")
        parts.append("</table>")
    parts.append("<h2>Deviations register</h2><table><tr><th>id</th><th>topic</th><th>paper</th><th>ours</th><th>profiles</th></tr>")
    for d in deviations:
        parts.append("<tr>" + "".join(f"<td>{html.escape(str(d[k]))}</td>" for k in ("id", "topic", "paper", "ours")) + f"<td>{html.escape(', '.join(d['profiles']))}</td></tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts)


def to_json(tables: list[dict]) -> list[dict]:
    out = []
    for t in tables:
        for r in t["rows"]:
            for (bench, metric), c in r["cells"].items():
                out.append({"table": t["key"], "profile": t["group"].get("profile"), "method": r["method"], "benchmark": bench,
                            "metric": metric, "value": c.value, "ci95": list(c.ci95) if c.ci95 else None,
                            "paper": c.paper, "delta": c.delta, "error": c.error, "note": r["note"]})
    return out


def write_report(results_dir: Path, runs_dir: Path, out_dir: Path, params: dict | None = None) -> None:
    import pandas as pd

    paper = yaml.safe_load((HERE / "paper_results.yaml").read_text())
    deviations = yaml.safe_load((HERE / "deviations.yaml").read_text())["deviations"]
    tables = build_tables(paper, load_results(results_dir), unavailable_methods(runs_dir), params)
    out_dir = Path(out_dir)
    atomic.write_text(out_dir / "README.md", to_markdown(tables, deviations))
    atomic.write_text(out_dir / "index.html", to_html(tables, deviations))
    cells = to_json(tables)
    atomic.write_json(out_dir / "results.json", cells)
    atomic.write_text(out_dir / "results.csv", pd.DataFrame(cells).to_csv(index=False))


def add_arguments(parser) -> None:
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--runs", default="runs")
    parser.add_argument("--out", default="reports")


def run(args) -> int:
    from benchmarks import params

    p = params.load(args.params)
    write_report(Path(p["metrics"]["out_dir"]), Path(args.runs), Path(args.out), p)
    print(f"report written to {args.out}/README.md and {args.out}/index.html")
    return 0
