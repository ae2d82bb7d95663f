"""The unified list's rule and its search, pure."""

from __future__ import annotations

import datetime as dt

import pytest

from collsec.exchange import aliases, unified
from collsec.exchange.unified import Rule, Step

ANY = Rule("any_member", 1, ("terrorist",))
ALL = Rule("all_members", 1, ("terrorist",))
TWO = Rule("min_members", 2, ("terrorist",))
MEMBERS = ["KZ", "KG", "RU", "TJ"]
TALIBAN = [Step(dt.date(2003, 2, 14), "listed", "RU"), Step(dt.date(2005, 3, 15), "listed", "KZ"),
           Step(dt.date(2023, 12, 29), "delisted", "KZ"),
           Step(dt.date(2025, 4, 17), "delisted", "RU")]


def test_any_member_keeps_it_listed_while_one_designation_holds() -> None:
    on = unified.standing_on(ANY, TALIBAN, MEMBERS, dt.date(2024, 6, 1))
    assert (on.status, on.basis, on.since, on.states) == ("listed", "rule",
                                                          dt.date(2003, 2, 14), ("RU",))
    after = unified.standing_on(ANY, TALIBAN, MEMBERS, dt.date(2025, 4, 17))
    assert (after.status, after.since, after.states) == ("delisted", dt.date(2025, 4, 17), ())
    before = unified.standing_on(ANY, TALIBAN, MEMBERS, dt.date(2003, 2, 13))
    assert (before.status, before.basis) == (None, "none")


def test_all_members_and_a_minimum_are_stricter() -> None:
    day = dt.date(2010, 1, 1)
    assert unified.standing_on(TWO, TALIBAN, MEMBERS, day).status == "listed"
    assert unified.standing_on(ALL, TALIBAN, MEMBERS, day).status is None
    assert unified.standing_on(TWO, TALIBAN, MEMBERS, dt.date(2024, 1, 1)).status == "delisted"


def test_only_members_on_the_day_and_counted_kinds_count() -> None:
    steps = [Step(dt.date(2006, 1, 1), "listed", "UZ"),
             Step(dt.date(2007, 1, 1), "listed", "RU", kind="extremist")]
    assert unified.standing_on(ANY, steps, MEMBERS, dt.date(2008, 1, 1)).status is None
    both = Rule("any_member", 1, ("terrorist", "extremist"))
    assert unified.standing_on(both, steps, MEMBERS, dt.date(2008, 1, 1)).states == ("RU",)
    assert unified.standing_on(ANY, steps, [*MEMBERS, "UZ"], dt.date(2008, 1, 1)).states == (
        "UZ",)


def test_the_lists_own_record_answers_from_its_date() -> None:
    steps = [*TALIBAN, Step(dt.date(2009, 1, 1), "proposed")]
    on = unified.standing_on(ANY, steps, MEMBERS, dt.date(2010, 1, 1))
    assert (on.status, on.basis, on.since) == ("proposed", "recorded", dt.date(2009, 1, 1))
    assert unified.standing_on(ANY, steps, MEMBERS, dt.date(2008, 1, 1)).basis == "rule"


def test_a_broken_rule_is_refused() -> None:
    for raw in ({"rule": "majority"}, {"rule": "min_members", "min": 0},
                {"kinds": ["separatist"]}):
        with pytest.raises(ValueError):
            unified.rule_from(raw)
    assert unified.rule_from({"rule": "min_members", "min": 3}).least == 3


ISLAMIC_STATE = ["Islamic State", "Исламское государство", "ISIS", "ISIL", "IGIL", "ИГИЛ",
                 "Daesh", "ДАИШ", "Islamic State of Iraq and the Levant"]


@pytest.mark.parametrize("query", ["Islamic State", "ISIS", "ISIL", "IGIL", "ИГИЛ",
                                   "Исламское государство", "Daesh", "daesh", "Даиш",
                                   "Islamik State", "Islamic Stat", "Исламское гасударство",
                                   "Dáesh", "isil"])
def test_every_alias_spelling_and_small_typo_finds_the_islamic_state(query: str) -> None:
    assert aliases.best(query, [aliases.fold(n) for n in ISLAMIC_STATE]) >= 0.6


@pytest.mark.parametrize("query", ["Taliban", "Tablighi Jamaat", "Hizb ut-Tahrir", "Nusra",
                                   "Islamic Jihad"])
def test_other_names_do_not_find_it(query: str) -> None:
    assert aliases.best(query, [aliases.fold(n) for n in ISLAMIC_STATE]) < 0.6


def test_folding_joins_scripts_and_transliterations() -> None:
    assert aliases.fold("Хизб ут-Тахрир") == aliases.fold("Hizb ut-Tahrir")
    assert aliases.fold("Jamaat Ansarullah") == aliases.fold("Джамаат Ансаруллах")
    assert aliases.distance("daesh", "daish", 2) == 1
    assert aliases.distance("abcd", "bacd", 2) == 1  # a swap is one edit
