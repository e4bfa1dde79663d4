"""Every method ``starcaster generate --method`` knows, by name."""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

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
from baselines.starcaster import STARCaster, method_names
from baselines.vexpress import VExpress

DEFAULT_TIMEOUT_S = 3600.0


class Method(Protocol):
    name: str

    def availability(self) -> str | None: ...

    def generate(self, clip: ClipInputs, out, work) -> Generation: ...


WRAPPERS = {w.name: w for w in (AniTalker, EchoMimic, VExpress, AniPortrait, Hallo3, Float, Goha, Portrait4D,
                                 Real3DPortrait)}
BUILT_IN: dict[str, Callable[[], Method]] = {
    "ground_truth": GroundTruth,
    "static_reference": StaticReference,
}


def names(params: dict) -> tuple[str, ...]:
    """Every method name: the references, STARCaster's modes and ablations (``baselines.starcaster``), the wrappers."""
    return (*BUILT_IN, *method_names(params), *WRAPPERS)


def get(name: str, params: dict, benchmark: str | None = None) -> Method:
    """The method ``name`` configured from ``params`` (the ``baselines`` section); STARCaster picks its mode and model
    folder, and a wrapper whether it is asked for a target camera, by ``benchmark`` (novel view on
    ``baselines.starcaster.novel_view_benchmarks``)."""
    if name in BUILT_IN:
        return BUILT_IN[name]()
    if name in method_names(params):
        return STARCaster(name, params, benchmark)
    if name not in WRAPPERS:
        raise KeyError(f"unknown method {name!r}; known: {', '.join(names(params))}")
    section = params.get("baselines") or {}
    config = ProgramConfig.from_params(section.get(name), float(section.get("timeout_s") or DEFAULT_TIMEOUT_S))
    return WRAPPERS[name](config, novel_view=benchmark in novel_view_benchmarks(params))


def novel_view_benchmarks(params: dict) -> tuple[str, ...]:
    """The benchmarks whose clips ask for a target camera (``baselines.starcaster.novel_view_benchmarks``)."""
    return tuple(((params.get("baselines") or {}).get("starcaster") or {}).get("novel_view_benchmarks") or ())
