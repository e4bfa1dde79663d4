import hashlib
import json

import pytest

from metrics import weights
from metrics.weights import WeightSpec


@pytest.fixture
def registry(monkeypatch):
    specs = {
        "net": WeightSpec("net", "net.pth", "https://example.org/net.pth"),
        "prefixed": WeightSpec("prefixed", "prefixed.pth", "somewhere", sha256_prefix="00000000"),
    }
    monkeypatch.setattr(weights, "WEIGHTS", specs)
    return specs


def test_import_records_hash_and_later_loads_verify_it(registry, tmp_path):
    src, dst = tmp_path / "downloads", tmp_path / "weights"
    src.mkdir()
    (src / "net.pth").write_bytes(b"real weights")
    imported = weights.import_dir(src, dst)
    digest = hashlib.sha256(b"real weights").hexdigest()
    assert imported == {"net": digest}
    assert json.loads((dst / "weights.json").read_text()) == {"net": digest}
    assert weights.locate("net", dst) == (dst / "net.pth", digest)
    (dst / "net.pth").write_bytes(b"tampered")
    with pytest.raises(ValueError, match="recorded"):
        weights.locate("net", dst)


def test_published_prefix_mismatch_is_refused(registry, tmp_path):
    (tmp_path / "prefixed.pth").write_bytes(b"x")
    with pytest.raises(ValueError, match="prefix"):
        weights.import_dir(tmp_path, tmp_path / "w")


def test_missing_file_names_path_and_source(registry, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"net\.pth.*https://example.org/net\.pth"):
        weights.resolve("net", "file", tmp_path, 0)
    assert weights.resolve("net", "random", tmp_path, 3).label == "random-init:3"
    with pytest.raises(ValueError):
        weights.resolve("net", "download", tmp_path, 0)


def test_real_registry_declares_every_metric_network():
    assert {"fid_inception", "i3d_torchscript", "i3d_pretrained_400", "syncnet_v2", "lpips_alexnet", "arcface"} <= set(weights.WEIGHTS)
    # the torch.hub file-name convention embeds the first 8 hex digits of the sha256
    assert weights.WEIGHTS["fid_inception"].sha256_prefix in weights.WEIGHTS["fid_inception"].filename


def test_safetensors_and_pickled_state_dicts(tmp_path):
    import torch
    from safetensors.torch import save_file

    state = {"w": torch.arange(3.0)}
    save_file(state, tmp_path / "a.safetensors")
    torch.save(state, tmp_path / "b.pth")
    for name in ("a.safetensors", "b.pth"):
        torch.testing.assert_close(weights.load_state_dict(tmp_path / name)["w"], state["w"])
    torch.save({"w": object()}, tmp_path / "evil.pth")
    with pytest.raises(Exception):
        weights.load_state_dict(tmp_path / "evil.pth")  # weights_only=True refuses arbitrary objects


def test_cli_import_and_list(registry, tmp_path, capsys):
    from types import SimpleNamespace

    (tmp_path / "net.pth").write_bytes(b"w")
    assert weights.run(SimpleNamespace(action="import", dir=str(tmp_path), weights_dir=str(tmp_path / "w"))) == 0
    assert (tmp_path / "w" / "net.pth").read_bytes() == b"w"
    assert "not found" in capsys.readouterr().out  # the 'prefixed' file was not supplied
    assert weights.run(SimpleNamespace(action="list")) == 0
    assert "https://example.org/net.pth" in capsys.readouterr().out
