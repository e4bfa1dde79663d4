"""Every method ``starcaster generate --method`` knows, by name."""
from __future__ import annotations

from typing import Callable, Protocol

from baselines.aniportrait import AniPortrait
from baselines.anitalker import AniTalker
from baselines.echomimic import EchoMimic
from baselines.float_ import Float
from baselines.goha import Goha
from baselines.hallo3 import Hallo3
from baselines.inputs import ClipInputs
from baselines.portrait4d import Portrait4D
from baselines.protocol import Generation, ProgramConfig
from baselines.real3dportrait import Real3DPortrait
from baselines.references import GroundTruth, StaticReference
from baselines.vexpress import VExpress

DEFAULT_TIMEOUT_S = 3600.0


class Method(Protocol):
    name: str

    def availability(self) -> str | None: ...

    def generate(self, clip: ClipInputs, out, work) -> Generation: ...


class NotWired:
    """A method whose implementation is not connected yet; it is reported, never dropped."""

    def __init__(self, name: str, reason: str):
        self.name, self.reason = name, reason

    def availability(self) -> str | None:
        return self.reason

    def generate(self, clip, out, work) -> Generation:
        raise RuntimeError(self.reason)


WRAPPERS = {w.name: w for w in (AniTalker, EchoMimic, VExpress, AniPortrait, Hallo3, Float, Goha, Portrait4D,
                                 Real3DPortrait)}
BUILT_IN: dict[str, Callable[[], Method]] = {
    "ground_truth": GroundTruth,
    "static_reference": StaticReference,
    # The STARCaster model (model/) is wired in here by its owner.
    "starcaster": lambda: NotWired("starcaster", "not wired into generation yet: needs the trained stage-2/3 checkpoints"),
    "starcaster_id": lambda: NotWired("starcaster_id", "not wired into generation yet: needs the trained stage-2/3 checkpoints"),
}
NAMES = (*BUILT_IN, *WRAPPERS)


def get(name: str, params: dict) -> Method:
    """The method ``name`` configured from ``params`` (the ``baselines`` section for external programs)."""
    if name in BUILT_IN:
        return BUILT_IN[name]()
    if name not in WRAPPERS:
        raise KeyError(f"unknown method {name!r}; known: {', '.join(NAMES)}")
    section = params.get("baselines") or {}
    config = ProgramConfig.from_params(section.get(name), float(section.get("timeout_s") or DEFAULT_TIMEOUT_S))
    return WRAPPERS[name](config)
