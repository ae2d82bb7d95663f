"""Every action of policy.yaml, allowed once and refused once, for the personas of
tests/personas.py cleared by the real decision point on the CSTO data of `personas.DAY`.

The table below is written from a reading of the rules (policy.yaml's roles, conditions
and `in_good_standing`; the charter's statuses and their `reads`; memberships.yaml), with
the exact words the decision point gives. The cases are drawn from policy.yaml's list of
actions, so an action added there without a row here fails. A second part walks every
registered `@command` that declares an action: the action exists, and a public reader is
refused with a 401 before anything is written.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import collsec
from collsec.core import commands, db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Decision, Marking
from collsec.core.errors import CollsecError
from tests import personas

ON = personas.DAY.isoformat()
SUSPENDED_UZ = f"UZ is participation_suspended in CSTO on {ON}"
MEMBER_LEVELS = frozenset({"public", "observers", "partners", "members"})


@dataclass(frozen=True)
class Case:
    """One decision: who asks (a persona, optionally with other roles), the facts of the
    act, and what the decision point must answer, word for word."""

    who: str
    reason: str  # Decision.reason, exactly
    refused_with: type[CollsecError] | None = None  # None: allowed
    state: str | None = None  # the state the act is for
    originator: str | None = None  # the principal that originated the object
    marking: Marking | None = None  # for `read`: what is read
    roles: tuple[str, ...] | None = None  # instead of the persona's usual roles
    note: str = ""

    @property
    def allowed(self) -> bool:
        return self.refused_with is None


def ok(who: str, reason: str, **facts: Any) -> Case:
    return Case(who, reason, None, **facts)


def refused(who: str, reason: str, error: type[CollsecError], **facts: Any) -> Case:
    return Case(who, reason, error, **facts)


NO = auth.NotEntitled  # 403: signed in, and the rule says no
SIGN_IN = auth.Unauthenticated  # 401: nobody signed in

TABLE: dict[str, list[Case]] = {
    "read": [
        ok("kz", "marked members", marking=Marking("members")),
        ok("am", "marked members", marking=Marking("members"),
           note="participation_frozen keeps a member's reads in the charter"),
        ok("anon", "role allows read", note="the role alone; no marking asked"),
        ok("sec", "released to this principal",
           marking=Marking("restricted", "delegation:KZ", frozenset({"organ:SEC"}))),
        refused("uz", f"marked members; {SUSPENDED_UZ}", NO, marking=Marking("members")),
        refused("uz", f"restricted; {SUSPENDED_UZ}", NO,
                marking=Marking("restricted", "delegation:UZ"),
                note="a suspended delegation does not read even what it originated"),
        refused("kz", "restricted and not released to this principal", NO,
                marking=Marking("restricted", "delegation:RU", frozenset({"organ:CRC"}))),
        refused("anon", "marked observers; not signed in", SIGN_IN,
                marking=Marking("observers")),
        refused("anon", "restricted material needs a signed-in principal", SIGN_IN,
                marking=Marking("restricted", "organ:SEC")),
    ],
    "export": [
        ok("sec", "role allows export"),
        refused("kz", "kz-officer may not export", NO),
    ],
    "report_incident": [
        ok("kz", "delegation may report incident"),
        ok("am", "delegation may report incident",
           note="frozen, Armenia still reads members material: in good standing"),
        ok("crc", "crisis centre may report incident"),
        refused("uz", f"delegation:UZ may not report incident: {SUSPENDED_UZ}", NO),
        refused("sec", "only a delegation or the crisis centre may report incident; "
                "sec-officer acts for organ:SEC", NO, roles=("duty_officer",),
                note="the role is there, the condition is not"),
        refused("sec", "sec-officer may not report incident", NO),
        refused("anon", "an anonymous reader may not report incident", SIGN_IN),
    ],
    "update_incident": [
        ok("crc", "crisis centre may update incident", originator="delegation:KZ"),
        ok("kz", "originator may update incident", originator="delegation:KZ"),
        refused("kz", "only its originator (delegation:RU) or the crisis centre may update "
                "incident; kz-officer acts for delegation:KZ", NO, originator="delegation:RU"),
        refused("uz", f"delegation:UZ may not update incident: {SUSPENDED_UZ}", NO,
                originator="delegation:UZ", note="its own incident, but suspended"),
        refused("anon", "an anonymous reader may not update incident", SIGN_IN,
                originator="delegation:KZ"),
    ],
    "offer_forces": [
        ok("kz", "own delegation may offer forces", state="KZ"),
        ok("uz", "own delegation may offer forces", state="UZ",
           note="not an in_good_standing action: deployments.offer refuses it by the "
                "charter's seat rule instead"),
        refused("kz", "only delegation:BY may offer forces; kz-officer acts for delegation:KZ",
                NO, state="BY"),
        refused("crc", "only delegation:KZ may offer forces; crc-officer acts for organ:CRC",
                NO, state="KZ"),
        refused("sec", "sec-officer may not offer forces", NO, state="KZ"),
    ],
    "report_deployment": [
        ok("kz", "own delegation may report deployment", state="KZ"),
        ok("crc", "crisis centre may report deployment", state="BY"),
        ok("sec", "secretariat may report deployment", state="BY"),
        refused("kz", "only delegation:BY or the crisis centre or the secretariat may report "
                "deployment; kz-officer acts for delegation:KZ", NO, state="BY"),
        refused("uz", f"delegation:UZ may not report deployment: {SUSPENDED_UZ}", NO,
                state="UZ"),
        refused("kz", "kz-officer may not report deployment", NO, state="KZ",
                roles=("representative",), note="a representative alone has not the role"),
    ],
    "open_mission": [
        ok("sec", "role allows open_mission"),
        refused("crc", "crc-officer may not open mission", NO),
    ],
    "manage_missions": [
        ok("sec", "role allows manage_missions"),
        refused("kz", "kz-officer may not manage missions", NO),
    ],
    "record_position": [
        ok("kz", "own delegation may record position", state="KZ"),
        ok("am", "own delegation may record position", state="AM"),
        refused("kz", "only delegation:RU may record position; kz-officer acts for "
                "delegation:KZ", NO, state="RU"),
        refused("sec", "sec-officer may not record position", NO, state="KZ"),
    ],
    "request_assistance": [
        ok("kz", "own delegation may request assistance", state="KZ"),
        refused("am", "only delegation:KZ may request assistance; am-officer acts for "
                "delegation:AM", NO, state="KZ"),
        refused("anon", "an anonymous reader may not request assistance", SIGN_IN, state="AM"),
    ],
    "publish": [
        ok("sec", "role allows publish"),
        refused("kz", "kz-officer may not publish", NO),
        refused("anon", "an anonymous reader may not publish", SIGN_IN),
    ],
    "edit_registry": [
        ok("sec", "role allows edit_registry"),
        refused("crc", "crc-officer may not edit registry", NO),
    ],
    "manage_sessions": [
        ok("sec", "role allows manage_sessions"),
        refused("kz", "kz-officer may not manage sessions", NO),
    ],
    "manage_users": [
        ok("sec", "role allows manage_users", roles=("admin",), note="the operator's role"),
        refused("sec", "sec-officer may not manage users", NO),
    ],
    "draft_report": [
        ok("kz", "originator may draft report", originator="delegation:KZ",
           roles=("reporting_analyst",), note="a new report's originator is its writer's"),
        ok("sec", "originator may draft report", originator="organ:SEC",
           roles=("reporting_analyst",)),
        refused("kz", "only its originator (delegation:RU) may draft report; kz-officer acts "
                "for delegation:KZ", NO, originator="delegation:RU", roles=("reporting_analyst",)),
        refused("uz", f"delegation:UZ may not draft report: {SUSPENDED_UZ}", NO,
                originator="delegation:UZ", roles=("reporting_analyst",)),
        refused("kz", "kz-officer may not draft report", NO, originator="delegation:KZ"),
    ],
    "verify_report": [
        ok("kz", "originator may verify report", originator="delegation:KZ",
           roles=("verifier",)),
        refused("kz", "only its originator (delegation:RU) may verify report; kz-officer acts "
                "for delegation:KZ", NO, originator="delegation:RU", roles=("verifier",)),
        refused("kz", "kz-officer may not verify report", NO, originator="delegation:KZ",
                roles=("reporting_analyst",)),
        refused("uz", f"delegation:UZ may not verify report: {SUSPENDED_UZ}", NO,
                originator="delegation:UZ", roles=("verifier",)),
    ],
    "release_report": [
        ok("am", "originator may release report", originator="delegation:AM",
           roles=("releasing_officer",), note="frozen, Armenia's service still releases"),
        refused("uz", f"delegation:UZ may not release report: {SUSPENDED_UZ}", NO,
                originator="delegation:UZ", roles=("releasing_officer",)),
        refused("kz", "only its originator (delegation:BY) may release report; kz-officer acts "
                "for delegation:KZ", NO, originator="delegation:BY", roles=("releasing_officer",)),
        refused("anon", "an anonymous reader may not release report", SIGN_IN,
                originator="delegation:KZ"),
    ],
    "report_operation": [
        ok("kz", "own delegation may report operation", state="KZ",
           roles=("national_coordinator",)),
        refused("kz", "only delegation:RU may report operation; kz-officer acts for "
                "delegation:KZ", NO, state="RU", roles=("national_coordinator",)),
        refused("uz", f"delegation:UZ may not report operation: {SUSPENDED_UZ}", NO,
                state="UZ", roles=("national_coordinator",)),
        refused("kz", "kz-officer may not report operation", NO, state="KZ"),
    ],
    "manage_operations": [
        ok("sec", "secretariat may manage operations"),
        refused("crc", "only the secretariat may manage operations; crc-officer acts for "
                "organ:CRC", NO, roles=("editor",)),
        refused("kz", "kz-officer may not manage operations", NO),
    ],
    "plan_exercises": [
        ok("sec", "secretariat may plan exercises"),
        refused("crc", "only the joint staff or the secretariat may plan exercises; "
                "crc-officer acts for organ:CRC", NO, roles=("editor",)),
        refused("kz", "kz-officer may not plan exercises", NO),
    ],
    "direct_exercises": [
        ok("crc", "crisis centre may direct exercises"),
        ok("sec", "secretariat may direct exercises"),
        refused("kz", "only the joint staff or the secretariat or the crisis centre may direct "
                "exercises; kz-officer acts for delegation:KZ", NO),
        refused("anon", "an anonymous reader may not direct exercises", SIGN_IN),
    ],
    "read_audit": [
        ok("sec", "role allows read_audit", roles=("admin",)),
        refused("crc", "crc-officer may not read audit", NO),
        refused("anon", "an anonymous reader may not read audit", SIGN_IN),
    ],
}


def _policy_actions() -> list[str]:
    return list(auth.policy_data()["actions"])


def _cases() -> list[object]:
    out: list[object] = []
    for action in _policy_actions():
        rows = TABLE.get(action)
        if not rows:  # a new action without a row still yields a (failing) test
            out.append(pytest.param(action, None, id=f"{action}-no-case"))
            continue
        for n, case in enumerate(rows):
            verdict = "allowed" if case.allowed else "refused"
            out.append(pytest.param(action, case, id=f"{action}-{case.who}-{verdict}-{n}"))
    return out


# -- the table against policy.yaml -------------------------------------------------------

def test_the_table_names_exactly_the_actions_of_policy_yaml() -> None:
    assert set(TABLE) == set(_policy_actions())


@pytest.mark.parametrize("action", sorted(TABLE))
def test_each_action_is_allowed_once_and_refused_once(action: str) -> None:
    verdicts = {case.allowed for case in TABLE[action]}
    assert verdicts == {True, False}, f"{action} needs an allowed and a refused case"


def test_each_condition_and_good_standing_rule_has_its_refusal_in_the_table() -> None:
    """A condition of policy.yaml is covered by a refusal in its own words ("only ..."),
    and an in_good_standing action by the suspended delegation's refusal."""
    data = auth.policy_data()
    for action in data["conditions"]:
        assert any(c.reason.startswith("only ") for c in TABLE[action] if not c.allowed), action
    for action in data["in_good_standing"]:
        assert any(c.who == "uz" and c.reason.endswith(SUSPENDED_UZ)
                   for c in TABLE[action] if not c.allowed), action


# -- the personas hold the facts the table relies on --------------------------------------

PERSONA_FACTS = {
    # name: principal, levels, parts, reason
    "kz": ("delegation:KZ", MEMBER_LEVELS, frozenset(), f"KZ is member in CSTO on {ON}"),
    "am": ("delegation:AM", MEMBER_LEVELS, frozenset(),
           f"AM is participation_frozen in CSTO on {ON}"),
    "uz": ("delegation:UZ", frozenset({"public"}), frozenset(), SUSPENDED_UZ),
    "sec": ("organ:SEC", MEMBER_LEVELS, frozenset({"secretariat"}), "organ SEC"),
    "crc": ("organ:CRC", MEMBER_LEVELS, frozenset({"crisis_centre"}), "organ CRC"),
    "anon": (None, frozenset({"public"}), frozenset(), "not signed in"),
}
DELEGATION_ACTIONS = frozenset({"read", "record_position", "request_assistance", "offer_forces",
                                "report_incident", "update_incident", "report_deployment",
                                "direct_exercises"})
PERSONA_ACTIONS = {
    "kz": DELEGATION_ACTIONS, "am": DELEGATION_ACTIONS, "uz": DELEGATION_ACTIONS,
    "sec": frozenset({"read", "export", "publish", "edit_registry", "manage_sessions",
                      "open_mission", "manage_missions", "report_deployment",
                      "manage_operations", "plan_exercises", "direct_exercises"}),
    "crc": frozenset({"read", "report_incident", "update_incident", "offer_forces",
                      "report_deployment", "direct_exercises"}),
    "anon": frozenset({"read"}),
}


@pytest.mark.parametrize("name", sorted(personas.BUILDERS))
def test_each_persona_is_cleared_as_the_data_says(use_db: str, name: str) -> None:
    with db.read_session() as s:
        actor, c = personas.persona(s, name)
    principal, levels, parts, reason = PERSONA_FACTS[name]
    assert (c.principal, c.levels, c.parts, c.reason) == (principal, levels, parts, reason)
    assert c.actions == PERSONA_ACTIONS[name]
    assert c.user == actor.username and c.via == "api"
    assert c.in_good_standing is (name not in ("uz", "anon"))


# -- every action, allowed and refused ---------------------------------------------------

def _decide(c: auth.Clearance, action: str, case: Case) -> tuple[Decision, object]:
    """The decision and what the enforcing call returns or raises."""
    if case.marking is not None:
        decision = auth.may(c, action, case.marking)

        def enforce() -> object:
            return auth.require(c, action, case.marking)
    else:
        decision = auth.allows(c, action, state=case.state, originator=case.originator)

        def enforce() -> object:
            return auth.require_for(c, action, state=case.state, originator=case.originator)
    try:
        return decision, enforce()
    except CollsecError as exc:
        return decision, exc


@pytest.mark.parametrize(("action", "case"), _cases())
def test_the_decision_point_answers_each_case_in_the_rules_words(
        use_db: str, action: str, case: Case | None) -> None:
    if case is None:
        pytest.fail(f"policy.yaml's action {action} has no case in TABLE")
    with db.read_session() as s:
        _, c = personas.persona(s, case.who, roles=case.roles)
    decision, enforced = _decide(c, action, case)
    assert decision == Decision(case.allowed, case.reason)
    if case.allowed:
        assert enforced == decision
        return
    assert type(enforced) is case.refused_with, enforced
    assert isinstance(enforced, CollsecError)
    if case.refused_with is auth.Unauthenticated:
        assert enforced.status == 401
        assert enforced.detail == f"sign in or send an API token: {case.reason}"
    else:
        assert enforced.status == 403
        assert enforced.detail == case.reason


def test_a_condition_asked_without_its_fact_is_a_programming_error(use_db: str) -> None:
    with db.read_session() as s:
        _, kz = personas.kazakhstan(s)
        _, crc = personas.crisis_centre(s)
    with pytest.raises(TypeError, match="offer_forces need the state"):
        auth.allows(kz, "offer_forces")
    with pytest.raises(TypeError, match="update_incident need the originator"):
        auth.allows(crc, "update_incident")


def test_the_frozen_and_the_suspended_delegation_differ_on_the_same_day(use_db: str) -> None:
    """Armenia (frozen) keeps a member's clearance; Uzbekistan (suspended) reads public
    material only, and so is refused every in_good_standing action of policy.yaml."""
    every = (*personas.DELEGATION_ROLES, "reporting_analyst", "verifier", "releasing_officer",
             "national_coordinator")
    with db.read_session() as s:
        _, am = personas.armenia(s, roles=every)
        _, uz = personas.uzbekistan(s, roles=every)
    for action in auth.policy_data()["in_good_standing"]:
        facts = {"state": "AM", "originator": "delegation:AM"}
        assert auth.allows(am, action, **facts).allowed, action
        facts = {"state": "UZ", "originator": "delegation:UZ"}
        refusal = auth.allows(uz, action, **facts)
        assert not refusal.allowed and refusal.reason.endswith(SUSPENDED_UZ), action


# -- every command that declares an action -----------------------------------------------

def _import_every_module() -> None:
    """Import all of collsec (bar the migrations) so every @command is registered."""
    for info in pkgutil.walk_packages(collsec.__path__, "collsec."):
        if not info.name.startswith("collsec.migrations"):
            importlib.import_module(info.name)


_import_every_module()
DECLARED = {name: fn.__collsec_action__ for name, fn in sorted(commands.COMMANDS.items())
            if fn.__collsec_action__ is not None}
# Commands known to declare an action (src/ at the time of writing): the walk must find
# at least these, so an empty registry cannot pass it.
KNOWN_DECLARED = {
    "crisis.report_incident": "report_incident",
    "crisis.open_mission": "open_mission",
    "crisis.decide_offer": "manage_missions",
    "crisis.order_withdrawal": "manage_missions",
    "crisis.close_mission": "manage_missions",
    "operations.open_stage": "manage_operations",
    "operations.close_stage": "manage_operations",
    "exercises.plan": "plan_exercises",
    "exercises.record_decision": "plan_exercises",
    "exercises.start_run": "direct_exercises",
    "exercises.remove_run": "direct_exercises",
    "crisis.register_contingent": "edit_registry",
    "crisis.table_request": "manage_sessions",
    "decisions.convene": "manage_sessions",
    "decisions.seat": "manage_sessions",
    "decisions.add_item": "manage_sessions",
    "decisions.record_position": "record_position",
    "decisions.close_item": "manage_sessions",
    "decisions.register_agreement": "edit_registry",
    "decisions.record_signature": "edit_registry",
    "decisions.record_deposit": "edit_registry",
    "decisions.withdrawal": "edit_registry",
    "documents.create": "publish",
}


def test_the_walk_finds_the_commands_that_declare_an_action() -> None:
    assert KNOWN_DECLARED.items() <= DECLARED.items()


@pytest.mark.parametrize(("name", "action"), sorted(DECLARED.items()))
def test_a_commands_declared_action_is_one_policy_yaml_grants(name: str, action: str) -> None:
    assert action in auth.policy_data()["actions"], f"{name} needs unknown action {action}"
    granted = {a for actions in auth.policy_data()["roles"].values() for a in actions}
    assert action in granted, f"no role may {action}, so nobody may run {name}"
    # the decorator asks the action of the command's `c`: the command must take one
    assert "c" in inspect.signature(commands.COMMANDS[name]).parameters


@contextmanager
def _rolled_back() -> Iterator[Session]:
    """A write transaction on the shared database that is always rolled back."""
    eng = db.engine().execution_options(collsec_write=True)
    with Session(eng, expire_on_commit=False) as s:
        s.begin()
        try:
            yield s
        finally:
            s.rollback()


def _journal_length(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0


@pytest.mark.parametrize(("name", "action"), sorted(DECLARED.items()))
def test_a_public_reader_is_refused_every_declared_command_before_it_writes(
        use_db: str, name: str, action: str) -> None:
    """The decorator asks the decision point before the command's body runs, so the
    command's own arguments are not needed: only its session and clearance are given."""
    with _rolled_back() as s:
        actor, c = personas.public_reader(s)
        before = _journal_length(s)
        run = commands.COMMANDS[name]
        given = {"session": s, "c": c, "actor": actor}
        wanted = inspect.signature(run).parameters
        with pytest.raises(auth.Unauthenticated) as refused_by:
            run(**{k: v for k, v in given.items() if k in wanted})
        assert refused_by.value.status == 401
        assert refused_by.value.detail == ("sign in or send an API token: an anonymous "
                                           f"reader may not {action.replace('_', ' ')}")
        staged = s.info.get(journal.PENDING)
        assert staged is None or (staged.command is None and not staged.steps)
        assert not (s.new or s.dirty or s.deleted)
        assert _journal_length(s) == before
