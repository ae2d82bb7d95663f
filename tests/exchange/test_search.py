"""Full-text search over the reports, on the database under test (FTS5 or a tsvector): every
word of the query begins a word of the title or the body, in either alphabet and any case;
nothing typed is query syntax; and it finds only what the reader may read."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from collsec.exchange import search
from collsec.exchange import service as exchange
from tests.exchange.conftest import NOW, officer
from tests.exchange.test_service import _released


def test_the_words_of_a_query_are_letters_and_digits_once_each() -> None:
    assert search.words('ИГИЛ "near" igil* OR (osh) a_b 2024 ИГИЛ') == [
        "игил", "near", "igil", "or", "osh", "a", "b", "2024"]
    assert search.words('"*:&|!()') == []
    assert len(search.words(" ".join(f"w{n}" for n in range(40)))) == search.MAX_WORDS


def _found(s: Session, state: str, text: str) -> list[int]:
    a, c = officer(s, f"{state.lower()}-reader", f"delegation:{state}", ("viewer",))
    return [r.id for r in exchange.list_reports(s, c, query=text, now=NOW)]


def test_a_search_finds_word_beginnings_in_either_alphabet_and_every_word_is_needed(
        tx: Session) -> None:
    ru = _released(tx, title="Вербовщики ИГИЛ в Ферганской долине").id
    en = _released(tx, title="Couriers of the Islamic State near Osh").id
    assert _found(tx, "RU", "вербовщ") == [ru]
    assert _found(tx, "RU", "игил ФЕРГАН") == [ru]
    assert _found(tx, "RU", "islamic osh") == [en]
    assert _found(tx, "RU", "islamic фергана") == []
    assert _found(tx, "RU", "channels") == [en, ru]  # the body: "Two *channels*."


@pytest.mark.parametrize(("typed", "finds"), [
    ('"', False), ("*", False), ("%", False), ("_", False), ("NEAR(osh", True),
    ("osh:*", True), ("(osh)", True), ('"osh', True), ("osh OR x", False),
    ("osh & !x", False), ("title:osh", False), ("'; DROP TABLE x; --", False)])
def test_nothing_typed_is_query_syntax(tx: Session, typed: str, finds: bool) -> None:
    """Each answer is what its words alone find (NEAR, OR, title are words to match)."""
    row = _released(tx, title="Couriers near Osh")
    assert _found(tx, "RU", typed) == ([row.id] if finds else [])


def test_a_search_finds_only_what_the_reader_may_read(tx: Session) -> None:
    row = _released(tx, title="Recruiters near Osh")
    assert _found(tx, "KZ", "recruiters") == [row.id]
    assert _found(tx, "AM", "recruiters") == []


def test_the_index_follows_a_change_of_title(tx: Session) -> None:
    a, c = officer(tx, "kz-ana", "delegation:KZ", ("reporting_analyst",))
    row = exchange.write_report(tx, c, a, title="Smugglers", tlp="AMBER", scope="states",
                                states=("KZ",), now=NOW)
    assert _found(tx, "KZ", "smugglers") == [row.id]
    exchange.edit_report(tx, c, a, report_id=row.id, title="Couriers", now=NOW)
    tx.flush()
    assert _found(tx, "KZ", "smugglers") == [] and _found(tx, "KZ", "couriers") == [row.id]


def test_on_postgresql_each_report_carries_the_principals_its_releases_name(
        tx: Session) -> None:
    """The copy a narrowed page checks (`released_to`, kept by a trigger): it follows a
    release, a narrowing and a widening, and the page's statement asks it, not a function."""
    from sqlalchemy import select, text

    from collsec.core.auth.tables import ReleaseRow
    from tests.exchange.test_service import RELEASER

    if tx.get_bind().dialect.name != "postgresql":
        pytest.skip("a PostgreSQL copy: SQLite's page asks the releases themselves")

    def copy(report_id: int) -> list[str]:
        return sorted(tx.execute(text("SELECT released_to FROM exchange_reports WHERE id = :i"),
                                 {"i": report_id}).scalar_one())

    def releases(report_id: int) -> list[str]:
        return sorted(tx.execute(select(ReleaseRow.principal).where(
            ReleaseRow.object_type == "report", ReleaseRow.object_id == report_id)).scalars())

    row = _released(tx)
    assert copy(row.id) == releases(row.id) == ["delegation:KZ", "delegation:RU"]
    r, cr = officer(tx, "kz-rel", "delegation:KZ", RELEASER)
    exchange.change_release(tx, cr, r, report_id=row.id, scope="states", states=["KZ"],
                            now=NOW)
    assert copy(row.id) == releases(row.id) == ["delegation:KZ"]
    exchange.change_release(tx, cr, r, report_id=row.id, scope="members", now=NOW)
    assert copy(row.id) == releases(row.id)
    _, c = officer(tx, "kz-reader", "delegation:KZ", ("viewer",))
    stmt = exchange.reports_query(tx, "CSTO", query="channels", narrowed_for=c)
    sql = str(stmt.compile(tx.get_bind()))
    assert "ANY(exchange_reports.released_to)" in sql and "collsec_released(" not in sql
