"""The static HTML report: ``reports/index.html`` with figures and videos, and ``clips/<b>.html``."""
from __future__ import annotations

import html
import json

from benchmarks.report import curves, drilldown, tables, videos

STYLE = ("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px;margin-bottom:1em}"
         "td,th{border:1px solid #ccc;padding:3px 6px}th{background:#eef}code{font-size:12px}"
         ".random{background:#fff3cd;padding:4px}figure{margin:0 0 1.5em 0}figcaption{font-size:13px}"
         "img.curve{max-width:100%}td.error{color:#a00}")


def _e(value) -> str:
    return html.escape(str(value))


def _page(title: str, body: list[str]) -> str:
    return "\n".join([f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>",
                      f"<style>{STYLE}</style></head><body>", f"<h1>{_e(title)}</h1>", *body, "</body></html>"]) + "\n"


def _table(header: list[str], rows: list[list[str]], escaped: bool = False) -> str:
    parts = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        parts.append("<tr>" + "".join(f"<td>{v if escaped else _e(v)}</td>" for v in row) + "</tr>")
    return "\n".join(parts + ["</table>"])


def _group(profile, variants: dict) -> list[str]:
    parts = [f"<p>profile <code>{_e(profile)}</code></p><details><summary>metric variants</summary>"
             f"<code>{_e(json.dumps(variants, sort_keys=True))}</code></details>"]
    if tables.random_feature_metrics(variants):
        parts.append(f"<p class='random'><b>Random features</b> (seeded random networks; not comparable with the paper): "
                     f"{_e(', '.join(tables.random_feature_metrics(variants)))}</p>")
    if tables.minitalk_trained_metrics(variants):
        parts.append(f"<p class='random'><b>MiniTalk-trained networks</b> (trained in this pipeline on MiniTalk; "
                     f"not comparable with the paper): {_e(', '.join(tables.minitalk_trained_metrics(variants)))}</p>")
    return parts


def index(report: dict) -> str:
    body = ["<p>Each cell: our value [bootstrap 95% interval], the paper's value and the difference. "
            "Numbers from different profiles or metric variants never share a table.</p>"]
    for t in report["tables"]:
        body += [f"<section id='{_e(t['id'])}'><h2>{_e(t['title'])}</h2>",
                 *_group(t["group"].get("profile"), t["group"].get("variants", {})),
                 *([f"<p class='unscored'>Not scored in this profile (params <code>evaluation.benchmarks</code>): "
                    f"{_e(', '.join(t['unscored']))}</p>"] if t["unscored"] else []),
                 _table(tables.header(t["spec"]), [tables.row_values(r, t["spec"]) for r in t["rows"]]), "</section>"]
    body.append("<h2>Per-clip drill-down</h2><ul id='drilldown'>")
    body += [f"<li><a href='clips/{_e(b)}.html'>{_e(b)}</a>: {len(p['methods'])} method result(s), "
             f"{len(p['missing'])} method(s) that could not run</li>" for b, p in report["pages"].items()]
    body.append("</ul><h2>Side-by-side videos</h2>")
    if not report["videos"]:
        body.append("<p>No generated videos (no <code>runs/&lt;benchmark&gt;/ground_truth/</code>).</p>")
    for v in report["videos"]:
        body.append(f"<figure id='video-{_e(v['benchmark'])}-{_e(v['clip_id'])}'>"
                    f"<video controls muted preload='none' poster='{_e(v['poster'])}' src='{_e(v['video'])}'></video>"
                    f"<figcaption>{_e(videos.caption(v))}</figcaption></figure>")
    body.append("<h2>Loss curves</h2>")
    if not report["curves"]:
        body.append("<p>No training runs with dvclive series.</p>")
    probed = [c for c in report["curves"] if c["probe"]]
    if probed:
        body.append(f"<p>{_e(curves.PROBE_INTRO)}</p>")
        body.append(_table(["run", "probe loss"], [[c["run"], curves.probe_text(c["probe"])] for c in probed]))
    for c in report["curves"]:
        body.append(f"<figure id='curve-{_e(c['run'])}'><img class='curve' src='{_e(c['figure'])}' alt='{_e(c['title'])}'>"
                    f"<figcaption>{_e(c['title'])}</figcaption></figure>")
    body.append("<section id='programs'><h2>Baseline programs</h2>")
    body.append(_table(tables.PROGRAM_HEADER, report["programs"]))
    body.append("</section>")
    body.append("<section id='deviations'><h2>Deviations register</h2>")
    body.append(_table(tables.DEVIATION_HEADER, tables.deviation_rows(report["deviations"])))
    body.append("</section>")
    return _page("STARCaster reproduction: results", body)


def clip_page(bench: str, page: dict, videos: dict[str, str]) -> str:
    """``videos``: clip id -> side-by-side video path relative to the page."""
    body = ["<p><a href='../index.html'>Back to the results</a></p>"]
    for m in page["methods"]:
        body += [f"<section id='clips-{_e(m['method'])}'><h2>{_e(m['method'])}</h2>", *_group(m["profile"], m["variants"])]
        rows = []
        for r in m["rows"]:
            clip = (f"<a href='{_e(videos[r['clip_id']])}'>{_e(r['clip_id'])}</a>" if r["clip_id"] in videos
                    else _e(r["clip_id"]))
            rows.append([clip, *(_e(drilldown.fmt(r["values"].get(c))) for c in m["columns"]),
                         f"<span class='error'>{_e(r['error'] or '')}</span>"])
        body += [_table(["clip", *m["columns"], "error"], rows, escaped=True), "</section>"]
    if page["missing"]:
        body.append("<h2>Methods that could not run</h2><ul>")
        body += [f"<li>{_e(method)}: {_e(reason)}</li>" for method, reason in page["missing"].items()]
        body.append("</ul>")
    return _page(f"{bench}: per-clip results", body)
