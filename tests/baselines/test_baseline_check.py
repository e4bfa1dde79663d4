"""The preflight (`starcaster baselines check`): options read from a program's source, and a fake clone with a missing
file, a wrong commit and an argument its parser does not define, each reported as one line naming the fix."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from baselines import registry
from baselines.parsers import flags_passed, read_options
from benchmarks import cli
from benchmarks.generate import generate

from .conftest import install_fake

ARGPARSE_AND_CLICK = '''
import argparse, click
parser = argparse.ArgumentParser()
group = parser.add_argument_group("g")
group.add_argument("--seed", type=int, default=0)
parser.add_argument("-W", "--width", type=int)
parser.add_argument("--fix_noise_seed", action="store_true")
parser.add_argument("--base", nargs="*")
for computed in ("--not-literal",):
    parser.add_argument(computed)

@click.command()
@click.option("--network", "network_pkl", default="x.pkl")
@click.option("--shapes/--no-shapes", default=False)
@click.option("--verbose", is_flag=True)
def main(network_pkl, shapes, verbose):
    pass
'''


def test_options_are_read_from_argparse_and_click_source(tmp_path):
    source = tmp_path / "program.py"
    source.write_text(ARGPARSE_AND_CLICK)
    options = read_options(source, "program.py")
    assert set(options) == {"--seed", "-W", "--width", "--fix_noise_seed", "--base", "--network", "--shapes",
                            "--no-shapes", "--verbose"}
    assert options["--seed"].takes_value and options["--seed"].where == "program.py:5"
    assert not options["--fix_noise_seed"].takes_value and not options["--verbose"].takes_value
    assert not options["--shapes"].takes_value and options["--network"].takes_value


def test_flags_passed_split_values_and_skip_negative_numbers():
    args = ["script.py", "--a", "1", "--b=2", "-W", "-3", "--flag", "--kps_path", ""]
    assert flags_passed(args[1:]) == [("--a", "1"), ("--b", "2"), ("-W", "-3"), ("--flag", "--kps_path"),
                                      ("--kps_path", "")]


def git_commit(repo: Path) -> str:
    git = ["git", "-C", str(repo), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "fake"], check=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize("method", list(registry.WRAPPERS))
def test_a_complete_fake_clone_passes(method, bench, tmp_path):
    params = install_fake(bench(["c0"]), method, tmp_path / method)
    assert registry.get(method, params).availability() is None


def test_missing_weights_wrong_commit_and_unknown_argument_are_each_one_line(bench, tmp_path):
    repo = tmp_path / "anitalker"
    params = install_fake(bench(["c0"]), "anitalker", repo)
    script = repo / "code" / "demo.py"
    script.write_text(script.read_text().replace('p.add_argument("--test_hubert_path"', 'p.add_argument("--hubert"'))
    (repo / "ckpts" / "chinese-hubert-large" / "pytorch_model.bin").unlink()
    head = git_commit(repo)
    params["baselines"]["anitalker"]["commit"] = "0" * 40
    problems = registry.get("anitalker", params).availability().split("; ")

    assert len(problems) == 3, problems
    assert any(f"is at {head}" in p and f"checkout {'0' * 40}" in p for p in problems)
    assert any("chinese-hubert-large/pytorch_model.bin not found" in p for p in problems)
    assert any("code/demo.py defines no option --test_hubert_path" in p for p in problems)

    params["baselines"]["anitalker"]["commit"] = head
    assert len(registry.get("anitalker", params).availability().split("; ")) == 2


def test_a_flag_given_a_value_it_does_not_take(bench, tmp_path):
    repo = tmp_path / "float"
    params = install_fake(bench(["c0"]), "float", repo)
    options = repo / "options" / "base_options.py"
    options.write_text(options.read_text().replace("parser.add_argument('--seed', type=int, default=15)",
                                                   "parser.add_argument('--seed', action='store_true')"))
    reason = registry.get("float", params).availability()
    assert "option --seed (options/base_options.py:7) takes no value, but the wrapper passes '15'" in reason


def test_options_from_a_package_the_interpreter_lacks(bench, tmp_path):
    params = install_fake(bench(["c0"]), "hallo3", tmp_path / "hallo3")
    params["baselines"]["hallo3"]["env"] = {}
    reason = registry.get("hallo3", params).availability()
    assert "sat/arguments.py (part of hallo3/sample_video.py's options) is not installed" in reason
    assert "defines no option --seed" in reason


def test_an_interpreter_that_does_not_start(bench, tmp_path):
    params = install_fake(bench(["c0"]), "float", tmp_path / "float")
    params["baselines"]["float"]["python"] = "/bin/false"
    assert "does not start" in registry.get("float", params).availability()


def test_generate_refuses_a_method_that_fails_the_preflight_naming_the_fix(bench, tmp_path):
    repo = tmp_path / "float"
    params = install_fake(bench(["c0", "c1"]), "float", repo)
    (repo / "generate.py").unlink()
    summary = generate(params, "bench", "float", tmp_path / "runs")
    assert not summary["available"] and "entry point" in summary["reason"] and "generate.py not found" in summary["reason"]
    assert [c["status"] for c in summary["clips"]] == ["not available"] * 2


def test_cli_prints_one_line_per_problem_and_exits_non_zero(bench, tmp_path, capsys, monkeypatch):
    params = install_fake(bench(["c0"]), "float", tmp_path / "float")
    install_fake(params, "vexpress", tmp_path / "vexpress")
    (tmp_path / "float" / "checkpoints" / "float.pth").unlink()
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.setitem(cli.COMMANDS, "baselines", ("baselines.check", "check"))
    code = cli.main(["baselines", "check", "--method", "float", "--method", "vexpress",
                     "--params", str(tmp_path / "params.yaml")])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0].startswith("float: 1 problem(s)") and "float.pth not found" in out[1]
    assert out[2].startswith("vexpress: ok")
    assert cli.main(["baselines", "check", "--method", "vexpress", "--params", str(tmp_path / "params.yaml")]) == 0


def test_check_runs_no_model_and_imports_nothing_heavy(bench, tmp_path):
    """The preflight runs in seconds, importing neither torch nor the program: only the interpreter's startup."""
    params = install_fake(bench(["c0"]), "goha", tmp_path / "goha")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    code = ("import sys; from baselines import check, registry; from benchmarks import params;"
            f"w = registry.get('goha', params.load({str(tmp_path / 'params.yaml')!r}));"
            "assert check.preflight(w) == [], check.preflight(w); assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_a_checkpoint_that_is_not_the_published_file(bench, tmp_path):
    params = install_fake(bench(["c0"]), "echomimic", tmp_path / "echomimic")
    del params["baselines"]["echomimic"]["sha256"]
    reason = registry.get("echomimic", params).availability()
    assert "whisper_tiny.pt does not have the sha256 65147644a518d12f04e32d6f3b26facc3f8dd46e5390956a9424a650c0ce22b9" in reason


def test_goha_without_its_preprocessing_programs_says_which_to_clone_once(bench, tmp_path):
    params = install_fake(bench(["c0"]), "goha", tmp_path / "goha")
    params["baselines"]["goha"]["options"]["eg3d"] = None
    problems = registry.get("goha", params).availability().split("; ")
    assert problems == ["baselines.goha.options.eg3d is not set: GOHA's inputs are made by https://github.com/NVlabs/eg3d "
                        "(GOHA docs/dataset_preprocessing.md): clone it and set it there"]
