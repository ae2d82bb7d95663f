"""Entry into force of agreements, per state and per date."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collsec.core.errors import InvalidInput
from collsec.decisions.agreements import EntryRule, entry_for, general_entry, in_force_for

D = dt.date
SIGNED = ("AM", "BY", "KZ", "KG", "RU", "TJ")
DEPOSITS = {"RU": D(2020, 3, 1), "BY": D(2020, 5, 1), "KZ": D(2020, 7, 1), "KG": D(2021, 1, 1)}


def test_nth_instrument_starts_it_for_the_first_n_and_later_states_on_their_deposit() -> None:
    rule = EntryRule("nth_instrument", n=3)
    assert general_entry(rule, SIGNED, DEPOSITS) == D(2020, 7, 1)
    assert entry_for(rule, SIGNED, DEPOSITS, "RU") == D(2020, 7, 1)
    assert entry_for(rule, SIGNED, DEPOSITS, "KG") == D(2021, 1, 1)
    assert entry_for(rule, SIGNED, DEPOSITS, "TJ") is None


def test_in_force_for_kz_asks_about_a_date() -> None:
    rule = EntryRule("nth_instrument", n=3)
    assert not in_force_for(rule, SIGNED, DEPOSITS, "KZ", D(2020, 6, 30))
    assert in_force_for(rule, SIGNED, DEPOSITS, "KZ", D(2020, 7, 1))
    assert not in_force_for(rule, SIGNED, DEPOSITS, "RU", D(2020, 6, 1))


def test_a_delay_counts_from_the_deciding_deposit() -> None:
    rule = EntryRule("nth_instrument", n=2, delay_days=30)
    assert entry_for(rule, SIGNED, DEPOSITS, "RU") == D(2020, 5, 31)


def test_all_signatories_waits_for_the_last() -> None:
    rule = EntryRule("all_signatories")
    assert general_entry(rule, SIGNED, DEPOSITS) is None
    full = {**DEPOSITS, "AM": D(2021, 2, 1), "TJ": D(2021, 3, 1)}
    assert general_entry(rule, SIGNED, full) == D(2021, 3, 1)


@given(st.dictionaries(st.sampled_from(SIGNED), st.dates(D(2000, 1, 1), D(2030, 1, 1))),
       st.sampled_from(SIGNED), st.dates(D(2000, 1, 1), D(2030, 1, 1)),
       st.integers(1, 6))
def test_a_state_that_has_not_deposited_by_a_date_is_never_bound_on_it(
        deposits: dict[str, D], state: str, on: D, n: int) -> None:
    for rule in (EntryRule("nth_instrument", n=n), EntryRule("each_on_deposit"),
                 EntryRule("all_signatories")):
        if state not in deposits or deposits[state] > on:
            assert not in_force_for(rule, SIGNED, deposits, state, on)


def test_bad_rules_are_refused() -> None:
    with pytest.raises(InvalidInput):
        EntryRule("when_convenient")
    with pytest.raises(InvalidInput):
        EntryRule("nth_instrument")
