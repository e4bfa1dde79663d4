"""The platform a run computed on: what decides a float32 result's last bits besides the code.

CPU model and the instruction sets the kernels dispatch on (PyTorch, oneDNN, MKL, numpy and OpenBLAS each pick
their code by the CPU's flags), the CPUs the process may use (the default thread count of training), the
libraries' versions, and the environment variables that override those choices. ``check-drift`` and
``check-metric-code`` record it with a reference and print both when a run's differs (docs/ci.md).
"""
from __future__ import annotations

import os
import platform as _platform
from importlib import metadata
from pathlib import Path

# CPU flags (Linux /proc/cpuinfo names) that change which SIMD kernels the numerical libraries run
ISA_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni",
             "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16")
PACKAGES = ("torch", "numpy", "scipy", "opencv-python-headless", "dlib-bin", "av", "lpips", "pytorch-fid", "diffusers",
            "scikit-image")
# variables the numerical libraries read at import to choose or cap their kernels and threads
KERNEL_ENV = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR",
              "NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _cpuinfo() -> tuple[str, set[str]]:
    """'<model name> (<vendor> family F model M)' and the flags of the first CPU listed."""
    path = Path("/proc/cpuinfo")
    if not path.is_file():
        return _platform.processor() or _platform.machine(), set()
    fields: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    model = (f"{fields.get('model name', _platform.machine())} ({fields.get('vendor_id')} family "
             f"{fields.get('cpu family')} model {fields.get('model')})")
    return model, set(fields.get("flags", "").split())


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def torch_cpu_capability() -> str | None:
    """The SIMD level PyTorch's own CPU kernels dispatched to in this process (imports torch)."""
    try:
        import torch
    except ImportError:
        return None
    return torch.backends.cpu.get_cpu_capability()


def fingerprint() -> dict:
    model, flags = _cpuinfo()
    return {
        "cpu": model,
        "isa": [f for f in ISA_FLAGS if f in flags],
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch_cpu_capability": torch_cpu_capability(),
        "python": _platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "env": {name: os.environ[name] for name in KERNEL_ENV if name in os.environ},
    }


def differences(a: dict | None, b: dict | None) -> list[str]:
    """The fields in which two fingerprints differ, one readable line each (every field when one is unknown)."""
    if not a or not b:
        return ["platform not recorded"]
    lines = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            lines += [f"{key}.{k}: {x.get(k)!r} vs {y.get(k)!r}" for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k)]
        elif x != y:
            lines.append(f"{key}: {x!r} vs {y!r}")
    return lines


def describe(fp: dict | None) -> str:
    if not fp:
        return "not recorded"
    isa = fp.get("isa") or []
    top = next((f for f in ("avx512f", "avx2", "avx", "sse4_2") if f in isa), "baseline")
    env = ", ".join(f"{k}={v}" for k, v in (fp.get("env") or {}).items())
    return (f"{fp.get('cpu')} ({top}, torch kernels {fp.get('torch_cpu_capability')}, {fp.get('cpus')} CPUs, "
            f"torch {(fp.get('packages') or {}).get('torch')}{', ' + env if env else ''})")


# numpy's dispatch targets above AVX2 (numpy 2.x names), by the CPU flag that enables each
NUMPY_ABOVE_AVX2 = (("avx512f", "X86_V4"), ("avx512_vbmi2", "AVX512_ICL"), ("avx512_fp16", "AVX512_SPR"))
KERNEL_LEVELS = ("avx2",)


def kernel_environment(kernels: str | None, threads: int | None, flags: set[str] | None = None) -> dict[str, str]:
    """The variables that hold PyTorch (ATen), oneDNN, MKL, numpy and OpenBLAS to ``kernels``' code and their thread
    pools to ``threads`` (params ``cpu``; None: the libraries' own choice). AVX2 is the newest level that the CPU
    families CI meets all have; with it, this AMD EPYC with AVX-512 reproduced every value of the ci run of an AMD
    EPYC without AVX-512 bit for bit (docs/ci.md, "What reproduces where")."""
    if kernels is not None and kernels not in KERNEL_LEVELS:
        raise ValueError(f"params cpu.kernels: {kernels!r} is not one of {KERNEL_LEVELS} or null")
    env: dict[str, str] = {}
    if kernels == "avx2":
        flags = _cpuinfo()[1] if flags is None else flags
        env.update(ATEN_CPU_CAPABILITY="avx2", ONEDNN_MAX_CPU_ISA="AVX2", MKL_ENABLE_INSTRUCTIONS="AVX2",
                   OPENBLAS_CORETYPE="Haswell")
        above = [target for flag, target in NUMPY_ABOVE_AVX2 if flag in flags]
        if above:
            env["NPY_DISABLE_CPU_FEATURES"] = " ".join(above)
    if threads is not None:
        env.update(OMP_NUM_THREADS=str(int(threads)), MKL_NUM_THREADS=str(int(threads)))
    return env


def hold_kernels(params_path: str | os.PathLike = "params.yaml") -> None:
    """Before numpy or torch load: apply the active profile's ``cpu`` section to this process's environment (and so
    to every process it starts). A variable already set is left as it is: the fingerprint records it."""
    path = Path(params_path)
    if not path.is_file():
        return
    import yaml

    cpu = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cpu") or {}
    for name, value in kernel_environment(cpu.get("kernels"), cpu.get("threads")).items():
        os.environ.setdefault(name, value)
