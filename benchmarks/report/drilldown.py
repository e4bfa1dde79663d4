"""Per-clip drill-down: every clip's metric values and per-clip errors, one table per method result.

Each table holds one result file, so one profile and one set of metric variants (the property the
main tables keep by grouping).
"""
from __future__ import annotations


def column(metric: str, key: str) -> str:
    """``psnr/psnr`` -> ``psnr``, ``lse/lse_c`` -> ``lse_c``, ``fid/n_features`` -> ``fid.n_features``."""
    if key == metric or key.startswith(metric):
        return key
    return f"{metric}.{key}"


def clip_table(result: dict) -> dict:
    """Columns and rows (clip id, values by column, error) of one result's ``per_clip`` records."""
    rows = []
    for record in result.get("per_clip", []):
        values = {column(metric, key): value for metric, entry in (record.get("values") or {}).items()
                  for key, value in entry.items()}
        rows.append({"clip_id": record["clip_id"], "values": values, "error": record.get("error")})
    columns = sorted({c for row in rows for c in row["values"]})
    return {"columns": columns, "rows": rows}


def benchmark_pages(results: dict[tuple[str, str], dict], missing: dict[tuple[str, str], str]) -> dict[str, dict]:
    """Per benchmark: the methods with per-clip tables and the methods that could not run."""
    pages: dict[str, dict] = {}
    for (bench, method), result in sorted(results.items()):
        page = pages.setdefault(bench, {"methods": [], "missing": {}})
        page["methods"].append({"method": method, "profile": result.get("profile"),
                                "variants": result.get("metric_variants", {}), **clip_table(result)})
    for (bench, method), reason in sorted(missing.items()):
        pages.setdefault(bench, {"methods": [], "missing": {}})["missing"][method] = reason
    return pages


def fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
