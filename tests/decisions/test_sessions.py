"""Sessions, positions and outcomes through the services, on a real database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from collsec.core import clock, db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.errors import Conflict, InvalidInput
from collsec.decisions import model, sessions
from collsec.decisions.membership import add_months, notify_withdrawal
from collsec.registry import chairs
from collsec.registry import service as registry

D = dt.date


def persona(principal: str, *roles: str) -> auth.Actor:
    """A signed-in actor of a principal; personas are built, not stored, for service tests."""
    return auth.Actor(1, principal.replace(":", "-").lower(), Principal.parse(principal),
                      frozenset(roles), "api")


SECRETARIAT = persona("organ:SEC", "editor")


def clearance(actor: auth.Actor, day: D) -> auth.Clearance:
    with db.read_session() as s:
        return auth.clearance(s, actor, day, "CSTO")


def convene(day: D, body: str = "CSC", kind: str = "regular", **kw: object) -> int:
    with db.write_session() as s:
        return sessions.convene(s, clearance(SECRETARIAT, day), SECRETARIAT, org="CSTO",
                                body=body, kind=kind, date=day, **kw).id  # type: ignore[arg-type]


def add_item(session_id: int, matter: str = "substantive", subject: str | None = None,
             kind: str = "declaration") -> int:
    with db.write_session() as s:
        return sessions.add_item(s, clearance(SECRETARIAT, D(2026, 1, 1)), SECRETARIAT,
                                 session_id=session_id, title_en="Draft", draft_kind=kind,
                                 matter=matter, subject_state=subject).id


def vote(item_id: int, state: str, position: str, day: D) -> model.Outcome:
    rep = persona(f"delegation:{state}", "representative")
    with db.write_session() as s:
        return sessions.record_position(s, clearance(rep, day), rep, item_id=item_id,
                                        state=state, position=position,
                                        now=clock.now()).outcome


def close(item_id: int) -> sessions.Closed:
    with db.write_session() as s:
        return sessions.close_item(s, clearance(SECRETARIAT, D(2026, 1, 1)), SECRETARIAT,
                                   item_id=item_id, now=clock.now())


def journal_size() -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0


def test_a_council_session_is_chaired_by_the_chair_holding_office_that_day(csto_db: str) -> None:
    sid = convene(D(2022, 11, 23), host_state="AM", city_en="Yerevan")
    with db.read_session() as s:
        assert sessions.get_session(s, sid).chair_state == "AM"


def test_an_objection_blocks_and_the_outcome_follows_every_change(csto_db: str) -> None:
    day = D(2022, 11, 23)
    item = add_item(convene(day))
    assert vote(item, "RU", "support", day).adopted
    objected = vote(item, "AM", "object", day)
    assert not objected.adopted and objected.params["states"] == ("AM",)
    assert vote(item, "AM", "not_participating", day).adopted


def test_closing_freezes_the_outcome_and_makes_a_document(csto_db: str) -> None:
    day = D(2019, 11, 28)
    item = add_item(convene(day, host_state="KG", city_en="Bishkek"))
    for state in ("AM", "BY", "KG", "KZ", "RU", "TJ"):
        vote(item, state, "support", day)
    closed = close(item)
    assert closed.item.adopted and closed.document_id is not None
    with db.read_session() as s:
        from collsec.documents.tables import DocumentRow

        doc = s.get(DocumentRow, closed.document_id)
        assert doc is not None and doc.number == "CSC-2019-1"
        assert doc.bound_states.split() == ["AM", "BY", "KG", "KZ", "RU", "TJ"]
    before = journal_size()
    with pytest.raises(Conflict, match="closed"):
        vote(item, "RU", "object", day)
    assert journal_size() == before


def test_a_state_without_a_seat_cannot_take_part(csto_db: str) -> None:
    day = D(2013, 1, 1)
    sid = convene(day)
    before = journal_size()
    with pytest.raises(model.NotEntitled), db.write_session() as s:
        sessions.seat(s, clearance(SECRETARIAT, day), SECRETARIAT, session_id=sid, state="UZ")
    item = add_item(sid)
    with pytest.raises(model.NotEntitled):
        vote(item, "UZ", "support", day)
    assert journal_size() == before + 1  # only the agenda item


def test_a_delegation_records_only_its_own_position(csto_db: str) -> None:
    day = D(2024, 11, 28)
    item = add_item(convene(day))
    rep = persona("delegation:BY", "representative")
    with pytest.raises(auth.NotEntitled, match="only delegation:RU may record position"), \
            db.write_session() as s:
        sessions.record_position(s, clearance(rep, day), rep, item_id=item, state="RU",
                                 position="support", now=clock.now())
    viewer = persona("delegation:RU", "viewer")
    with pytest.raises(auth.NotEntitled), db.write_session() as s:
        sessions.record_position(s, clearance(viewer, day), viewer, item_id=item, state="RU",
                                 position="support", now=clock.now())


def test_an_adopted_suspension_changes_the_registry(csto_db: str) -> None:
    day = D(2030, 3, 1)
    item = add_item(convene(day), matter="suspension", subject="KG", kind="decision")
    for state in ("BY", "KZ", "RU", "TJ"):
        vote(item, state, "support", day)
    with pytest.raises(model.NotEntitled):
        vote(item, "KG", "object", day)  # the state concerned holds no seat on it
    close(item)
    with db.read_session() as s:
        assert "KG" in {v.state.code for v in registry.members(s, "CSTO", D(2030, 2, 28))}
        assert "KG" not in {v.state.code for v in registry.members(s, "CSTO", day)}


def test_membership_matters_must_name_their_state_and_belong_to_the_council(
        csto_db: str) -> None:
    with pytest.raises(InvalidInput, match="name the state"):
        add_item(convene(D(2030, 1, 1)), matter="admission")
    with pytest.raises(model.NotEntitled, match="reserved"):
        add_item(convene(D(2030, 1, 1), body="CFM"), matter="admission", subject="CN")


def test_an_extraordinary_session_needs_a_request_from_a_seated_state(csto_db: str) -> None:
    with pytest.raises(InvalidInput, match="request"):
        convene(D(2022, 9, 13), kind="extraordinary", format="video")
    with pytest.raises(model.NotEntitled):
        convene(D(2013, 5, 1), kind="extraordinary", requested_by=["UZ"])
    sid = convene(D(2022, 9, 13), kind="extraordinary", format="video", requested_by=["AM"])
    with db.read_session() as s:
        assert sessions.get_session(s, sid).requested_by == "AM"


def test_a_withdrawal_notice_takes_effect_after_the_notice_period(csto_db: str) -> None:
    notice = D(2031, 3, 15)
    with db.write_session() as s:
        row = notify_withdrawal(s, clearance(SECRETARIAT, notice), SECRETARIAT, org="CSTO",
                                state="KZ", notice_on=notice)
        effective = row.effective_on
    assert effective == D(2031, 9, 15)
    with db.read_session() as s:
        assert registry.status_of(s, "CSTO", "KZ", D(2031, 9, 14)).status.code == "member"
        assert registry.status_of(s, "CSTO", "KZ", effective).status.code == "withdrawn"


def test_notice_months_end_on_the_last_day_of_a_short_month() -> None:
    assert add_months(D(2031, 8, 31), 6) == D(2032, 2, 29)


def test_a_notice_whose_period_ends_past_the_calendar_is_refused_not_a_crash(
        csto_db: str) -> None:
    assert add_months(D(9999, 6, 30), 6) == D(9999, 12, 30)
    with pytest.raises(InvalidInput, match="beyond the calendar"):
        add_months(D(9999, 12, 31), 6)
    refused = pytest.raises(InvalidInput, match="beyond the calendar")
    with refused, db.write_session() as s:
        notify_withdrawal(s, clearance(SECRETARIAT, D(9999, 12, 31)), SECRETARIAT,
                          org="CSTO", state="KZ", notice_on=D(9999, 12, 31))


def test_a_state_may_decline_its_turn_to_chair(csto_db: str) -> None:
    def chair_2027() -> str | None:
        with db.read_session() as s:
            held_by = chairs.chair_on(s, "CSTO", D(2027, 6, 1)).state
        return held_by.code if held_by else None

    assert chair_2027() == "TJ"
    with db.write_session() as s:
        chairs.decline_chair(s, clearance(SECRETARIAT, D(2026, 11, 1)), SECRETARIAT,
                             org="CSTO", year=2027, state="TJ", on=D(2026, 11, 1))
    # Armenia does not take part, so the turn passes on to Belarus.
    assert chair_2027() == "BY"
    with pytest.raises(InvalidInput), db.write_session() as s:
        chairs.decline_chair(s, clearance(SECRETARIAT, D(2023, 11, 1)), SECRETARIAT,
                             org="CSTO", year=2024, state="KZ", on=D(2023, 11, 1))
    with pytest.raises(InvalidInput, match="not held for a calendar year"), \
            db.write_session() as s:  # before 2024 the chair passed at the sessions
        chairs.decline_chair(s, clearance(SECRETARIAT, D(2015, 1, 1)), SECRETARIAT,
                             org="CSTO", year=2016, state="AM", on=D(2015, 1, 1))


def test_a_closed_item_keeps_its_outcome_when_seats_change_later(csto_db: str) -> None:
    day = D(2030, 5, 1)
    item = add_item(convene(day), matter="admission", subject="CN", kind="decision")
    for state in ("BY", "KZ", "KG", "RU", "TJ"):
        vote(item, state, "support", day)
    closed = close(item)
    assert closed.item.adopted
    with db.read_session() as s:
        assert "CN" in {v.state.code for v in registry.members(s, "CSTO", day)}
        again = sessions.evaluate_item(s, sessions.get_item(s, item))
    assert again.outcome.adopted and "CN" not in again.seated
    assert again.outcome.bound == closed.evaluation.outcome.bound
