"""Agreements, signatures and deposits through the service, on a real database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from collsec.core import db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.errors import CollsecError, Conflict, InvalidInput, NotFound, UnknownState
from collsec.decisions import agreement_service as service
from collsec.decisions import agreements as rules
from collsec.decisions.tables import AgreementRow, DepositRow, SignatureRow
from collsec.registry import defaults

D = dt.date
SIGNED = ["AM", "BY", "KZ", "KG", "RU", "TJ"]
DEPOSITS = {"RU": D(2020, 3, 1), "BY": D(2020, 5, 1), "KZ": D(2020, 7, 1), "KG": D(2021, 1, 1)}


def persona(principal: str, *roles: str) -> auth.Actor:
    return auth.Actor(1, principal.replace(":", "-").lower(), Principal.parse(principal),
                      frozenset(roles), "api")


EDITOR = persona("organ:SEC", "editor")
VIEWER = persona("delegation:KZ", "viewer")
ANONYMOUS = auth.anonymous("api")
DAY = D(2025, 6, 1)


def clearance(actor: auth.Actor, day: D = DAY) -> auth.Clearance:
    with db.read_session() as s:
        return auth.clearance(s, actor, day, "CSTO")


def register(code: str = "TEST-NTH", rule: str = "nth_instrument", n: int | None = 3,
             delay_days: int = 0, actor: auth.Actor = EDITOR, **kw: object) -> None:
    with db.write_session() as s:
        service.register_agreement(
            s, clearance(actor), actor, code=code, title_en="Test agreement",
            signed_on=D(2020, 1, 10), signatories=[(st, None) for st in SIGNED], rule=rule,
            n=n, delay_days=delay_days, place_en="Moscow", **kw)  # type: ignore[arg-type]


def deposit(state: str, day: D, code: str = "TEST-NTH", actor: auth.Actor = EDITOR,
            **kw: object) -> None:
    with db.write_session() as s:
        service.record_deposit(s, clearance(actor), actor, code=code, state=state,
                               deposited_on=day, **kw)  # type: ignore[arg-type]


def deposit_all(code: str = "TEST-NTH") -> None:
    for state, day in DEPOSITS.items():
        deposit(state, day, code, instrument=f"law of {state}")


def counts() -> tuple[int, int, int, int]:
    with db.read_session() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) or 0  # type: ignore[return-value]
                     for t in (AgreementRow, SignatureRow, DepositRow, journal.JournalEntry))


def test_kz_is_bound_from_the_third_deposit_and_not_a_day_before(csto_db: str) -> None:
    register()
    deposit_all()
    with db.read_session() as s:
        assert not service.in_force_for(s, "TEST-NTH", "KZ", D(2020, 6, 30))
        assert service.in_force_for(s, "test-nth", "kz", D(2020, 7, 1))
        assert not service.in_force_for(s, "TEST-NTH", "TJ", D(2030, 1, 1))
        before = service.status(s, "TEST-NTH", D(2020, 6, 30))
        on = service.status(s, "TEST-NTH", D(2020, 7, 1))
        later = service.status(s, "TEST-NTH", D(2021, 1, 1))
    assert before.general_entry is None and not before.in_force
    assert on.general_entry == D(2020, 7, 1) and on.bound == ["BY", "KZ", "RU"]
    by_state = {x.state.code: x for x in on.states}
    assert by_state["RU"].in_force_from == D(2020, 7, 1)
    assert by_state["RU"].deposited_on == D(2020, 3, 1) and by_state["RU"].instrument == "law of RU"
    # As of 1 July 2020 Kyrgyzstan's deposit (2021) has not happened: nothing is shown for it.
    assert by_state["KG"].deposited_on is None and by_state["KG"].in_force_from is None
    kg = {x.state.code: x for x in later.states}["KG"]
    assert kg.in_force and kg.in_force_from == D(2021, 1, 1)
    assert (later.signed_count, later.deposited_count) == (6, 4)


def test_the_service_agrees_with_the_pure_rule_on_every_day(csto_db: str) -> None:
    register(rule="nth_instrument", n=2, delay_days=30)
    deposit_all()
    rule = rules.EntryRule("nth_instrument", 2, 30)
    with db.read_session() as s:
        for day in (D(2020, 3, 1), D(2020, 5, 31), D(2020, 6, 1), D(2020, 7, 31),
                    D(2021, 1, 30), D(2021, 1, 31)):
            for state in SIGNED:
                assert service.in_force_for(s, "TEST-NTH", state, day) == rules.in_force_for(
                    rule, SIGNED, DEPOSITS, state, day), (state, day)


def test_each_on_deposit_binds_each_state_on_its_own_day(csto_db: str) -> None:
    register(code="EACH", rule="each_on_deposit", n=None)
    deposit_all("EACH")
    with db.read_session() as s:
        st = service.status(s, "EACH", D(2020, 5, 15))
        bound, since, rule = service.entry(s, "EACH", "BY", D(2020, 5, 15))
    assert st.general_entry == D(2020, 3, 1) and st.bound == ["BY", "RU"]
    assert (bound, since, rule.kind) == (True, D(2020, 5, 1), "each_on_deposit")


def test_all_signatories_waits_for_the_last_one(csto_db: str) -> None:
    register(code="ALL", rule="all_signatories", n=None)
    deposit_all("ALL")
    with db.read_session() as s:
        assert service.status(s, "ALL", D(2030, 1, 1)).general_entry is None
    deposit("AM", D(2021, 2, 1), "ALL")
    deposit("TJ", D(2021, 3, 1), "ALL")
    with db.read_session() as s:
        assert service.status(s, "ALL", D(2030, 1, 1)).general_entry == D(2021, 3, 1)
        assert not service.in_force_for(s, "ALL", "RU", D(2021, 2, 28))


def test_a_later_signature_then_a_deposit(csto_db: str) -> None:
    register()
    with db.write_session() as s:
        service.record_signature(s, clearance(EDITOR), EDITOR, code="TEST-NTH", state="UZ",
                                 signed_on=D(2020, 6, 1))
    deposit("UZ", D(2020, 6, 2))
    with db.read_session() as s:
        st = service.status(s, "TEST-NTH", D(2020, 5, 1))
        assert {x.state.code: x.signed for x in st.states}["UZ"] is False
        assert st.signed_count == 6


def test_each_command_writes_one_journal_entry(csto_db: str) -> None:
    before = counts()
    register()
    deposit("RU", D(2020, 3, 1))
    after = counts()
    assert after == (before[0] + 1, before[1] + 6, before[2] + 1, before[3] + 2)
    with db.read_session() as s:
        commands = [e.command for e in journal.entries(s, limit=2)]
        assert commands == ["decisions.record_deposit", "decisions.register_agreement"]
        assert journal.verify(s).ok


@pytest.mark.parametrize("bad,error", [
    (lambda: deposit("UZ", D(2020, 3, 1)), InvalidInput),  # not a signatory
    (lambda: deposit("RU", D(2020, 3, 2)), Conflict),  # a second deposit
    (lambda: deposit("KZ", D(2020, 1, 9)), InvalidInput),  # before its signature
    (lambda: deposit("KZ", D(2020, 3, 1), code="NO-SUCH"), NotFound),
    (lambda: deposit("XX", D(2020, 3, 1)), UnknownState),
    (lambda: deposit("KZ", D(2020, 3, 1), sources=["no-such-source"]), InvalidInput),
    (lambda: deposit("KZ", D(2020, 3, 1), actor=VIEWER), auth.NotEntitled),
    (lambda: deposit("KZ", D(2020, 3, 1), actor=ANONYMOUS), auth.Unauthenticated),
    (lambda: register(), Conflict),  # the code exists
    (lambda: register(code="OTHER", rule="when_convenient"), InvalidInput),
    (lambda: register(code="OTHER", rule="nth_instrument", n=None), InvalidInput),
    (lambda: register(code="bad code!"), InvalidInput),
    (lambda: register(code="OTHER", actor=VIEWER), auth.NotEntitled),
    (lambda: register(code="OTHER", sources=["no-such-source"]), InvalidInput),
    (lambda: register(code="OTHER", confidence="certain"), InvalidInput),
])
def test_bad_commands_are_refused_and_write_nothing(csto_db: str, bad: object,
                                                    error: type[CollsecError]) -> None:
    register()
    deposit("RU", D(2020, 3, 1))
    before = counts()
    with pytest.raises(error):
        bad()  # type: ignore[operator]
    assert counts() == before


def test_signatories_are_checked(csto_db: str) -> None:
    with db.write_session() as s, pytest.raises(InvalidInput, match="listed twice"):
        service.register_agreement(s, clearance(EDITOR), EDITOR, code="TWICE", title_en="T",
                                   signed_on=D(2020, 1, 1), signatories=[("KZ", None),
                                                                         ("kz", None)],
                                   rule="each_on_deposit")
    with db.write_session() as s, pytest.raises(InvalidInput, match="before the agreement"):
        service.register_agreement(s, clearance(EDITOR), EDITOR, code="EARLY", title_en="T",
                                   signed_on=D(2020, 1, 1),
                                   signatories=[("KZ", D(2019, 12, 31))],
                                   rule="each_on_deposit")
    with db.write_session() as s, pytest.raises(InvalidInput, match="at least one"):
        service.register_agreement(s, clearance(EDITOR), EDITOR, code="NOBODY", title_en="T",
                                   signed_on=D(2020, 1, 1), signatories=[],
                                   rule="each_on_deposit")


def test_the_rule_reads_in_both_languages() -> None:
    rule = rules.EntryRule("nth_instrument", 4, 30)
    assert "4 instruments" in service.describe_rule(rule, "en")
    assert "30 days" in service.describe_rule(rule, "en")
    assert "4 документов" in service.describe_rule(rule, "ru")
    for kind in rules.ENTRY_RULES:
        text = service.describe_rule(rules.EntryRule(kind, 2), "ru")
        assert text and text != service.describe_rule(rules.EntryRule(kind, 2), "en")


# -- the embedded data -------------------------------------------------------------------

def test_the_embedded_agreements_are_loaded_with_signatories_and_sources(use_db: str) -> None:
    with db.read_session() as s:
        rows = {r.code: r for r in service.list_agreements(s, org="CSTO")}
        known = {src.id for src in service.registry.sources(s)}
        assert {"CHARTER-2002", "CST-PROLONGATION-1999", "PEACEKEEPING-PROTOCOL-2021"} <= set(rows)
        charter = service.status(s, "CHARTER-2002", D(2025, 1, 1))
        protocol = service.status(s, "PEACEKEEPING-PROTOCOL-2021", D(2025, 1, 1))
        prolongation = service.status(s, "CST-PROLONGATION-1999", D(2025, 1, 1))
    assert charter.agreement.signed_on == D(2002, 10, 7) and charter.rule.kind == "all_signatories"
    assert protocol.agreement.signed_on == D(2021, 9, 16)
    assert (prolongation.rule.kind, prolongation.rule.n) == ("nth_instrument", 5)
    for st in (charter, protocol, prolongation):
        assert [x.state.code for x in st.states] == sorted(SIGNED)
        assert st.fact.sources and set(st.fact.sources) <= known
        assert st.agreement.origin == "default"
        assert st.fact.note_en and st.fact.note_ru
    assert "seed-003" in protocol.fact.sources


def test_reloading_replaces_default_agreements_and_keeps_the_users(csto_db: str) -> None:
    register(code="USERS")
    deposit("RU", D(2020, 3, 1), "USERS")
    with db.write_session() as s:
        defaults._remove_default_agreements(s)
        assert {r.code for r in service.list_agreements(s, org="CSTO")} == {"USERS"}
        known = {src.id for src in service.registry.sources(s)}
        from collsec.registry.charter import read_yaml

        defaults._insert_agreements(s, "CSTO", read_yaml("CSTO", "agreements.yaml"), known)
    with db.read_session() as s:
        codes = {r.code for r in service.list_agreements(s, org="CSTO")}
        assert {"USERS", "CHARTER-2002"} <= codes
        assert service.status(s, "USERS", D(2021, 1, 1)).deposited_count == 1


def test_the_charter_is_in_force_from_its_recorded_entry_date(use_db: str) -> None:
    import datetime as dt

    from collsec.core import db
    from collsec.decisions import agreement_service as svc

    with db.read_session() as s:
        assert not svc.in_force_for(s, "CHARTER-2002", "KZ", dt.date(2003, 9, 17))
        assert svc.in_force_for(s, "CHARTER-2002", "KZ", dt.date(2003, 9, 18))
        status = svc.status(s, "CHARTER-2002", dt.date(2020, 1, 1))
    assert {x.basis for x in status.states} == {"recorded"}
    assert status.bound == ["AM", "BY", "KZ", "KG", "RU", "TJ"] or sorted(status.bound) == [
        "AM", "BY", "KG", "KZ", "RU", "TJ"]
