"""The journal's hash chain: intact after changes, broken (and named) after tampering."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Principal
from collsec.registry import service


def _verify() -> journal.Verdict:
    with db.read_session() as s:
        return journal.verify(s)


# Who makes the changes below: an editor of the secretariat, cleared to edit the registry.
EDITOR = auth.Actor(None, "test", Principal("organ", "SEC"), frozenset({"editor"}), "cli")
CLEARED = Clearance("organ:SEC", "test", frozenset({"public"}),
                    frozenset({"read", "edit_registry"}), via="cli")

# A prepared database holds two entries: the default load and the operator account (as
# `collsec db setup` makes them).
SETUP = 2


def test_a_fresh_load_verifies(csto_db: str) -> None:
    verdict = _verify()
    assert verdict.ok and verdict.entries == SETUP


def test_each_change_appends_one_chained_entry(csto_db: str) -> None:
    with db.write_session() as s:
        service.change_status(s, CLEARED, EDITOR, org="CSTO", state="KZ", status="observer",
                              on=dt.date(2030, 1, 1))
    with db.read_session() as s:
        rows = journal.entries(s)
    assert [r.seq for r in rows][:2] == [SETUP + 1, SETUP]
    assert rows[0].prev_hash == rows[1].hash
    assert _verify().ok


def test_editing_a_payload_breaks_the_chain_at_that_entry(csto_db: str) -> None:
    with db.write_session() as s:
        service.change_status(s, CLEARED, EDITOR, org="CSTO", state="KZ", status="observer",
                              on=dt.date(2030, 1, 1))
    with db.engine().begin() as conn:
        conn.execute(text("UPDATE journal SET payload = replace(payload, 'KZ', 'RU') "
                          f"WHERE seq = {SETUP + 1}"))
    verdict = _verify()
    assert not verdict.ok
    assert verdict.first_broken == SETUP + 1


def test_deleting_the_last_entry_is_detected(csto_db: str) -> None:
    with db.write_session() as s:
        service.change_status(s, CLEARED, EDITOR, org="CSTO", state="KZ", status="observer",
                              on=dt.date(2030, 1, 1))
    with db.engine().begin() as conn:
        conn.execute(text(f"DELETE FROM journal WHERE seq = {SETUP + 1}"))
    assert not _verify().ok


def test_a_failed_command_writes_no_entry(csto_db: str) -> None:
    try:
        with db.write_session() as s:
            service.change_status(s, CLEARED, EDITOR, org="CSTO", state="KZ",
                                  status="nonsense", on=dt.date(2030, 1, 1))
    except Exception:
        pass
    assert _verify().entries == SETUP


# -- streaming in chunks, resuming from a checkpoint ---------------------------------------

CHUNK = 7  # small, so a short chain spans several chunks


def _append(n: int) -> None:
    """`n` more entries chained to the head, written as the journal writes them but here by
    hand, so these tests stand apart from how commands stage their entries."""
    with db.write_session() as s:
        conn = s.connection()
        head = conn.execute(text("SELECT seq, hash FROM journal_head WHERE id = 1")).first()
        seq, prev = (head[0], head[1]) if head is not None else (0, journal.GENESIS)
        for i in range(n):
            seq += 1
            at, payload = f"2030-01-01T00:00:{i % 60:02d}+00:00", journal.canonical({"i": i})
            digest = journal.entry_hash(seq, at, "test", "test.note", payload, prev)
            conn.execute(text("INSERT INTO journal (seq, at, actor, command, payload, prev_hash,"
                              " hash) VALUES (:seq, :at, 'test', 'test.note', :payload, :prev,"
                              " :digest)"),
                         {"seq": seq, "at": at, "payload": payload, "prev": prev,
                          "digest": digest})
            prev = digest
        moved = {"seq": seq, "hash": prev}
        if head is None:
            conn.execute(text("INSERT INTO journal_head (id, seq, hash) VALUES (1, :seq, :hash)"),
                         moved)
        else:
            conn.execute(text("UPDATE journal_head SET seq = :seq, hash = :hash WHERE id = 1"),
                         moved)


def _hashes() -> dict[int, str]:
    with db.read_session() as s:
        return {seq: digest for seq, digest in s.execute(text("SELECT seq, hash FROM journal"))}


def _check(after: journal.Checkpoint | None = None, chunk: int = CHUNK) -> journal.Verdict:
    with db.read_session() as s:
        return journal.verify(s, after=after, chunk=chunk)


def _sql(statement: str) -> None:
    """Tamper behind collsec's back."""
    with db.engine().begin() as conn:
        conn.execute(text(statement))


@pytest.mark.parametrize("n", [CHUNK - 1, CHUNK, 4 * CHUNK, 4 * CHUNK + 2])
def test_a_chain_across_chunk_boundaries_verifies_to_its_head(empty_db: str, n: int) -> None:
    _append(n)
    hashes = _hashes()
    verdict = _check()
    assert verdict == journal.Verdict(True, n, checkpoint=journal.Checkpoint(n, hashes[n]))
    assert _check(chunk=journal.CHUNK) == _check(chunk=1) == verdict


def test_an_empty_journal_verifies_to_the_genesis(empty_db: str) -> None:
    assert _check() == journal.Verdict(True, 0, checkpoint=journal.START)
    assert _check(after=journal.START) == journal.Verdict(True, 0, checkpoint=journal.START)


@pytest.mark.parametrize("tamper,first_broken,entries,reason", [
    ("UPDATE journal SET payload = replace(payload, 'i', 'j') WHERE seq = 16", 16, 16,
     "content"),
    ("UPDATE journal SET actor = 'intruder' WHERE seq = 8", 8, 8, "content"),  # a chunk's first
    ("DELETE FROM journal WHERE seq = 7", 7, 7, "entry 7 is missing"),  # a chunk's last
    ("DELETE FROM journal WHERE seq = 8", 8, 8, "entry 8 is missing"),
    ("UPDATE journal SET prev_hash = hash WHERE seq = 15", 15, 15, "previous-hash"),
    ("DELETE FROM journal WHERE seq >= 29", 29, 28, "journal head"),  # the head says 30
    ("DELETE FROM journal WHERE seq >= 22", 22, 21, "journal head"),  # at a chunk's end
    ("UPDATE journal_head SET seq = 27", 27, 30, "journal head"),  # 28..30 beyond the head
])
def test_tampering_in_any_chunk_is_named_as_before(empty_db: str, tamper: str,
                                                    first_broken: int, entries: int,
                                                    reason: str) -> None:
    _append(30)
    hashes = _hashes()
    _sql(tamper)
    verdict = _check()
    assert not verdict.ok and verdict.first_broken == first_broken and reason in verdict.reason
    assert verdict.entries == entries
    if "head" not in reason:  # the last good entry, where one could resume once it is repaired
        assert verdict.checkpoint == journal.Checkpoint(first_broken - 1, hashes[first_broken - 1])
    assert _check(chunk=journal.CHUNK) == _check(chunk=1) == verdict


def test_resuming_from_a_good_checkpoint_verifies_only_the_rest(empty_db: str) -> None:
    _append(30)
    hashes = _hashes()
    full = _check()
    resumed = _check(after=journal.Checkpoint(20, hashes[20]))
    assert resumed.ok and resumed.entries == 10 and resumed.after == 20
    assert resumed.checkpoint == full.checkpoint == journal.Checkpoint(30, hashes[30])
    # What lies before the checkpoint is trusted, not read again:
    _sql("UPDATE journal SET actor = 'intruder' WHERE seq = 5")
    assert not _check().ok and _check().first_broken == 5
    assert _check(after=journal.Checkpoint(20, hashes[20])) == resumed
    # At the head nothing is left to verify; new entries are verified from there.
    at_head = _check(after=resumed.checkpoint)
    assert at_head == journal.Verdict(True, 0, checkpoint=resumed.checkpoint, after=30)
    _append(9)
    later = _check(after=resumed.checkpoint)
    assert later.ok and later.entries == 9 and later.checkpoint == journal.Checkpoint(
        39, _hashes()[39])


MISMATCH = "the checkpoint does not match the journal"


@pytest.mark.parametrize("seq,which", [(20, "other"), (20, "made up"), (30, "other"),
                                       (0, "made up"), (1, "other")])
def test_a_checkpoint_with_the_wrong_hash_fails(empty_db: str, seq: int, which: str) -> None:
    _append(30)
    hashes = _hashes()
    digest = hashes[seq + 1 if seq < 30 else seq - 1] if which == "other" else "ab" * 32
    verdict = _check(after=journal.Checkpoint(seq, digest))
    assert not verdict.ok and MISMATCH in verdict.reason
    assert verdict.first_broken == max(seq, 1) and verdict.checkpoint is None
    assert verdict.entries == 0


def test_a_checkpoint_beyond_the_head_fails(empty_db: str) -> None:
    assert MISMATCH in _check(after=journal.Checkpoint(1, "ab" * 32)).reason
    _append(30)
    hashes = _hashes()
    verdict = _check(after=journal.Checkpoint(31, hashes[30]))
    assert not verdict.ok and MISMATCH in verdict.reason and "beyond the head" in verdict.reason
    assert verdict.first_broken == 31 and verdict.checkpoint is None
    # Entries removed and the head moved back with them: a kept checkpoint still tells.
    _sql("DELETE FROM journal WHERE seq > 25")
    _sql(f"UPDATE journal_head SET seq = 25, hash = '{hashes[25]}'")
    assert _check().ok
    verdict = _check(after=journal.Checkpoint(30, hashes[30]))
    assert not verdict.ok and MISMATCH in verdict.reason and verdict.first_broken == 26


@pytest.mark.parametrize("tamper,first_broken,reason", [
    ("UPDATE journal SET payload = replace(payload, 'i', 'j') WHERE seq = 25", 25, "content"),
    ("DELETE FROM journal WHERE seq = 21", 21, "entry 21 is missing"),
    ("UPDATE journal SET prev_hash = hash WHERE seq = 21", 21, "previous-hash"),
    ("DELETE FROM journal WHERE seq = 30", 30, "journal head"),
    ("DELETE FROM journal WHERE seq = 20", 20, MISMATCH),  # the checkpoint's own entry
    (f"UPDATE journal SET hash = '{'cd' * 32}' WHERE seq = 20", 20, MISMATCH),
])
def test_tampering_after_the_checkpoint_is_found(empty_db: str, tamper: str,
                                                 first_broken: int, reason: str) -> None:
    _append(30)
    hashes = _hashes()
    _sql(tamper)
    verdict = _check(after=journal.Checkpoint(20, hashes[20]))
    assert not verdict.ok and verdict.first_broken == first_broken and reason in verdict.reason
    assert verdict.after == 20


def test_entries_appended_while_verifying_do_not_break_the_chain(empty_db: str) -> None:
    """A writer commits between the verifier's statements: on SQLite the read transaction
    keeps its snapshot; on PostgreSQL each statement sees the newest commits, the head
    included, and the verification reads on to it."""
    _append(30)
    appended: list[int] = []

    def append_once(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "journal_head" in statement and not appended:
            appended.append(1)
            _append(3)

    with db.read_session() as s:
        event.listen(s.connection(), "before_cursor_execute", append_once)
        verdict = journal.verify(s, chunk=CHUNK)
    assert appended and verdict.ok and verdict.entries in (30, 33)
    assert _check().entries == 33


@pytest.mark.parametrize("text_", ["12", "12:", ":" + "ab" * 32, "-1:" + "ab" * 32,
                                   "1:" + "ab" * 31, "1:" + "zz" * 32, "x:" + "ab" * 32,
                                   "1:" + "ab" * 32 + "00", "", "١:" + "ab" * 32])
def test_a_malformed_checkpoint_is_refused(text_: str) -> None:
    with pytest.raises(ValueError, match="not a checkpoint"):
        journal.Checkpoint.parse(text_)


def test_a_checkpoint_reads_back_what_it_writes() -> None:
    mark = journal.Checkpoint(1234, "0123456789abcdef" * 4)
    assert str(mark) == f"1234:{mark.hash}"
    assert journal.Checkpoint.parse(f" {mark}\n") == mark
    assert journal.Checkpoint.parse(str(mark).upper()) == mark


# -- the command: `collsec journal verify --resume / --checkpoint` --------------------------

COLLSEC = str(Path(sys.executable).parent / "collsec")


def _collsec(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COLLSEC, "journal", "verify", *args], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "200"}, timeout=120)


def test_the_command_keeps_its_checkpoint_and_resumes_from_it(empty_db: str,
                                                              tmp_path: Path) -> None:
    kept = tmp_path / "journal.checkpoint"
    _append(1)
    first = _collsec("--checkpoint", str(kept))
    hashes = _hashes()
    assert first.returncode == 0, first.stderr
    assert "journal intact: 1 entries verified, from entry 1 to 1" in first.stdout
    assert kept.read_text() == f"1:{hashes[1]}\n"
    assert f"checkpoint 1:{hashes[1]}" in first.stdout
    _append(3)
    hashes = _hashes()
    second = _collsec("--checkpoint", str(kept))
    assert second.returncode == 0, second.stderr
    assert "3 entries verified, from entry 2 to 4" in second.stdout
    assert kept.read_text() == f"4:{hashes[4]}\n"
    again = _collsec("--checkpoint", str(kept))
    assert again.returncode == 0 and "0 entries verified" in again.stdout
    assert f"checkpoint 4:{hashes[4]}" in again.stdout
    resumed = _collsec("--resume", f"2:{hashes[2]}")
    assert resumed.returncode == 0, resumed.stderr
    assert "2 entries verified, from entry 3 to 4" in resumed.stdout
    assert f"checkpoint 4:{hashes[4]}" in resumed.stdout
    # A break after the checkpoint: exit 1 naming the entry; the kept checkpoint stays.
    _sql("UPDATE journal SET actor = 'intruder' WHERE seq = 3")
    broken = _collsec("--resume", f"2:{hashes[2]}", "--checkpoint", str(kept))
    assert broken.returncode == 1 and "journal broken at entry 3" in broken.stderr
    assert kept.read_text() == f"4:{hashes[4]}\n"
    wrong = _collsec("--resume", f"4:{hashes[3]}")
    assert wrong.returncode == 1 and MISMATCH in wrong.stderr and "entry 4" in wrong.stderr
    beyond = _collsec("--resume", f"9:{hashes[4]}")
    assert beyond.returncode == 1 and MISMATCH in beyond.stderr


@pytest.mark.parametrize("args", [("--resume", "4:abc"), ("--resume", "-1:" + "ab" * 32),
                                  ("--resume", "")])
def test_a_malformed_resume_is_bad_input(csto_db: str, args: tuple[str, ...]) -> None:
    result = _collsec(*args)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "checkpoint" in lines[0]


@pytest.mark.parametrize("content", [None, "not a checkpoint\n", b"\xff\xfe\x00"])
def test_an_unreadable_checkpoint_file_is_bad_input(csto_db: str, tmp_path: Path,
                                                    content: str | bytes | None) -> None:
    kept = tmp_path / "kept"
    if content is None:
        kept.mkdir()  # exists, but cannot be read as a file
    elif isinstance(content, bytes):
        kept.write_bytes(content)
    else:
        kept.write_text(content)
    result = _collsec("--checkpoint", str(kept))
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(kept) in lines[0]
