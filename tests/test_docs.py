"""The README documents every command and every setting the code knows."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from collsec.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    click_group = typer.main.get_command(group)
    names = []
    for name, cmd in click_group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(cmd, "commands", None)
        if sub:
            names += [f"{prefix}{name} {s}" for s in sub]
        else:
            names.append(f"{prefix}{name}")
    return names


def test_every_cli_command_is_in_the_readme() -> None:
    for name in _commands(app):
        assert f"collsec {name}" in README, name


def test_every_setting_is_in_the_readme() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "src").rglob("*.py"))
    code += (ROOT / "Makefile").read_text(encoding="utf-8")
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))
    for var in sorted(set(re.findall(r"COLLSEC_[A-Z_]+", code + tests))):
        assert f"`{var}`" in README, var


def test_the_readme_opens_with_the_two_commands() -> None:
    head = README[:1500]
    assert "make run" in head and "make test" in head
