"""The pure part of live updates: who receives an announcement, and the wire format."""

from __future__ import annotations

import json

import pytest

from collsec.core.auth.model import Clearance, Marking, may_read
from collsec.core.commands import LiveEvent
from collsec.crisis.live.model import (
    Announcement,
    audience,
    comment,
    event,
    from_entry,
    last_event_id,
    retry,
)

MEMBER = frozenset({"public", "observers", "members"})


def cleared(principal: str, levels: frozenset[str] = MEMBER) -> Clearance:
    return Clearance(principal, principal.lower(), levels, frozenset({"read"}), "test")


KG, RU, KZ = cleared("delegation:KG"), cleared("delegation:RU"), cleared("delegation:KZ")
SUSPENDED = cleared("delegation:UZ", frozenset({"public"}))


def test_an_incident_for_all_members_reaches_members_and_not_a_suspended_state() -> None:
    subs = {"kg": KG, "ru": RU, "uz": SUSPENDED}
    assert audience(Marking("members", "delegation:KZ"), subs) == ["kg", "ru"]


def test_a_restricted_incident_reaches_only_its_releasees_and_its_reporter() -> None:
    mark = Marking("restricted", "delegation:KZ", frozenset({"delegation:KG"}))
    assert audience(mark, {"kg": KG, "ru": RU, "kz": KZ, "uz": SUSPENDED}) == ["kg", "kz"]


def test_audience_and_a_single_read_agree() -> None:
    marks = [Marking("members", "delegation:KZ"), Marking("public"),
             Marking("restricted", "delegation:RU", frozenset({"delegation:UZ"})),
             Marking("restricted", "delegation:KZ", frozenset({"delegation:RU"}))]
    subs = {"kg": KG, "ru": RU, "kz": KZ, "uz": SUSPENDED,
            "anon": Clearance(None, None, frozenset({"public"}), frozenset(), "")}
    for mark in marks:
        assert set(audience(mark, subs)) == {k for k, c in subs.items()
                                             if may_read(c, mark).allowed}


def test_an_announcement_survives_its_payload() -> None:
    sent = LiveEvent(41, 2, "incident", 7, "updated", 1700000000.25)
    assert Announcement.parse(sent.payload()) == Announcement(41, 2, 7, "updated",
                                                              1700000000.25)
    assert len(sent.payload()) < 8000  # PostgreSQL's limit for a NOTIFY payload
    # another topic's event is not the incident stream's
    assert Announcement.parse(LiveEvent(41, 1, "operation", 7, "updated", 1.0).payload()) is None


@pytest.mark.parametrize("text", ["", "{}", "[1]", '{"seq": 1, "incident": 2, "kind": "gone",'
                                  ' "at": 0}', "not json"])
def test_a_foreign_payload_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Announcement.parse(text)


def test_an_event_is_written_as_the_specification_reads_it() -> None:
    data = json.dumps({"kind": "reported", "incident": {"title": "two\nlines"}})
    text = event((12, 1), "incident", data, note="announced 1.5")
    assert text.endswith("\n\n") and text.count("\n\n") == 1
    fields = dict(line.split(": ", 1) for line in text.strip().split("\n")
                  if not line.startswith(":"))
    assert fields == {"id": "12.1", "event": "incident", "data": data}
    assert json.loads(fields["data"])["incident"]["title"] == "two\nlines"
    assert retry() == "retry: 3000\n\n"
    assert comment("heartbeat") == ": heartbeat\n\n"


@pytest.mark.parametrize("header,expected", [
    (None, None), ("", None), ("17.2", (17, 2)), (" 17.0 ", (17, 0)),
    ("17", (17, 0)),  # an id of an earlier release: the entry's first event
    ("-1", None), ("abc", None), ("17.", None), ("17.x", None), (".3", None),
    ("1.2.3", None), ("١٧", None)])  # Arabic-Indic digits are digits to str.isdigit
def test_last_event_id(header: str | None, expected: tuple[int, int] | None) -> None:
    assert last_event_id(header) == expected


def test_the_events_of_one_entry_are_told_apart_and_kept_in_order() -> None:
    payload = json.dumps({"live": [{"topic": "incident", "id": 4, "kind": "updated"},
                                   {"topic": "operation", "id": 9, "kind": "updated"},
                                   {"topic": "incident", "id": 5, "kind": "updated"}]})
    found = from_entry(30, "crisis.escalate", payload, 0.0)
    assert [(a.position, a.object_id) for a in found] == [((30, 0), 4), ((30, 2), 5)]
    assert (30, 0) < (30, 2) < (31, 0)  # the order a stream resumes in
