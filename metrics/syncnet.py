"""The SyncNet network of the ``syncnet-python`` package, loaded without its package ``__init__``.

``syncnet_python/__init__.py`` imports the whole face pipeline (ffmpeg-python, scenedetect); the
model definition and the scoring code only need torch, OpenCV and python_speech_features, so their
module files are loaded directly.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from metrics.weights import Resolved, load_state_dict


def package_module(name: str):
    """``syncnet_python/<name>.py`` (SyncNetModel, SyncNetInstance) as a module of its own."""
    spec = importlib.util.find_spec("syncnet_python")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the syncnet-python package is not installed (see requirements/nodeps.txt)")
    path = Path(spec.submodule_search_locations[0]) / f"{name}.py"
    module_spec = importlib.util.spec_from_file_location(f"syncnet_python_{name}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def build_syncnet(weights: Resolved):
    """SyncNet (1024-d embeddings) with weights from ``syncnet_v2.model`` or a MiniTalk-trained
    checkpoint (``weights.path``), or seeded random init -- whose LSE numbers mean nothing and are labelled so."""
    import torch

    torch.manual_seed(weights.seed)
    net = package_module("SyncNetModel").S(num_layers_in_fc_layers=1024)
    if weights.path is not None:
        net.load_state_dict(load_state_dict(weights.path))
    return net.eval()
