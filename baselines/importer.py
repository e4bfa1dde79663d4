"""Import a method's outputs made elsewhere: a folder of videos named ``<clip_id>.<ext>``, normalised into
the generated-video contract like a wrapper's output (resampled, resized, cut to the audio, audio re-muxed)."""
from __future__ import annotations

from pathlib import Path

from baselines.inputs import ClipError, ClipInputs
from baselines.normalise import Source, normalise
from baselines.protocol import Generation
from benchmarks.hashing import sha256_file

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm")


class Imported:
    def __init__(self, name: str, folder: str | Path):
        self.name = name
        self.folder = Path(folder)

    def availability(self) -> str | None:
        return None if self.folder.is_dir() else f"import folder {self.folder} not found"

    def find(self, clip_id: str) -> Path:
        found = [self.folder / f"{clip_id}{s}" for s in VIDEO_SUFFIXES if (self.folder / f"{clip_id}{s}").is_file()]
        if not found:
            raise ClipError(f"no {clip_id}.{{{','.join(s[1:] for s in VIDEO_SUFFIXES)}}} in {self.folder}")
        if len(found) > 1:
            raise ClipError(f"several videos for clip {clip_id} in {self.folder}: {[p.name for p in found]}")
        return found[0]

    def generate(self, clip: ClipInputs, out: Path, work: Path) -> Generation:
        path = self.find(clip.clip_id)
        stats = normalise(Source(path), out, size=clip.size, n_frames=clip.n_frames, audio=clip.audio,
                          frame_size=clip.frame_size)
        stats["imported_sha256"] = sha256_file(path)
        return Generation(commands=[], normalisation=stats)
