import hashlib
import json
import pickle
from types import SimpleNamespace

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
    imported, refused = weights.import_dir(src, dst)
    digest = hashlib.sha256(b"real weights").hexdigest()
    assert imported == {"net": digest} and refused == {}
    assert json.loads((dst / "weights.json").read_text()) == {"net": digest}
    assert weights.locate("net", dst) == (dst / "net.pth", digest)
    (dst / "net.pth").write_bytes(b"tampered")
    with pytest.raises(ValueError, match="recorded"):
        weights.locate("net", dst)


def test_published_prefix_mismatch_is_refused(registry, tmp_path):
    (tmp_path / "prefixed.pth").write_bytes(b"x")
    imported, refused = weights.import_dir(tmp_path, tmp_path / "w")
    assert imported == {} and "prefix" in refused["prefixed"] and not (tmp_path / "w").exists()


def test_every_real_network_is_checked_by_content_on_import():
    assert all(spec.load is not None for spec in weights.WEIGHTS.values())


def _syncnet_state(tmp_path):
    import torch

    from metrics.syncnet import build_syncnet

    torch.save(build_syncnet(weights.Resolved(None, "random", 0)).state_dict(), tmp_path / "syncnet_v2.model")


def _small_recogniser(path, dim: int):
    import torch

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 8, stride=8), torch.nn.Flatten(), torch.nn.Linear(4 * 14 * 14, dim))
    torch.onnx.export(net.eval(), (torch.zeros(1, 3, 112, 112),), str(path), dynamo=False, input_names=["input.1"])


def test_import_loads_each_file_as_its_metric_will_and_installs_only_what_loads(tmp_path, capsys):
    import torch

    src, dst = tmp_path / "downloads", tmp_path / "weights"
    src.mkdir()
    _syncnet_state(src)                                                   # SyncNet's architecture: accepted
    torch.save({"conv.weight": torch.zeros(3)}, src / "i3d_pretrained_400.pt")  # another network's state dict
    (src / "deca_model.tar").write_bytes(b"<html>quota exceeded</html>")  # what a failed Drive download saves
    _small_recogniser(src / "w600k_r50.onnx", 10)                         # a graph, but not 512-d embeddings
    torch.jit.save(torch.jit.script(torch.nn.Identity()), src / "i3d_torchscript.pt")
    code = weights.run(SimpleNamespace(action="import", dir=str(src), weights_dir=str(dst)))
    out = capsys.readouterr().out
    assert code == 1
    assert sorted(p.name for p in dst.iterdir()) == ["i3d_torchscript.pt", "syncnet_v2.model", "weights.json"]
    assert set(json.loads((dst / "weights.json").read_text())) == {"syncnet_v2", "i3d_torchscript"}
    refused = {line.split()[1]: line for line in out.splitlines() if line.startswith("refused")}
    assert set(refused) == {"i3d_pretrained_400", "deca", "arcface"}
    assert "i3d_pretrained_400.pt is not a i3d_pretrained_400 file its metric can load: RuntimeError" in refused["i3d_pretrained_400"]
    assert "Missing key(s)" in refused["i3d_pretrained_400"]
    assert "deca_model.tar is not a deca file" in refused["deca"]
    assert "not ArcFace's 512" in refused["arcface"]


def test_an_arcface_graph_with_512_d_embeddings_is_accepted(tmp_path):
    _small_recogniser(tmp_path / "w600k_r50.onnx", 512)
    imported, refused = weights.import_dir(tmp_path, tmp_path / "w")
    assert list(imported) == ["arcface"] and refused == {}


def test_a_missing_source_folder_is_an_error(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="not found"):
        weights.import_dir(tmp_path / "nowhere", tmp_path / "w")
    assert weights.run(SimpleNamespace(action="import", dir=str(tmp_path / "nowhere"), weights_dir=str(tmp_path))) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_missing_file_names_path_and_source(registry, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"net\.pth.*https://example.org/net\.pth"):
        weights.resolve("net", "file", tmp_path, 0)
    assert weights.resolve("net", "random", tmp_path, 3).label == "random-init:3"
    with pytest.raises(ValueError):
        weights.resolve("net", "download", tmp_path, 0)


def test_real_registry_declares_every_metric_network():
    networks = {"fid_inception", "i3d_torchscript", "i3d_pretrained_400", "syncnet_v2", "lpips_alexnet", "arcface", "deca"}
    assert networks <= set(weights.WEIGHTS)
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
    with pytest.raises(pickle.UnpicklingError):
        weights.load_state_dict(tmp_path / "evil.pth")  # weights_only=True refuses arbitrary objects


def test_cli_import_and_list(registry, tmp_path, capsys):
    (tmp_path / "net.pth").write_bytes(b"w")
    assert weights.run(SimpleNamespace(action="import", dir=str(tmp_path), weights_dir=str(tmp_path / "w"))) == 0
    assert (tmp_path / "w" / "net.pth").read_bytes() == b"w"
    assert "not found" in capsys.readouterr().out  # the 'prefixed' file was not supplied
    assert weights.run(SimpleNamespace(action="list")) == 0
    assert "https://example.org/net.pth" in capsys.readouterr().out


@pytest.fixture
def server(tmp_path):
    """A local HTTP server over ``tmp_path / "site"`` standing in for the publishers' addresses."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    site = tmp_path / "site"
    site.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    thread.join()


def published(monkeypatch, **specs):
    monkeypatch.setattr(weights, "WEIGHTS", {name: WeightSpec(name, **spec) for name, spec in specs.items()})


def test_fetch_downloads_verifies_installs_and_records(server, tmp_path, monkeypatch):
    import zipfile

    site, base = server
    (site / "net.pth").write_bytes(b"net weights")
    with zipfile.ZipFile(site / "pack.zip", "w") as zf:
        zf.writestr("pack/other.onnx", b"another network")
        zf.writestr("pack/face.onnx", b"face weights")
    net_sha = hashlib.sha256(b"net weights").hexdigest()
    published(monkeypatch,
              net=dict(filename="net.pth", source="s", sha256=net_sha, url=f"{base}/net.pth"),
              face=dict(filename="face.onnx", source="s", url=f"{base}/pack.zip", member="face.onnx"))
    dest = tmp_path / "weights"
    assert weights.fetch_all(["net", "face"], dest) == 0
    assert (dest / "net.pth").read_bytes() == b"net weights"
    assert (dest / "face.onnx").read_bytes() == b"face weights"  # the member, not the archive
    face_sha = hashlib.sha256(b"face weights").hexdigest()
    assert json.loads((dest / "weights.json").read_text()) == {"net": net_sha, "face": face_sha}
    assert weights.locate("face", dest) == (dest / "face.onnx", face_sha)
    assert sorted(p.name for p in dest.iterdir()) == ["face.onnx", "net.pth", "weights.json"]  # no leftovers


@pytest.mark.parametrize("spec, reason", [
    (dict(sha256="0" * 64), "does not match the published sha256"),
    (dict(sha256_prefix="00000000"), "published prefix"),
    (dict(url_path="/missing.pth"), "404"),
    (dict(url_path="/pack.zip", member="absent.onnx"), "not in the downloaded archive"),
    (dict(member="net.pth"), "not a zip file"),
])
def test_fetch_failures_leave_nothing_and_exit_1(server, tmp_path, monkeypatch, capsys, spec, reason):
    import zipfile

    site, base = server
    (site / "net.pth").write_bytes(b"net weights")
    with zipfile.ZipFile(site / "pack.zip", "w") as zf:
        zf.writestr("face.onnx", b"face weights")
    url = base + spec.pop("url_path", "/net.pth")
    published(monkeypatch, net=dict(filename="net.pth", source="s", url=url, **spec))
    dest = tmp_path / "weights"
    dest.mkdir()
    assert weights.fetch_all(["net"], dest) == 1
    out = capsys.readouterr().out
    assert f"failed net from {url}" in out and reason in out
    assert list(dest.iterdir()) == []


def test_fetch_names_what_must_be_obtained_by_hand_and_refuses_unknown_names(tmp_path, monkeypatch, capsys):
    published(monkeypatch, gated=dict(filename="g.pt", source="a registration page"))
    assert weights.fetch_all(["gated"], tmp_path) == 0
    assert "by hand: gated: no direct download address; obtain g.pt from a registration page" in capsys.readouterr().out
    assert weights.fetch_all(["gated", "nope"], tmp_path) == 2
    assert "unknown network(s) nope" in capsys.readouterr().out


def test_every_direct_address_is_https_or_the_publishers_own_http():
    for spec in weights.WEIGHTS.values():
        if spec.url is not None:
            assert spec.url.startswith("https://") or spec.name == "syncnet_v2", spec


def test_a_missing_file_with_a_direct_address_names_the_fetch_command(tmp_path, monkeypatch):
    published(monkeypatch, net=dict(filename="net.pth", source="s", url="https://example.org/n.pth"))
    with pytest.raises(FileNotFoundError, match=r"starcaster weights fetch net` \(from https://example.org/n.pth\)"):
        weights.locate("net", tmp_path)
