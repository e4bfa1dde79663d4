"""``starcaster warm``: a stage's command runs in a fork of the preloaded server exactly as its own process
would run it (working directory, environment, arguments, output, exit status, signals), the suite's own
modules are imported afresh, and anything the fork cannot reproduce runs cold instead."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from benchmarks import preloaded, warm
from benchmarks.preprocess.weights import dlib_model
from benchmarks.warm import OWN_PACKAGES, PID_FILE, PRELOAD_MODELS, SOCKET_ENV, forward

REPO = Path(__file__).resolve().parents[2]


def probe(argv: list[str]) -> int | None:
    """The server's entry point in these tests: reports what the fork sees, or fails or sleeps on request."""
    if argv[0] == "exit":
        return int(argv[1])
    if argv[0] == "raise":
        raise RuntimeError("probe failed")
    if argv[0] == "sleep":
        Path(argv[1]).write_text(str(os.getpid()))
        time.sleep(60)
    if argv[0] == "models":
        import dlib

        from benchmarks import preloaded

        started = time.perf_counter()
        predictor = preloaded.preloaded(dlib.shape_predictor, str(dlib_model("shape_predictor_68_face_landmarks.dat")))
        print(json.dumps({"from_server": any(predictor is v for v in preloaded.MODELS.values()),
                          "seconds": time.perf_counter() - started, "n_preloaded": len(preloaded.MODELS)}))
        return None
    print(json.dumps({
        "cwd": os.getcwd(), "marker": os.environ.get("PROBE_MARKER"), "socket": os.environ.get(SOCKET_ENV),
        "argv": sys.argv, "ppid": os.getppid(), "preloaded": "colorsys" in sys.modules,
        "server_imported_own": "benchmarks.params" in sys.modules,
    }))
    return None


def start_server(directory: Path, entry: str = "tests.benchmarks.test_warm:probe",
                 models: tuple = ()) -> tuple[str, subprocess.Popen]:
    path = str(directory / "socket")
    code = (f"import sys; sys.path.insert(0, {str(REPO)!r}); import benchmarks.params; "
            f"from benchmarks.warm import serve; serve({path!r}, ('colorsys',), {entry!r}, {models!r})")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    (directory / PID_FILE).write_text(str(proc.pid))
    return path, proc


@pytest.fixture
def server(tmp_path):
    directory = tmp_path / "warm"
    directory.mkdir()
    path, proc = start_server(directory)
    yield path, proc
    proc.terminate()
    proc.wait(timeout=30)


def test_the_fork_runs_where_and_as_the_client_asked(server, tmp_path, capfd, monkeypatch):
    path, proc = server
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROBE_MARKER", "client value")
    monkeypatch.setenv(SOCKET_ENV, path)
    assert forward(path, ["report", "--x"]) == 0
    seen = json.loads(capfd.readouterr().out)
    assert seen == {
        "cwd": str(tmp_path), "marker": "client value", "socket": None, "argv": ["starcaster", "report", "--x"],
        "ppid": proc.pid, "preloaded": True, "server_imported_own": False,
    }


def test_exit_status_and_traceback_are_the_commands(server, capfd):
    path, _ = server
    assert forward(path, ["exit", "3"]) == 3
    assert forward(path, ["raise"]) == 1
    assert "RuntimeError: probe failed" in capfd.readouterr().err


def test_a_different_import_time_environment_runs_cold(server, capfd, monkeypatch):
    path, _ = server
    monkeypatch.setenv("OMP_NUM_THREADS", "7" if os.environ.get("OMP_NUM_THREADS") != "7" else "5")
    assert forward(path, ["exit", "0"]) is None
    assert "import-time environment differs: OMP_NUM_THREADS" in capfd.readouterr().err


def test_without_a_server_the_command_runs_cold(tmp_path):
    started = time.monotonic()
    assert forward(str(tmp_path / "socket"), ["exit", "0"]) is None
    assert time.monotonic() - started < 1


def test_a_server_that_died_while_importing_is_not_waited_for(tmp_path):
    path, proc = start_server(tmp_path, entry="x:y")
    proc.kill()
    proc.wait()
    Path(path).unlink(missing_ok=True)
    started = time.monotonic()
    assert forward(path, ["exit", "0"]) is None
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_stopping_the_client_stops_its_fork(server, tmp_path, sig):
    """SIGTERM is passed on to the fork; after SIGKILL the fork sees the connection close."""
    path, _ = server
    pid_file = tmp_path / "fork.pid"
    forward = f"from benchmarks.warm import forward; forward({path!r}, ['sleep', {str(pid_file)!r}])"
    client = subprocess.Popen([sys.executable, "-c", forward],
                              cwd=REPO)
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    fork = int(pid_file.read_text())
    client.send_signal(sig)
    client.wait(timeout=10)
    while Path(f"/proc/{fork}").exists():  # reaped by the server within a second of exiting
        assert time.monotonic() < deadline, "the fork outlived its client"
        time.sleep(0.05)


def test_a_fork_is_handed_the_servers_dlib_models(tmp_path, capfd):
    path, proc = start_server(tmp_path, models=PRELOAD_MODELS)
    try:
        assert forward(path, ["models"]) == 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    seen = json.loads(capfd.readouterr().out)
    assert seen["from_server"] and seen["n_preloaded"] == len(PRELOAD_MODELS)
    assert seen["seconds"] < 0.1  # parsing the landmark model takes ~1 s


def test_a_preloaded_model_is_handed_out_only_for_the_same_constructor_and_unchanged_files(tmp_path, monkeypatch):
    built = []

    def load(*files):
        built.append(files)
        return f"loaded {files}"

    model, other = tmp_path / "model.dat", tmp_path / "other.dat"
    model.write_bytes(b"weights")
    other.write_bytes(b"weights")
    monkeypatch.setattr(preloaded, "MODELS", {preloaded.key(load, (str(model),)): "the server's"})
    assert preloaded.preloaded(load, str(model)) == "the server's" and built == []
    assert preloaded.preloaded(load, str(other)) == f"loaded {(str(other),)}"
    assert preloaded.preloaded(lambda *files: "another constructor", str(model)) == "another constructor"
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the file rewritten since the server read it
    assert preloaded.preloaded(load, str(model)) == f"loaded {(str(model),)}"
    assert built == [(str(other),), (str(model),)]


def test_every_dlib_loader_of_the_suite_takes_the_preloaded_models(monkeypatch):
    """Preparation, MiniTalk and the identity metric name the model files their own way: all must hit."""
    from benchmarks.preprocess.faces import FaceAnalyzer
    from benchmarks.preprocess.identity import DlibResNet
    from benchmarks.synth.faces import dlib_tools
    from metrics.identity import _dlib_encoder

    monkeypatch.setattr(preloaded, "MODELS", {})
    warm._preload_models(PRELOAD_MODELS)
    served = list(preloaded.MODELS.values())
    for cached in (dlib_tools, _dlib_encoder):
        cached.cache_clear()
    try:
        analyzer = FaceAnalyzer()
        loaded = [analyzer._detector, analyzer._predictor, DlibResNet()._model, *dlib_tools(), _dlib_encoder()]
        assert len(served) == len(PRELOAD_MODELS)
        assert all(any(obj is s for s in served) for obj in loaded)
    finally:
        for cached in (dlib_tools, _dlib_encoder):
            cached.cache_clear()


def test_a_module_that_cannot_be_preloaded_is_skipped():
    script = f"{sys.executable} -m benchmarks.cli weights --help >/dev/null"
    run = subprocess.run([sys.executable, "-m", "benchmarks.cli", "warm", "--preload", "no_such_module", "colorsys", "--",
                          "sh", "-c", script], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0
    assert "not preloaded: no_such_module" in run.stderr and "warm server not used" not in run.stderr


def test_warm_runs_a_pipeline_command_and_returns_its_status():
    """The real entry point: a stage's ``starcaster`` under ``starcaster warm`` prints what it prints cold."""
    starcaster = [sys.executable, "-m", "benchmarks.cli"]
    cold = subprocess.run([*starcaster, "weights", "list"], cwd=REPO, capture_output=True, text=True)
    script = f"{sys.executable} -m benchmarks.cli weights list; exit 5"
    warm = subprocess.run([*starcaster, "warm", "--preload", "colorsys", "--", "sh", "-c", script],
                          cwd=REPO, capture_output=True, text=True)
    assert warm.returncode == 5
    assert warm.stdout == cold.stdout
    assert "warm server not used" not in warm.stderr


def test_the_packages_a_fork_re_imports_are_the_suites():
    include = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    assert set(OWN_PACKAGES) == {pattern.rstrip("*") for pattern in include}
