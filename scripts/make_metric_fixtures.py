"""Write the metric-code gate's fixture videos (reports/reference/metric_code/, docs/ci.md) from a built MiniTalk.

Two TH-1KH-layout ground-truth clips of the ci profile's MiniTalk, brought to 128x128 (30 frames, 25 fps),
their audio as 16-bit wav (PCM decodes to the same samples everywhere; AAC's float decoder need not), and two
"generated" methods made from them by fixed edits, so that every metric sees a non-trivial difference:
- ``delayed``: the video two frames late against the audio and 6 levels brighter;
- ``frozen``: the first frame held for the whole clip.
The committed files are the gate's inputs; this script records how they were made. After rewriting them,
`starcaster check-metric-code --bless` and commit both (a reviewed change).

    python scripts/make_metric_fixtures.py --minitalk data/minitalk/th1kh   # after `starcaster profile ci && dvc repro minitalk`
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks import media
from benchmarks.records import ClipRecord, write_manifest

CLIPS = ("grace_hopper_0003_S0_E29_L0_T0_R256_B256", "t1_0_0006_S0_E29_L0_T0_R256_B256")
SIZE, FPS, SAMPLE_RATE, CRF = 128, 25, 16000, 23
OUT = Path(__file__).resolve().parents[1] / "reports" / "reference" / "metric_code"


def _resize(frames: np.ndarray) -> np.ndarray:
    import cv2

    return np.stack([cv2.resize(f, (SIZE, SIZE), interpolation=cv2.INTER_AREA) for f in frames])


def methods(frames: np.ndarray) -> dict[str, np.ndarray]:
    delayed = np.concatenate([frames[:1], frames[:1], frames[:-2]]).astype(np.int16) + 6
    return {"delayed": np.clip(delayed, 0, 255).astype(np.uint8), "frozen": np.repeat(frames[:1], len(frames), axis=0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minitalk", required=True, type=Path, help="MiniTalk's TH-1KH root (val/cropped_clips/*.mp4)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    records = []
    for clip_id in CLIPS:
        source = args.minitalk / "val" / "cropped_clips" / f"{clip_id}.mp4"
        frames = _resize(media.read_video(source, fps=FPS))
        audio = media.read_audio(source, sample_rate=SAMPLE_RATE)[: round(len(frames) * SAMPLE_RATE / FPS)]
        media.write_video(args.out / "gt" / f"{clip_id}.mp4", frames, FPS, crf=CRF)
        media.write_audio(args.out / "gt" / f"{clip_id}.wav", audio, SAMPLE_RATE)
        for method, edited in methods(frames).items():
            media.write_video(args.out / "runs" / method / f"{clip_id}.mp4", edited, FPS, crf=CRF)
        records.append(ClipRecord(clip_id, "th1kh", "eval", f"gt/{clip_id}.mp4", f"gt/{clip_id}.wav", FPS,
                                  len(frames), clip_id.split("_0")[0]))
    write_manifest(args.out / "manifest.jsonl", records)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {len(records)} clips x {1 + len(methods(frames))} videos to {args.out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
