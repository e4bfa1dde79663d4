"""``starcaster manifest --benchmark B``: a seeded sample of a dataset's clips, written as
``{manifests.dir}/{B}.jsonl``.

The sample is drawn with ``numpy.random.default_rng(manifests.seed)`` from the clip records sorted by
clip id, and written sorted by clip id, so a manifest depends only on the data and the seed. For
NeRSemble ``n_clips`` counts identities (participants); each contributes its three target views
(paper Sec. 4.2: 100 identities, 300 animations). Benchmarks without an ``n_clips`` entry (the training
sets) keep every clip. Clips an adapter could not use are listed on stderr, never dropped silently.
"""
from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = ("th1kh", "hallo3", "nersemble", "vfhq", "celebvhq", "hdtf", "multiview")
SAMPLED_BY_IDENTITY = {"nersemble"}


def scan(benchmark: str, datasets: dict, seed: int):
    """The adapter's :class:`~benchmarks.datasets.base.Scan` of ``benchmark`` with the ``datasets:`` params."""
    from benchmarks.datasets import hallo3, multiview, nersemble, talking, th1kh

    if benchmark == "th1kh":
        return th1kh.scan(datasets["th1kh"]["root"], split=datasets["th1kh"]["split"])
    if benchmark == "hallo3":
        return hallo3.scan(datasets["hallo3"]["root"])
    if benchmark == "nersemble":
        return nersemble.scan(datasets["nersemble"]["root"], seed=seed)
    if benchmark == "multiview":
        return multiview.scan(datasets["multiview"]["root"])
    if benchmark in talking.SOURCES:
        return talking.scan(datasets["talking"][benchmark], benchmark)
    raise ValueError(f"unknown benchmark {benchmark!r}; choose one of {', '.join(BENCHMARKS)}")


def sample(records: list, n: int | None, seed: int, by_identity: bool = False) -> list:
    """``n`` clips (or ``n`` identities with all their clips), drawn with ``default_rng(seed)``, sorted by clip id."""
    import numpy as np

    records = sorted(records, key=lambda r: r.clip_id)
    if n is None:
        return records
    units = sorted({r.identity for r in records}) if by_identity else [r.clip_id for r in records]
    what = "identities" if by_identity else "clips"
    if len(units) < n:
        raise ValueError(f"{n} {what} requested but only {len(units)} usable {what} found")
    chosen = {units[i] for i in np.random.default_rng(seed).choice(len(units), size=n, replace=False)}
    return [r for r in records if (r.identity if by_identity else r.clip_id) in chosen]


def add_arguments(parser) -> None:
    parser.add_argument("--benchmark", required=True, choices=BENCHMARKS, help="dataset to sample a manifest from")
    parser.add_argument("--params", default="params.yaml", help="params file (default: the active profile)")


def run(args) -> int:
    from benchmarks import params as params_module
    from benchmarks.records import write_manifest

    params = params_module.load(args.params)
    config = params["manifests"]
    seed = int(config["seed"])
    n = config.get("n_clips", {}).get(args.benchmark)
    try:
        result = scan(args.benchmark, params["datasets"], seed)
        for problem in result.problems:
            print(f"skipped: {problem}", file=sys.stderr)
        chosen = sample(result.records, n, seed, by_identity=args.benchmark in SAMPLED_BY_IDENTITY)
    except ValueError as exc:  # DatasetError included: a missing root or broken layout stops here
        print(f"starcaster manifest --benchmark {args.benchmark}: {exc}", file=sys.stderr)
        return 1
    out = Path(config["dir"]) / f"{args.benchmark}.jsonl"
    write_manifest(out, chosen)
    print(
        f"{out}: {len(chosen)} of {len(result.records)} clip records "
        f"(seed {seed}; {len(result.problems)} clips skipped, listed above)"
    )
    return 0
