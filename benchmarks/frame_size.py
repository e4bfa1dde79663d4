"""Whether frames of one size can be scored against a ground truth of another (params ``metrics.frame_size``).

The protocol brings the ground truth to a method's output size (or the output to the ground truth's), which is
fair for a method that renders at its own resolution and meaningless for a 2x2 or a 4000x8 video: those are
refused, with both sizes in the message, before they can enter a summary.
"""
from __future__ import annotations

import math


def problem(size: tuple[int, int], truth: tuple[int, int], rule: dict | None) -> str | None:
    """Why ``size`` (width, height) cannot be scored against ``truth``, or None; no rule accepts every size."""
    if not rule:
        return None
    (w, h), (tw, th) = size, truth
    sizes = f"{w}x{h} frames against the ground truth's {tw}x{th}"
    if min(w, h) < rule["min_side"]:
        return f"{sizes}: a side under metrics.frame_size.min_side ({rule['min_side']} px)"
    if abs(math.log((w / h) / (tw / th))) > math.log1p(rule["max_aspect_change"]):
        return (f"{sizes}: aspect ratio {w / h:.3f} against {tw / th:.3f}, beyond "
                f"metrics.frame_size.max_aspect_change ({rule['max_aspect_change']:g})")
    return None
