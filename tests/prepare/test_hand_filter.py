"""The hand-occlusion filter: its status when off, frames it flags are dropped and counted, and the
Grounding DINO entry runs end to end on a randomly initialised tiny model (plumbing only: no real weights)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from benchmarks.preprocess import filters
from benchmarks.preprocess.clip import select_frames

from .conftest import astronaut_face, moving


class FlagsFrames:
    """A test double standing in for a hand detector: flags the frames whose number it is given."""

    def __init__(self, flagged):
        self.flagged, self.calls = set(flagged), 0

    def occluded(self, frame, face_box):
        self.calls += 1
        return self.calls - 1 in self.flagged


def test_flagged_frames_are_dropped_as_hand_occlusion(mini_tools):
    tools, _ = mini_tools
    frames = moving(astronaut_face(), 10)
    kept, boxes, dropped = select_frames(frames, dataclasses.replace(tools, hand_filter=FlagsFrames({2, 3, 7})))
    assert dropped == {filters.HAND_OCCLUSION: [2, 3, 7]}
    assert kept == [0, 1, 4, 5, 6, 8, 9] and boxes.shape == (7, 4)


@pytest.fixture(scope="module")
def tiny_grounding_dino(tmp_path_factory):
    from transformers import (
        BertConfig,
        BertTokenizer,
        GroundingDinoConfig,
        GroundingDinoForObjectDetection,
        GroundingDinoImageProcessor,
        GroundingDinoProcessor,
        SwinConfig,
    )

    folder = tmp_path_factory.mktemp("grounding-dino-random")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "hand", "."]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    backbone = SwinConfig(embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1], window_size=4, image_size=256,
                          out_features=["stage2", "stage3", "stage4"])
    text = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    config = GroundingDinoConfig(backbone_config=backbone, text_config=text, d_model=32, encoder_layers=1, decoder_layers=2,
                                 encoder_ffn_dim=32, decoder_ffn_dim=32, encoder_attention_heads=2, decoder_attention_heads=2,
                                 num_queries=10, encoder_n_points=1, decoder_n_points=1)
    GroundingDinoForObjectDetection(config).save_pretrained(folder)
    GroundingDinoProcessor(image_processor=GroundingDinoImageProcessor(size={"shortest_edge": 256, "longest_edge": 256}),
                           tokenizer=BertTokenizer(str(folder / "vocab.txt"))).save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_grounding_dino_entry_runs_and_reports_on(tiny_grounding_dino):
    cfg = {"backend": "grounding_dino", "required": True,
           "grounding_dino": {"weights": str(tiny_grounding_dino), "box_threshold": 0.0, "text_threshold": 0.0,
                              "min_face_overlap": 1e-6}}
    hand, status = filters.build_hand_filter(cfg, "unused")
    assert status == f"on: grounding_dino from {tiny_grounding_dino}"
    frame = np.random.default_rng(0).integers(0, 256, (96, 80, 3), dtype=np.uint8)
    # with every box accepted, boxes in frame pixels overlap a face box spanning the frame, and none
    # reaches a box far outside it
    assert hand.occluded(frame, np.array([0, 0, 80, 96.0]))
    assert not hand.occluded(frame, np.array([1000, 1000, 1100, 1100.0]))
