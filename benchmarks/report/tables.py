"""Tables 1-3 and Fig. 5: our value with its 95% interval beside the paper's value and the difference.

Results of different profiles or metric variants are never put in one table: each paper table is
split by that key (``group_key``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

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
        if summary.get("available") is False:
            out[(path.parent.parent.name, path.parent.name)] = f"not available: {summary.get('reason')}"
    return out


def weights_labels(runs_dir: Path) -> dict[tuple[str, str], str]:
    """Generated runs whose network had no real weights (e.g. "random initial weights: not a trained STARCaster")."""
    out = {}
    for path in sorted(Path(runs_dir).glob("*/*/summary.json")):
        label = (json.loads(path.read_text()).get("program") or {}).get("weights_label")
        if label:
            out[(path.parent.parent.name, path.parent.name)] = label
    return out


def availability(method: str, params: dict, benchmark: str | None = None) -> str:
    """Why a method that has no results could not run here, asked of its wrapper (STARCaster's mode and model
    folder depend on the benchmark)."""
    from baselines import registry

    try:
        reason = registry.get(method, params, benchmark).availability()
    except KeyError:
        return "not built yet (its checkpoint comes from a training stage that does not exist yet)"
    return f"not available: {reason}" if reason else "available but not run in this profile's pipeline"


PROGRAM_HEADER = ["method", "program", "pinned commit", "seeding", "target camera (novel views)"]
DEVIATION_HEADER = ["id", "topic", "paper", "ours", "profiles", "where"]


def deviation_rows(deviations: list[dict]) -> list[list[str]]:
    return [[d["id"], d["topic"], d["paper"], d["ours"], ", ".join(d["profiles"]), ", ".join(d["where"])]
            for d in deviations]


def program_rows(params: dict | None) -> list[list[str]]:
    """One row per external program: where it comes from, the commit its wrapper was derived from, how its randomness
    is fixed (or that it cannot be) and whether it can render a target camera."""
    from baselines import registry

    section = (params or {}).get("baselines") or {}
    return [[name, wrapper.url, (section.get(name) or {}).get("commit") or "not pinned", wrapper.seeding,
             wrapper.target_camera or f"none: it {wrapper.own_view}; not scored on novel-view benchmarks"]
            for name, wrapper in registry.WRAPPERS.items()]


NOT_SCORED = "not scored in this profile (params evaluation.benchmarks)"


def unscored(benchmarks: list[str], params: dict | None) -> list[str]:
    """The benchmarks of ``benchmarks`` that the profile generates nothing on (params ``evaluation.benchmarks``)."""
    scored = ((params or {}).get("evaluation") or {}).get("benchmarks")
    return [] if scored is None else [b for b in benchmarks if b not in scored]


def random_feature_metrics(variants: dict) -> list[str]:
    """Metrics whose network was a seeded random initialisation: not comparable to the paper."""
    return sorted(m for m, v in variants.items() if "random" in json.dumps(v).lower())


def minitalk_trained_metrics(variants: dict) -> list[str]:
    """Metrics whose network was trained on MiniTalk (the mini SyncNet): meaningful here, not comparable to the paper."""
    return sorted(m for m, v in variants.items() if "minitalk-trained" in json.dumps(v).lower())


def group_key(result: dict) -> str:
    """Results share a table only when profile, scored window and metric variants agree."""
    return json.dumps({"profile": result.get("profile"), "max_frames": result.get("max_frames"),
                       "variants": result.get("metric_variants", {})}, sort_keys=True)


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


def build_tables(paper: dict, results: dict, missing: dict, params: dict | None = None,
                 labels: dict | None = None) -> list[dict]:
    """One table dict per (paper table, profile+variants group)."""
    tables = []
    for key in TITLES:
        spec = paper[key]
        methods = list(spec["methods"])
        groups: dict[str, dict] = {}
        for (bench, method), result in results.items():
            if bench in spec["benchmarks"] and method in methods:
                groups.setdefault(group_key(result), {})[(bench, method)] = result
        for index, (gkey, members) in enumerate(sorted(groups.items()) or [("{}", {})]):
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
                    row["note"] = ("; ".join(sorted({availability(method, params, b) for b in spec["benchmarks"]}))
                                   if params is not None else "not run in this profile")
                else:
                    row["note"] = "; ".join(sorted({(labels or {})[(b, method)] for b in spec["benchmarks"]
                                                    if (b, method) in (labels or {})})) or None
                rows.append(row)
            tables.append({"key": key, "id": f"{key}-{index}", "title": TITLES[key], "group": json.loads(gkey),
                           "spec": spec, "rows": rows, "unscored": unscored(spec["benchmarks"], params)})
    return tables


def notes(tables: list[dict], results: dict) -> dict[tuple[str, str], str]:
    """(benchmark, method) -> why the method has no result there: the benchmark is not scored in this profile,
    or the table row's note."""
    out = {}
    for t in tables:
        for r in t["rows"]:
            for bench in t["spec"]["benchmarks"]:
                reason = NOT_SCORED if bench in t["unscored"] else r["note"]
                if reason and (bench, r["method"]) not in results:
                    out[(bench, r["method"])] = reason
    return out


def header(spec: dict) -> list[str]:
    cols = ["method"]
    for bench in spec["benchmarks"]:
        for metric in spec["metrics"]:
            arrow = "↓" if metric in LOWER_IS_BETTER else "↑"
            cols += [f"{bench} {metric}{arrow}", "paper", "Δ"]
    return cols + ["note"]


def row_values(row: dict, spec: dict) -> list[str]:
    values = [row["method"]]
    for bench in spec["benchmarks"]:
        for metric in spec["metrics"]:
            c = row["cells"][(bench, metric)]
            values += [c.text(), "-" if c.paper is None else f"{c.paper:g}", "-" if c.delta is None else f"{c.delta:+.3f}"]
    return values + [row["note"] or ""]


def to_records(tables: list[dict]) -> list[dict]:
    """One flat record per cell, for results.json / results.csv."""
    out = []
    for t in tables:
        for r in t["rows"]:
            for (bench, metric), c in r["cells"].items():
                out.append({"table": t["key"], "table_id": t["id"], "profile": t["group"].get("profile"),
                            "method": r["method"], "benchmark": bench,
                            "metric": metric, "value": c.value, "ci95": list(c.ci95) if c.ci95 else None,
                            "paper": c.paper, "delta": c.delta, "error": c.error, "note": r["note"]})
    return out
