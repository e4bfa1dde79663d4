"""The Markdown report: ``reports/README.md`` and one drill-down page per benchmark (``clips/<b>.md``)."""
from __future__ import annotations

import json

from benchmarks.report import curves, drilldown, tables, videos

INTRO = ["Each cell: our value [bootstrap 95% interval], the paper's value and the difference.",
         "Numbers from different profiles or metric variants never share a table."]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    cell = lambda v: str(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    return (["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(map(cell, r)) + " |" for r in rows] + [""])


def _group_lines(profile, variants: dict) -> list[str]:
    lines = [f"profile: `{profile}`; metric variants: `{json.dumps(variants, sort_keys=True)}`", ""]
    if tables.random_feature_metrics(variants):
        lines += [f"**Random features** (seeded random networks, labelled in every result; not comparable with the paper): "
                  f"{', '.join(tables.random_feature_metrics(variants))}", ""]
    if tables.minitalk_trained_metrics(variants):
        lines += [f"**MiniTalk-trained networks** (trained in this pipeline on MiniTalk; not comparable with the paper): "
                  f"{', '.join(tables.minitalk_trained_metrics(variants))}", ""]
    return lines


def index(report: dict) -> str:
    lines = ["# STARCaster reproduction: results", "", *INTRO, ""]
    for t in report["tables"]:
        lines += [f"## {t['title']}", "", *_group_lines(t["group"].get("profile"), t["group"].get("variants", {}))]
        if t["unscored"]:
            lines += [f"Not scored in this profile (params `evaluation.benchmarks`): {', '.join(t['unscored'])}", ""]
        lines += _table(tables.header(t["spec"]), [tables.row_values(r, t["spec"]) for r in t["rows"]])
    lines += ["## Per-clip drill-down", ""]
    lines += [f"- [{bench}](clips/{bench}.md): {len(page['methods'])} method result(s), "
              f"{len(page['missing'])} method(s) that could not run" for bench, page in report["pages"].items()]
    lines += ["", "## Side-by-side videos", ""]
    if not report["videos"]:
        lines += ["No generated videos (no `runs/<benchmark>/ground_truth/`).", ""]
    for v in report["videos"]:
        lines += [f"[![{v['benchmark']} / {v['clip_id']}]({v['poster']})]({v['video']})", "", videos.caption(v), ""]
    lines += ["## Loss curves", ""]
    if not report["curves"]:
        lines += ["No training runs with dvclive series.", ""]
    probed = [c for c in report["curves"] if c["probe"]]
    if probed:
        lines += [curves.PROBE_INTRO, ""]
        lines += _table(["run", "probe loss"], [[c["run"], curves.probe_text(c["probe"])] for c in probed])
    for c in report["curves"]:
        lines += [f"[![{c['title']}]({c['figure']})]({c['figure']})", "", c["title"], ""]
    lines += ["## Baseline programs", "", "How each external program is run (docs/baselines.md).", ""]
    lines += _table(tables.PROGRAM_HEADER, report["programs"])
    lines += ["## Deviations register", ""]
    lines += _table(tables.DEVIATION_HEADER, tables.deviation_rows(report["deviations"]))
    return "\n".join(lines)


def clip_page(bench: str, page: dict, videos: dict[str, str]) -> str:
    """``videos``: clip id -> side-by-side video path relative to the page."""
    lines = [f"# {bench}: per-clip results", "", "[Back to the results](../README.md)", ""]
    for m in page["methods"]:
        lines += [f"## {m['method']}", "", *_group_lines(m["profile"], m["variants"])]
        rows = [[f"[{r['clip_id']}]({videos[r['clip_id']]})" if r["clip_id"] in videos else r["clip_id"],
                 *(drilldown.fmt(r["values"].get(c)) for c in m["columns"]), r["error"] or ""] for r in m["rows"]]
        lines += _table(["clip", *m["columns"], "error"], rows)
    if page["missing"]:
        lines += ["## Methods that could not run", ""]
        lines += [f"- {method}: {reason}" for method, reason in page["missing"].items()] + [""]
    return "\n".join(lines)
