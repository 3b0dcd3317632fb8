"""Every command is registered, loads, and has help that teaches (an example)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
import pytest

from rapidreview.cli import COMMANDS, cli


def _walk(command, path=()):
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(None):
            yield from _walk(command.get_command(None, name), (*path, name))


def test_command_map_matches_the_modules():
    for module in set(COMMANDS.values()):
        names = {c.name for c in importlib.import_module(f"rapidreview.cli.{module}").commands}
        mapped = {name for name, m in COMMANDS.items() if m == module}
        assert names == mapped, module


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(name, run):
    for path, command in _walk(cli.get_command(None, name), (name,)):
        result = run(*path, "--help")
        assert result.exit_code == 0, path
        if not isinstance(command, click.Group):
            assert "Example" in (command.help or ""), f"`rapidreview {' '.join(path)}` --help has no example"


def test_import_does_not_load_scikit_learn():
    # The analysts' hot path stays light: `import` must not pay for themes or coding.
    code = "import sys; from rapidreview.cli import cli; cli.get_command(None, 'import'); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
