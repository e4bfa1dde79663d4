"""Loss curves of the training runs: every dvclive folder's series drawn as one PNG figure.

A run is any ``dvclive`` folder below the training roots (stages, ablations, whatever exists); its
``summary.json`` (beside the dvclive folder) says whether the weights started random, which the
figure's title repeats. A run that logged the probe loss (``model/training/probe.py``: its loss on fixed
segments, timesteps and noise) gets that loss before training and at the last probe, the number that says
whether it fell.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from benchmarks import atomic

PROBE_INTRO = ("Probe loss: each run's loss on fixed segments at fixed timesteps and noise, condition dropout off "
               "(model/training/probe.py); before training and at the last probe.")


def find_runs(roots: list[Path]) -> list[tuple[str, Path]]:
    """(name, dvclive folder) for every run below ``roots``; the name is the run's path below its root."""
    runs = {}
    for root in roots:
        for live in sorted(Path(root).glob("**/dvclive")):
            if live.is_dir():
                runs[(live.parent.relative_to(root).as_posix() or Path(root).name)] = live
    return sorted(runs.items())


def run_label(live: Path, profile: str | None) -> dict:
    """What the figure says about the run: profile, model preset and whether the weights started random."""
    summary_path = live.parent / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    initial = str(summary.get("initial_weights", ""))
    return {"profile": summary.get("profile", profile), "model_preset": summary.get("model_preset"),
            "step": summary.get("step"), "random_init": initial.lower().startswith("random")}


def label_text(name: str, label: dict) -> str:
    parts = [name, f"profile {label['profile']}"]
    if label["model_preset"]:
        parts.append(f"model preset {label['model_preset']}")
    if label["random_init"]:
        parts.append("random initial weights")
    return " - ".join(parts)


def series(live: Path) -> dict[str, pd.DataFrame]:
    """``train/loss`` -> its (step, value) table, for every dvclive TSV series of the run."""
    plots = live / "plots" / "metrics"
    return {p.relative_to(plots).with_suffix("").as_posix(): pd.read_csv(p, sep="\t")
            for p in sorted(plots.glob("**/*.tsv"))}


def probe_change(curves: dict[str, pd.DataFrame]) -> dict | None:
    """The first and last probe loss (step, value) and their relative change; None without two probes."""
    table = curves.get("probe/loss")
    if table is None or len(table) < 2:
        return None
    (first_step, first), (last_step, last) = table.iloc[0, :2], table.iloc[-1, :2]
    return {"first_step": int(first_step), "first": float(first), "last_step": int(last_step), "last": float(last),
            "change": float(last / first - 1)}


def probe_text(probe: dict) -> str:
    return (f"{probe['first']:.4g} at step {probe['first_step']} -> {probe['last']:.4g} at step {probe['last_step']} "
            f"({probe['change']:+.1%})")


def figure_png(title: str, curves: dict[str, pd.DataFrame]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(curves)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 2.6), squeeze=False, dpi=80)
    for ax, (name, table) in zip(axes[0], curves.items()):
        x = table.columns[0]
        for y in table.columns[1:]:
            ax.plot(table[x], table[y], lw=1.2)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(x, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    # No Software/date metadata: identical series give identical bytes.
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def write_curves(roots: list[Path], out_dir: Path, profile: str | None) -> list[dict]:
    """One PNG per run with series; paths relative to ``out_dir``."""
    records = []
    for name, live in find_runs(roots):
        curves = series(live)
        if not curves:
            continue
        label = run_label(live, profile)
        title = label_text(name, label)
        file = out_dir / f"{name.replace('/', '-')}.png"
        atomic.write_bytes(file, figure_png(title, curves))
        records.append({"run": name, "title": title, "series": list(curves), **label,
                        "probe": probe_change(curves), "figure": file.name})
    return records
