"""The platform fingerprint and the kernel hold of params ``cpu`` (benchmarks/machine.py)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from benchmarks import machine

ROOT = Path(__file__).resolve().parents[2]
AVX512_ICL = {"avx2", "fma", "avx512f", "avx512_vbmi2"}


def test_avx2_holds_every_library_and_only_disables_what_the_cpu_has():
    env = machine.kernel_environment("avx2", 2, AVX512_ICL)
    assert env == {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                   "OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL",
                   "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    assert "NPY_DISABLE_CPU_FEATURES" not in machine.kernel_environment("avx2", None, {"avx2", "fma"})
    assert machine.kernel_environment(None, None, AVX512_ICL) == {}
    with pytest.raises(ValueError, match="cpu.kernels"):
        machine.kernel_environment("avx512", None, AVX512_ICL)


def test_hold_kernels_reads_the_profile_and_keeps_what_the_user_set(tmp_path, monkeypatch):
    # a copy: hold_kernels sets variables this process's later tests and their subprocesses must not inherit
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items() if k not in machine.KERNEL_ENV})
    os.environ["OMP_NUM_THREADS"] = "1"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"cpu": {"kernels": "avx2", "threads": 2}}))
    machine.hold_kernels(tmp_path / "params.yaml")
    assert os.environ["ATEN_CPU_CAPABILITY"] == "avx2" and os.environ["MKL_NUM_THREADS"] == "2"
    assert os.environ["OMP_NUM_THREADS"] == "1"
    machine.hold_kernels(tmp_path / "absent.yaml")  # no params yet (a fresh clone): nothing to hold


@pytest.mark.skipif("avx2" not in machine.fingerprint()["isa"], reason="the CPU has no AVX2")
def test_a_program_run_under_the_mini_profile_runs_torch_and_numpy_on_avx2(tmp_path):
    from benchmarks import params

    params.switch("mini", tmp_path / "params.yaml", ROOT / "params")
    env = {k: v for k, v in os.environ.items() if k not in machine.KERNEL_ENV}
    code = ("from benchmarks import machine; machine.hold_kernels(); import torch, numpy; "
            "from numpy._core._multiarray_umath import __cpu_features__ as f; "
            "print(torch.backends.cpu.get_cpu_capability(), f['X86_V4'], torch.get_num_threads())")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=dict(env, PYTHONPATH=str(ROOT)),
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["AVX2", "False", "2"]


def test_fingerprint_and_differences():
    here = machine.fingerprint()
    assert here["cpu"] and here["cpus"] >= 1 and here["packages"]["torch"]
    assert machine.differences(here, dict(here)) == []
    other = dict(here, isa=["avx2"], packages=dict(here["packages"], torch="0.0"))
    assert machine.differences(here, other) == [f"isa: {here['isa']!r} vs ['avx2']",
                                                f"packages.torch: {here['packages']['torch']!r} vs '0.0'"]
    assert machine.differences(None, here) == ["platform not recorded"]
    assert "torch kernels" in machine.describe(here) and machine.describe(None) == "not recorded"
