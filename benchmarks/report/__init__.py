"""``starcaster report``: Tables 1-3 beside the paper's numbers, identity similarity, a per-clip
drill-down, side-by-side videos, loss curves and the deviations register, as Markdown, static HTML
and CSV/JSON.

Inputs: the metric results (``{metrics.out_dir}/<benchmark>/<method>.json``), the generated videos
and summaries (``runs/<benchmark>/<method>/``), the training runs' dvclive folders (found below the
parents of ``train.<stage>.out``), ``benchmarks/paper_results.yaml`` and ``benchmarks/deviations.yaml``.
Outputs under ``reports/``: ``README.md``, ``index.html``, ``results.{json,csv}``, ``clips/``,
``videos/`` and ``curves/`` (each folder replaced whole, so nothing stale survives).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from benchmarks import atomic
from benchmarks.report import curves, drilldown, html, markdown, tables, videos

BENCHMARKS = Path(__file__).resolve().parents[1]


def _outs(tree) -> list[Path]:
    if not isinstance(tree, dict):
        return []
    return ([Path(tree["out"])] if isinstance(tree.get("out"), str) else []) + [o for v in tree.values() for o in _outs(v)]


def training_roots(params: dict) -> list[Path]:
    """Folders holding the training runs: the parents of every ``out`` under ``train`` (stages and
    variants), without the ones nested in another (so ``models`` covers ``models/ablations/...``)."""
    parents = {out.parent if out.parent != Path(".") else out for out in _outs(params.get("train"))}
    return sorted(p for p in parents if not any(q != p and q in p.parents for q in parents))


def write_report(results_dir: Path, runs_dir: Path, out_dir: Path, params: dict | None = None,
                 training_dirs: Sequence[Path] = (), videos_per_benchmark: int = 2, video_seconds: float = 2.0) -> dict:
    """Write every report output under ``out_dir``; returns what was rendered."""
    import pandas as pd

    out_dir = Path(out_dir)
    paper = yaml.safe_load((BENCHMARKS / "paper_results.yaml").read_text())
    results = tables.load_results(results_dir)
    missing = tables.unavailable_methods(runs_dir)
    report = {"tables": tables.build_tables(paper, results, missing, params, tables.weights_labels(runs_dir)),
              "deviations": yaml.safe_load((BENCHMARKS / "deviations.yaml").read_text())["deviations"],
              "programs": tables.program_rows(params)}
    report["pages"] = drilldown.benchmark_pages(results, {**tables.notes(report["tables"], results), **missing})
    with atomic.atomic_dir(out_dir / "videos") as tmp:
        report["videos"] = [{**v, "video": f"videos/{v['video']}", "poster": f"videos/{v['poster']}"}
                            for v in videos.write_videos(Path(runs_dir), tmp, videos_per_benchmark, seconds=video_seconds)]
    with atomic.atomic_dir(out_dir / "curves") as tmp:
        profile = params.get("profile") if params else None
        report["curves"] = [{**c, "figure": f"curves/{c['figure']}"} for c in curves.write_curves(list(training_dirs), tmp, profile)]
    with atomic.atomic_dir(out_dir / "clips") as tmp:
        for bench, page in report["pages"].items():
            linked = {v["clip_id"]: f"../{v['video']}" for v in report["videos"] if v["benchmark"] == bench}
            atomic.write_text(tmp / f"{bench}.md", markdown.clip_page(bench, page, linked))
            atomic.write_text(tmp / f"{bench}.html", html.clip_page(bench, page, linked))
    atomic.write_text(out_dir / "README.md", markdown.index(report))
    atomic.write_text(out_dir / "index.html", html.index(report))
    cells = tables.to_records(report["tables"])
    atomic.write_json(out_dir / "results.json", cells)
    atomic.write_text(out_dir / "results.csv", pd.DataFrame(cells).to_csv(index=False))
    return report


def add_arguments(parser) -> None:
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--runs", default="runs")
    parser.add_argument("--out", default="reports")
    parser.add_argument("--videos-per-benchmark", type=int, default=2, help="clips per benchmark with a side-by-side video")
    parser.add_argument("--video-seconds", type=float, default=2.0, help="length of each side-by-side video")


def run(args) -> int:
    from benchmarks import params

    p = params.load(args.params)
    write_report(Path(p["metrics"]["out_dir"]), Path(args.runs), Path(args.out), p, training_roots(p),
                 args.videos_per_benchmark, args.video_seconds)
    print(f"report written to {args.out}/README.md and {args.out}/index.html")
    return 0
