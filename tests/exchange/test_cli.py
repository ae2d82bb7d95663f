"""`collsec exchange import`'s progress on standard error: the reading, the parsing and the
objects as `stix_store.import_bundle` reports them, shown with --progress, on a terminal
for a bundle of a thousand objects or more, never with --no-progress; standard output
(the summary) is the same either way."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from rich.filesize import decimal
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from collsec.cli import app
from collsec.exchange import stix_store
from collsec.exchange.tables import StixObjectRow
from tests.conftest import make_user
from tests.exchange.conftest import NOW, officer

Env = dict[str, str | None]  # None: unset
GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"  # TLP 1.0 GREEN
TERMINAL: Env = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"}  # rich's: stderr is a terminal
NOT_TERMINAL: Env = {"TTY_COMPATIBLE": "0", "TTY_INTERACTIVE": "0", "FORCE_COLOR": None}


def indicators(n: int) -> dict[str, object]:
    """A bundle of `n` indicators marked TLP:GREEN, as a member's tool sends them."""
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
         "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
         "pattern": f"[ipv4-addr:value = '10.0.{k // 256}.{k % 256}']",
         "pattern_type": "stix", "valid_from": "2025-01-01T00:00:00Z",
         "object_marking_refs": [GREEN]} for k in range(n)]}


def test_import_bundle_reports_its_progress_every_thousand_objects(tx: Session) -> None:
    a, c = officer(tx, "kz-rel", "delegation:KZ", ("releasing_officer",))
    calls: list[tuple[int, int]] = []
    written: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        written.append(tx.scalar(select(func.count()).select_from(StixObjectRow).where(
            StixObjectRow.added_by == "kz-rel")) or 0)

    done = stix_store.import_bundle(tx, c, a, bundle=indicators(2500), now=NOW,
                                    progress=progress)
    assert done.added == 2500
    assert calls == [(0, 2500), (1000, 2500), (2000, 2500), (2500, 2500)]
    assert written == [0, 1000, 2000, 2500]  # what it says is done is written
    quiet = stix_store.import_bundle(tx, c, a, bundle=indicators(10), now=NOW)
    assert quiet.added == 10  # without one, the same import


@pytest.fixture
def importer(csto_db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLLSEC_TODAY", "2025-06-01")
    make_user("kz-rel", "delegation:KZ", ["releasing_officer"])
    return csto_db


def _import(path: Path, *options: str, env: Env | None = None
            ) -> tuple[str, str]:
    r = CliRunner().invoke(app, ["--as", "kz-rel", "exchange", "import", str(path),
                                 *options], env={"COLUMNS": "120", **(env or {})})
    assert r.exit_code == 0, (r.stdout, r.stderr)
    return r.stdout, r.stderr


def _bundle(tmp_path: Path, n: int) -> Path:
    path = tmp_path / f"bundle-{n}.json"
    path.write_text(json.dumps(indicators(n)), encoding="utf-8")
    return path


def test_with_progress_stderr_shows_each_phase_up_to_the_total(importer: str,
                                                               tmp_path: Path) -> None:
    stdout, stderr = _import(_bundle(tmp_path, 2500), "--progress", env=NOT_TERMINAL)
    assert stdout == "added 2500, updated 0, skipped 0; reports none\n"
    lines = [line.split() for line in stderr.splitlines() if line.strip()]
    assert [words[0] for words in lines] == ["reading", "parsing", "importing"]
    size = decimal((tmp_path / "bundle-2500.json").stat().st_size)
    assert f"{size}/{size}" in stderr  # every byte read
    assert "done" in lines[1]
    assert "2500/2500 objects" in stderr  # not a terminal: only the final state
    # the same for standard input, and --json's answer is untouched
    r = CliRunner().invoke(app, ["--as", "kz-rel", "exchange", "import", "-", "--progress",
                                 "--json"], input=json.dumps(indicators(1200)),
                           env={**NOT_TERMINAL, "COLUMNS": "120"})
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {"added": 1200, "updated": 0, "skipped": 0, "reports": []}
    assert "1200/1200 objects" in r.stderr and "reading" in r.stderr


def test_on_a_terminal_a_large_bundle_shows_its_progress_as_it_goes(importer: str,
                                                                    tmp_path: Path) -> None:
    stdout, stderr = _import(_bundle(tmp_path, 2500), env=TERMINAL)
    assert stdout == "added 2500, updated 0, skipped 0; reports none\n"
    for shown in ("0/2500 objects", "1000/2500 objects", "2000/2500 objects",
                  "2500/2500 objects"):
        assert shown in stderr, stderr
    assert "reading" in stderr and "parsing" in stderr


def test_no_bar_without_a_terminal_for_a_small_bundle_or_with_no_progress(
        importer: str, tmp_path: Path) -> None:
    large, small = _bundle(tmp_path, 2500), _bundle(tmp_path, 999)
    assert _import(large, env=NOT_TERMINAL) == (
        "added 2500, updated 0, skipped 0; reports none\n", "")
    assert _import(small, env=TERMINAL) == ("added 999, updated 0, skipped 0; reports none\n",
                                            "")
    assert _import(large, "--no-progress", env=TERMINAL) == (
        "added 0, updated 0, skipped 2500; reports none\n", "")
