"""The console entry point: every command parses, and a stage's process imports only its own command."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from benchmarks.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_builds_its_arguments(command):
    parser = build_parser(command)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args([command, "--help"])
    assert exit_info.value.code == 0


def test_a_light_command_does_not_import_the_heavy_ones():
    probe = (
        "import sys; from benchmarks.cli import main\n"
        "try:\n    main(['manifest', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'diffusers', 'model.training.lipreader') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_unknown_command_is_a_usage_error(capsys):
    from benchmarks.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-command"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("argv, what", [
    (["generate", "--benchmark", "th1kh", "--method", "../../escape"], "bad method name '../../escape'"),
    (["generate", "--benchmark", "..", "--method", "ground_truth"], "bad benchmark name '..'"),
    (["evaluate", "--benchmark", "th1kh", "--method", ".work"], "bad method name '.work'"),
    (["baselines", "check", "--method", "float", "--method", "a/b"], "bad method name 'a/b'"),
])
def test_names_that_would_leave_their_folder_are_refused_before_any_work(argv, what, capsys, tmp_path, monkeypatch):
    """A method name becomes runs/<B>/<M>/ (generate --import-from accepts any name): one line, exit status 2."""
    from benchmarks import cli

    monkeypatch.chdir(tmp_path)  # nothing may be written: there is no params.yaml to read here
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert what in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_fatal_error_is_one_line_naming_what_and_where(tmp_path, capsys, monkeypatch):
    from benchmarks import cli, params

    p = params.render("mini", ROOT / "params")
    p["manifests"]["dir"] = str(tmp_path / "manifests")  # no manifest there
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    monkeypatch.delenv(cli.TRACEBACK_ENV, raising=False)
    argv = ["evaluate", "--benchmark", "th1kh", "--method", "ground_truth", "--params", str(tmp_path / "params.yaml")]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("starcaster evaluate: FileNotFoundError:") and "th1kh.jsonl" in err[0]
    monkeypatch.setenv(cli.TRACEBACK_ENV, "1")
    with pytest.raises(FileNotFoundError):
        cli.main(argv)
