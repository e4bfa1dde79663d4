"""``starcaster check-drift``: compare a run's metric summaries with the committed reference of its profile.

A metric drifts when |current - reference| > abs + rel * |reference| (a missing ``abs`` or ``rel`` is 0, so
``{rel: 1e-6}`` is a relative-only tolerance for metrics whose scale is arbitrary, such as FID/FVD on random
features at ~1e-16). A metric or result that appears, disappears, or turns into an error counts as drift too,
and so does a change of profile or metric variant: a silent change of what is measured is the worst kind.

Two tolerance classes (docs/ci.md, "What reproduces where"):
- **exact** (params ``drift.tolerances``, float rounding): every result when the run's platform is the one that
  blessed the reference, and on any platform the results no network trained on the CPU produced (ground truth,
  static reference). The metric code itself is gated on committed fixtures by ``check-metric-code``;
- **platform** (``drift.platform.tolerances``): the results of the methods trained and sampled on the CPU
  (STARCaster's modes and ablations) when the platform differs (``benchmarks.machine``: CPU, ISA, CPU count,
  library versions, kernel variables): the spread measured across CPU families. A metric it does not list
  stays exact.
The reference of profile P is ``<drift.reference_dir>/P.json``: the results and the platform that blessed them.
``--bless`` writes the current summaries as the reference (a deliberate, reviewed change).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from benchmarks import atomic, machine

REFERENCE_SCHEMA = 2


@dataclass(frozen=True)
class Drift:
    where: str
    metric: str
    reference: float | str | None
    current: float | str | None
    allowed: float | None
    rule: str = "exact"

    def line(self) -> str:
        if self.allowed is None:
            return f"{self.where}: {self.metric}: reference {self.reference!r} -> current {self.current!r}"
        diff = self.current - self.reference
        rel = f", rel {diff / abs(self.reference):+.3g}" if self.reference else ""
        return (f"{self.where}: {self.metric}: reference {self.reference:.6g} -> current {self.current:.6g} "
                f"(diff {diff:+.3g}{rel}, allowed +-{self.allowed:.3g}, {self.rule})")


def _number(value, entry: dict) -> float | str:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):  # non-finite values are written as strings ("inf": PSNR of identical frames)
        try:
            return float(value)
        except ValueError:
            pass
    return f"error: {entry.get('error', 'no value')}"


def summary_of(result: dict) -> dict:
    """``{"profile", "variants", "values": {metric: value or error}}`` of one metric-result JSON."""
    values = {metric: _number(entry.get("value"), entry) for metric, entry in result.get("summary", {}).items()}
    return {"profile": result.get("profile"), "variants": result.get("metric_variants", {}), "values": values}


def summaries(results_dir: Path) -> dict[str, dict]:
    """``{"<benchmark>/<method>": summary_of(result)}`` of every result under ``results_dir``."""
    return {f"{path.parent.name}/{path.stem}": summary_of(json.loads(path.read_text()))
            for path in sorted(Path(results_dir).glob("*/*.json"))}


def read_reference(path: Path) -> tuple[dict, dict | None]:
    """The reference's results and the platform that blessed them."""
    doc = json.loads(Path(path).read_text())
    if doc.get("schema") != REFERENCE_SCHEMA:
        raise ValueError(f"{path} is not a schema-{REFERENCE_SCHEMA} reference (results with the platform that blessed "
                         "them): re-bless it with this version")
    return doc["results"], doc.get("platform")


def write_reference(path: Path, results: dict, platform: dict) -> None:
    atomic.write_json(path, {"schema": REFERENCE_SCHEMA, "platform": platform, "results": results})


def tolerance(tolerances: dict, metric: str) -> tuple[float, float]:
    t = tolerances[metric] if metric in tolerances else tolerances["default"]
    return float(t.get("abs", 0.0)), float(t.get("rel", 0.0))


def compare(reference: dict, current: dict, tolerances: dict, platform_tolerances: dict | None = None,
            platform_results: set[str] = frozenset()) -> list[Drift]:
    """Drifts of ``current`` against ``reference``; results named in ``platform_results`` take a metric's tolerance
    from ``platform_tolerances`` where it lists the metric."""
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
                platform = where in platform_results and metric in (platform_tolerances or {})
                abs_tol, rel_tol = tolerance(platform_tolerances if platform else tolerances, metric)
                allowed = abs_tol + rel_tol * abs(r)
                if abs(c - r) > allowed:
                    drifts.append(Drift(where, metric, r, c, allowed, "platform" if platform else "exact"))
            elif r != c:
                drifts.append(Drift(where, metric, r, c, None))
    return drifts


def trained_results(current: dict, params: dict) -> set[str]:
    """The results of methods whose networks were trained and sampled on this CPU (STARCaster's modes and ablations)."""
    from baselines.starcaster import method_names

    trained = set(method_names(params))
    return {where for where in current if where.split("/", 1)[-1] in trained}


def platform_notice(reference: dict | None, here: dict) -> list[str]:
    """Both platforms and what differs, when they do; nothing when the run's platform blessed the reference."""
    diffs = machine.differences(reference, here)
    if not diffs:
        return []
    return [f"reference platform: {machine.describe(reference)}", f"this platform:      {machine.describe(here)}",
            *(f"  differs in {d}" for d in diffs)]


def replaced_notice(path: Path, here: dict) -> list[str]:
    """What ``--bless`` is about to replace: the old reference's platform, where it differs from this one."""
    if not Path(path).exists():
        return []
    try:
        return platform_notice(read_reference(path)[1], here)
    except ValueError as exc:
        return [f"replacing {exc.args[0].split(' is not')[0]}, which records no platform"]


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
    here = machine.fingerprint()
    if args.bless:
        for line in replaced_notice(reference_path, here):
            print(f"check-drift: {line}")
        write_reference(reference_path, current, here)
        print(f"check-drift: blessed {len(current)} results of {results_dir} as {reference_path} on {machine.describe(here)}")
        return 0
    if not reference_path.exists():
        print(f"check-drift: no reference metrics at {reference_path}; create them with `starcaster check-drift --bless`")
        return 2
    try:
        reference, blessed_on = read_reference(reference_path)
    except ValueError as exc:
        print(f"check-drift: {exc}")
        return 2
    notice = platform_notice(blessed_on, here)
    platform_results = trained_results(current, p) if notice else set()
    for line in notice:
        print(f"check-drift: {line}")
    if notice:
        print(f"check-drift: {len(platform_results)} results of methods trained on this CPU take drift.platform.tolerances; "
              "every other value is compared exactly")
    drifts = compare(reference, current, cfg["tolerances"], (cfg.get("platform") or {}).get("tolerances"), platform_results)
    if drifts:
        print(f"check-drift: {len(drifts)} metric(s) of {results_dir} drifted from {reference_path}:")
        for d in drifts:
            print("  " + d.line())
        print("check-drift: if the change is intended, `starcaster check-drift --bless` and commit the reference")
        return 1
    n = sum(len(v["values"]) for v in current.values())
    print(f"check-drift: {n} metrics in {len(current)} results of {results_dir} match {reference_path}")
    return 0
