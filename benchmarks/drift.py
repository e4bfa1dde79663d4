"""``starcaster check-drift``: compare a run's metric summaries with committed reference metrics.

A metric drifts when |current - reference| > abs + rel * |reference|, with per-metric tolerances
from params ``drift.tolerances`` (``default`` for the rest; a missing ``abs`` or ``rel`` is 0, so
``{rel: 1e-6}`` is a relative-only tolerance for metrics whose scale is arbitrary, such as FID/FVD
on random features at ~1e-16). A metric that appears, disappears, or turns into an error counts as
drift too, and so does a change of profile or metric variant: a silent change of what is measured
is the worst kind. The reference of profile P is ``<drift.reference_dir>/P.json``, compared with
``metrics.out_dir`` of the same profile (docs/ci.md). ``--bless`` writes the current summaries as
the reference (a deliberate, reviewed change).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from benchmarks import atomic


@dataclass(frozen=True)
class Drift:
    where: str
    metric: str
    reference: float | str | None
    current: float | str | None
    allowed: float | None

    def line(self) -> str:
        if self.allowed is None:
            return f"{self.where}: {self.metric}: reference {self.reference!r} -> current {self.current!r}"
        diff = self.current - self.reference
        rel = f", rel {diff / abs(self.reference):+.3g}" if self.reference else ""
        return (f"{self.where}: {self.metric}: reference {self.reference:.6g} -> current {self.current:.6g} "
                f"(diff {diff:+.3g}{rel}, allowed +-{self.allowed:.3g})")


def _number(value, entry: dict) -> float | str:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):  # non-finite values are written as strings ("inf": PSNR of identical frames)
        try:
            return float(value)
        except ValueError:
            pass
    return f"error: {entry.get('error', 'no value')}"


def summaries(results_dir: Path) -> dict[str, dict]:
    """``{"<benchmark>/<method>": {"profile", "variants", "values": {metric: value or error}}}``."""
    out = {}
    for path in sorted(Path(results_dir).glob("*/*.json")):
        result = json.loads(path.read_text())
        values = {metric: _number(entry.get("value"), entry) for metric, entry in result.get("summary", {}).items()}
        out[f"{path.parent.name}/{path.stem}"] = {
            "profile": result.get("profile"), "variants": result.get("metric_variants", {}), "values": values,
        }
    return out


def tolerance(tolerances: dict, metric: str) -> tuple[float, float]:
    t = tolerances.get(metric, tolerances["default"])
    return float(t.get("abs", 0.0)), float(t.get("rel", 0.0))


def compare(reference: dict, current: dict, tolerances: dict) -> list[Drift]:
    drifts = []
    for where in sorted(set(reference) | set(current)):
        ref, cur = reference.get(where), current.get(where)
        if ref is None or cur is None:
            drifts.append(Drift(where, "(result file)", "present" if ref else "absent", "present" if cur else "absent", None))
            continue
        for key in ("profile", "variants"):
            if ref[key] != cur[key]:
                drifts.append(Drift(where, f"({key})", json.dumps(ref[key], sort_keys=True), json.dumps(cur[key], sort_keys=True), None))
        for metric in sorted(set(ref["values"]) | set(cur["values"])):
            r, c = ref["values"].get(metric), cur["values"].get(metric)
            if isinstance(r, float) and isinstance(c, float) and math.isfinite(r) and math.isfinite(c):
                abs_tol, rel_tol = tolerance(tolerances, metric)
                allowed = abs_tol + rel_tol * abs(r)
                if abs(c - r) > allowed:
                    drifts.append(Drift(where, metric, r, c, allowed))
            elif r != c:
                drifts.append(Drift(where, metric, r, c, None))
    return drifts


def add_arguments(parser) -> None:
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--reference", default=None, help="default: drift.reference_dir/<profile>.json")
    parser.add_argument("--bless", action="store_true", help="write the current metrics as the new reference")


def run(args) -> int:
    from benchmarks import params

    p = params.load(args.params)
    cfg = p["drift"]
    reference_path = Path(args.reference or Path(cfg["reference_dir"]) / f"{p['profile']}.json")
    results_dir = Path(p["metrics"]["out_dir"])
    current = summaries(results_dir)
    if not current:
        print(f"check-drift: no metric results under {results_dir}: run `dvc repro` first")
        return 2
    if args.bless:
        atomic.write_json(reference_path, current)
        print(f"check-drift: blessed {len(current)} results of {results_dir} as {reference_path}")
        return 0
    if not reference_path.exists():
        print(f"check-drift: no reference metrics at {reference_path}; create them with `starcaster check-drift --bless`")
        return 2
    drifts = compare(json.loads(reference_path.read_text()), current, cfg["tolerances"])
    if drifts:
        print(f"check-drift: {len(drifts)} metric(s) of {results_dir} drifted from {reference_path}:")
        for d in drifts:
            print("  " + d.line())
        print("check-drift: if the change is intended, `starcaster check-drift --bless` and commit the reference")
        return 1
    n = sum(len(v["values"]) for v in current.values())
    print(f"check-drift: {n} metrics in {len(current)} results of {results_dir} match {reference_path}")
    return 0
