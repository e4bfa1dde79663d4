"""What the video-driven methods (GOHA, Portrait4D-v2) share: the source and driving frame folders and the
program's own preprocessing chain.

The source folder holds the reference frame, the driving folder the reference view's frames at 25 fps.
``options.preprocess`` lists the commands (argument lists, run in ``options.preprocess_cwd`` of the clone) that turn
each raw folder into the program's input layout; ``{input}`` and ``{output}`` stand for the raw and the prepared
folder.
"""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import ClipError, ClipInputs, write_image
from baselines.protocol import Step, Wrapper


class VideoDriven(Wrapper):
    driven_by = "video"

    def raw_folders(self, clip: ClipInputs, work: Path) -> tuple[Path, Path]:
        raw_src, raw_drv = work / "source_raw", work / "driving_raw"
        write_image(raw_src / f"{clip.clip_id}.png", clip.reference_image())
        for i, frame in enumerate(clip.driving_frames()):
            write_image(raw_drv / f"{i:05d}.png", frame)
        return raw_src.resolve(), raw_drv.resolve()

    def preprocessing(self, pairs: list[tuple[Path, Path]]) -> list[Step]:
        """The ``options.preprocess`` commands for each (raw, prepared) folder pair."""
        default_cwd = str(self.config.options.get("preprocess_cwd") or ".")
        steps = []
        for raw, prepared in pairs:
            for args in self.config.options.get("preprocess") or []:
                if not args:
                    raise ClipError(f"baselines.{self.name}.options.preprocess has a command without arguments")
                steps.append(Step([str(a).replace("{input}", str(raw)).replace("{output}", str(prepared)) for a in args],
                                  default_cwd))
        return steps

    def input_folders(self, clip: ClipInputs, work: Path) -> tuple[Path, Path, list[Step]]:
        """(source folder, driving folder, preprocessing steps) as the program will read them."""
        raw_src, raw_drv = self.raw_folders(clip, work)
        if not self.config.options.get("preprocess"):
            return raw_src, raw_drv, []
        src, drv = (work / "source").resolve(), (work / "driving").resolve()
        return src, drv, self.preprocessing([(raw_src, src), (raw_drv, drv)])
