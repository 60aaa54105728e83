"""What the terminal shows: help with defaults and examples, progress, no repeated noise."""

from __future__ import annotations

import re
import subprocess

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from datajobs import config
from datajobs.cli.book_commands import voila_command
from datajobs.cli.main import build_parser
from datajobs.publishing.execution import execute_notebook
from datajobs.publishing.plan import expected_seconds

COMMANDS = ["validate", "synth", "train", "predict", "evaluate", "book", "monitor", "promote", "mlflow-ui", "app"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_defaults_and_an_example(command, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    text = capsys.readouterr().out
    assert f"datajobs {command}" in text.split("example", 1)[1], "an example line runs the command itself"
    for action in build_parser()._subparsers._group_actions[0].choices[command]._actions:
        if action.option_strings and action.default not in (None, False, "==SUPPRESS=="):
            assert "default" in (action.help or "") or f"--{action.dest.replace('_', '-')}" in text
    assert "default:" in text or command == "promote"
    assert str(config.PROJECT_ROOT) not in text, "defaults are shown relative to the project"


def test_predict_help_names_registry_references_and_stdout(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "models:/datajobs-profile-classifier@champion" in text
    assert "printed to stdout" in text and "(default: outputs/model)" in text


def test_predict_without_output_prints_what_help_says(fast_model, write_csv, tmp_path, capsys):
    from datajobs.cli.main import main

    model_dir = fast_model.save(tmp_path / "model")
    source = write_csv("Technologies;Diplome;Experience;Ville\nPython/Spark;Master;3;Paris\nSQL;PhD;1;Lyon\n")
    assert main(["predict", "--model", str(model_dir), str(source)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("predicted_metier,proba_data_scientist") and len(lines) == 3
    assert "-> stdout" in captured.err


def test_make_help_shows_values_not_variables():
    result = subprocess.run(["make", "--no-print-directory", "help"], cwd=config.PROJECT_ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0 and "$(" not in result.stdout
    assert "127.0.0.1:8866" in result.stdout and "PROFILE=full" in result.stdout


def test_voila_is_started_quietly():
    command = voila_command(8866)
    assert "--Voila.log_level=ERROR" in command and "--KernelManager.transport=ipc" in command
    assert not any(argument.endswith("=[]") for argument in command), "deprecated traitlets list syntax"


def test_notebook_progress_and_no_kernel_transport_warning(tmp_path, capfd):
    source = tmp_path / "tiny.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# tiny"), new_code_cell("x = 1"), new_code_cell("x + 1")],
                                metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                         "language": "python"}}), source)
    execute_notebook(source, tmp_path / "tiny_run.ipynb", {}, progress=True)
    err = capfd.readouterr().err
    assert re.search(r"tiny_run: [0-3]/3 cells, 00:0\d elapsed", err), err
    assert "TCP" not in err and "WARNING" not in err


def test_expected_duration_scales_with_rows_and_prefers_this_machine():
    from datajobs.publishing.plan import TYPICAL_SECONDS

    startup = min(TYPICAL_SECONDS["quick"].values())
    typical = TYPICAL_SECONDS["quick"]["02_preprocessing"]
    assert expected_seconds("02_preprocessing", "quick", 3000, {}) == pytest.approx(typical)
    assert expected_seconds("02_preprocessing", "quick", 6000, {}) == pytest.approx(2 * typical - startup)
    assert expected_seconds("02_preprocessing", "quick", 30, {}) >= startup  # a tiny file still starts a kernel
    startup = min(TYPICAL_SECONDS["full"].values())
    measured = {"profile": "full", "rows": 1000, "seconds": 50.0}
    assert expected_seconds("02_preprocessing", "full", 2000, measured) == pytest.approx(startup + 2 * (50 - startup))
