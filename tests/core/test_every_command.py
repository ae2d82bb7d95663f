"""Every registered command, run once for real: one transaction, one journal entry, and the
live events of every incident it changed.

`RECIPES` holds, for each name of `commands.COMMANDS`, how to call that command once
successfully as a real user of the database (a row of `users`, cleared by the decision
point on `DAY`), after the preconditions it needs have been built in transactions of
their own. The walk is drawn from the registry, so a command added without a recipe
fails here. Around the one call the test measures the journal and the incidents: the call
adds exactly one entry, named after the command, journaled as `via:username`, the chain
still verifies, and the entry's `live` lists each incident the call reported or changed,
found by comparing the incident rows and their updates before and after it, and no other.

The recipes share one CSTO database per run (copying a database for each would cost more
than all the calls on PostgreSQL). Each builds what it needs under names of its own
(mission codes, agreement codes, user names), and the facts they change (a status, a
chair, a notice of withdrawal) are of states and years no other recipe relies on. A
recipe that cannot share it (the default load replaces the data) asks for a database of
its own and acts as the `operator` that `collsec db setup` creates.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import collsec
from collsec.core import commands, db, journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.crisis.escalation import service as escalation
from collsec.crisis.forces import deployments
from collsec.crisis.incidents import service as incidents
from collsec.crisis.incidents.tables import IncidentRow, IncidentUpdateRow
from collsec.decisions import agreement_service, sessions
from collsec.decisions.service import entitled_states
from collsec.exchange.tables import ReportRow
from collsec.exercises import runs
from collsec.exercises import service as exercises
from collsec.operations import service as operations
from collsec.registry import chairs as registry_chairs
from collsec.registry.charter import load_charter
from tests import builders
from tests.conftest import drop_database, isolated_database, pointing_at
from tests.exercises.test_runs import scenario as run_scenario

# 2025-06-01: the six members are seated (Armenia's frozen participation keeps its seat),
# Uzbekistan's participation is suspended.
DAY = dt.date(2025, 6, 1)
NOW = dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC)
ORG = "CSTO"
ALMATY = {"type": "Point", "coordinates": [76.95, 43.24]}
VIA = "api"


def _import_every_module() -> None:
    """Import all of collsec but its migrations, so that every @command is registered."""
    for info in pkgutil.walk_packages(collsec.__path__, "collsec."):
        if not info.name.startswith("collsec.migrations"):
            importlib.import_module(info.name)


_import_every_module()

# -- the real users who act ----------------------------------------------------------------

ADMIN = "walk-admin"  # manages users
SEC = "walk-sec"  # an editor of the Secretariat: sessions, registry, missions, documents
CRC = "walk-crc"  # a duty officer of the Crisis Response Centre
KZ = "walk-kz"  # Kazakhstan's officer: representative and duty officer
TJ = "walk-tj"
OPERATOR = "operator"  # the command line's account, in every database `collsec db setup` made
USERS = {
    ADMIN: ("organ:SEC", ["admin"]),
    SEC: ("organ:SEC", ["editor"]),
    CRC: ("organ:CRC", ["duty_officer"]),
    KZ: ("delegation:KZ", ["representative", "duty_officer"]),
    "walk-kz-analyst": ("delegation:KZ", ["reporting_analyst"]),
    "walk-kz-verifier": ("delegation:KZ", ["verifier"]),
    "walk-kz-releaser": ("delegation:KZ", ["releasing_officer"]),
    "walk-kz-coordinator": ("delegation:KZ", ["national_coordinator"]),
    "walk-tj": ("delegation:TJ", ["duty_officer"]),  # plays in the exercise runs
}
PASSWORD = "correct-horse-battery"


def _actor(s: Session, username: str) -> auth.Actor:
    via = "cli" if username == OPERATOR else VIA
    return auth.actor_for(auth.get_user(s, username), via)


def _as(user: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """A precondition: `fn` run by the real user `user` in a transaction of its own."""
    with db.write_session() as s:
        who = _actor(s, user)
        return fn(s, auth.clearance(s, who, DAY, ORG), who, *args, **kwargs)


# -- recipes -------------------------------------------------------------------------------

Run = Callable[[Callable[..., Any], Session, Clearance, auth.Actor], object]


@dataclass(frozen=True)
class Call:
    """The one call under test: `run(command, session, clearance, actor)` calls `command` (the
    registered function) as the real user `who`, in the measured transaction."""

    who: str
    run: Run


@dataclass(frozen=True)
class Recipe:
    prepare: Callable[[], Call]  # builds the preconditions, returns the call
    own_database: bool = False  # needs a fresh CSTO database rather than the shared one


RECIPES: dict[str, Recipe] = {}


def recipe(name: str, *, own_database: bool = False
           ) -> Callable[[Callable[[], Call]], Callable[[], Call]]:
    def add(prepare: Callable[[], Call]) -> Callable[[], Call]:
        if name in RECIPES:
            raise ValueError(f"two recipes for {name}")
        RECIPES[name] = Recipe(prepare, own_database)
        return prepare
    return add


def _report(title: str, *, who: str = KZ) -> int:
    row = _as(who, incidents.report_incident, type="mass_unrest", severity=2,
              occurred_at=NOW - dt.timedelta(hours=3), geometry=ALMATY, title=title, now=NOW)
    return int(row.id)


def _assessed(title: str) -> int:
    """An incident reported by Kazakhstan and assessed by the CRC: a request may cite it."""
    incident = _report(title)
    _as(CRC, incidents.advance, incident, "assessed", "beyond national means", NOW)
    return incident


def _mission(code: str) -> int:
    """Mission `code`, opened by the Council's adopted decision on Kazakhstan's request; the
    decision's agenda item."""
    return builders.council_decision(DAY, code=code, title_en=f"Mission {code}")


def _offer(code: str, personnel: int = 100) -> int:
    return int(_as(KZ, deployments.offer, code, state="KZ", personnel=personnel, now=NOW).id)


def _regular_session() -> int:
    return int(_as(SEC, sessions.convene, org=ORG, body="CSC", kind="regular", date=DAY).id)


def _agreement(code: str) -> None:
    _as(SEC, agreement_service.register_agreement, code=code, title_en=f"Agreement {code}",
        signed_on=DAY, signatories=[("KZ", None), ("RU", None)], rule="all_signatories")


def _new_user(username: str) -> None:
    _as(ADMIN, auth.add_user, username=username, principal="organ:SEC", roles=["viewer"],
        now=NOW, password=PASSWORD)


# auth

@recipe("auth.add_user")
def _add_user() -> Call:
    return Call(ADMIN, lambda cmd, s, c, a: cmd(
        s, c, a, username="walk-new-analyst", principal="organ:SEC", roles=["analyst"],
        now=NOW, password=PASSWORD))


@recipe("auth.create_token")
def _create_token() -> Call:
    return Call(KZ, lambda cmd, s, c, a: cmd(s, c, a, username=KZ, name="laptop", now=NOW))


@recipe("auth.disable_user")
def _disable_user() -> Call:
    _new_user("walk-leaving")
    return Call(ADMIN, lambda cmd, s, c, a: cmd(s, c, a, username="walk-leaving"))


@recipe("auth.enable_user")
def _enable_user() -> Call:
    _new_user("walk-back")
    _as(ADMIN, auth.disable_user, username="walk-back")
    return Call(ADMIN, lambda cmd, s, c, a: cmd(s, c, a, username="walk-back"))


@recipe("auth.set_roles")
def _set_roles() -> Call:
    _new_user("walk-promoted")
    return Call(ADMIN, lambda cmd, s, c, a: cmd(s, c, a, username="walk-promoted",
                                                roles=["analyst"]))


@recipe("auth.reset_password")
def _reset_password() -> Call:
    _new_user("walk-forgot")
    return Call(ADMIN, lambda cmd, s, c, a: cmd(s, c, a, username="walk-forgot"))


@recipe("auth.delete_user")
def _delete_user() -> Call:
    _new_user("walk-gone")
    return Call(ADMIN, lambda cmd, s, c, a: cmd(s, c, a, username="walk-gone", now=NOW))


@recipe("auth.revoke_token")
def _revoke_token() -> Call:
    token, _ = _as(KZ, auth.create_token, username=KZ, name="old laptop", now=NOW)
    return Call(KZ, lambda cmd, s, c, a: cmd(s, c, a, token_id=token.id, now=NOW))


@recipe("auth.set_password")
def _set_password() -> Call:
    _new_user("walk-forgetful")
    return Call("walk-forgetful", lambda cmd, s, c, a: cmd(
        s, c, a, username="walk-forgetful", password="another-horse-battery"))


# crisis: incidents

@recipe("crisis.report_incident")
def _report_incident() -> Call:
    return Call(KZ, lambda cmd, s, c, a: cmd(
        s, c, a, type="mass_unrest", severity=3, occurred_at=NOW - dt.timedelta(hours=1),
        geometry=ALMATY, title="Unrest in Almaty", now=NOW))


@recipe("crisis.import_incidents")
def _import_incidents() -> Call:
    when = (NOW - dt.timedelta(days=2)).isoformat()
    reports = [{"type": "mass_unrest", "severity": 2, "occurred_at": when,
                "geometry": ALMATY, "title": "Caught up: unrest"},
               {"type": "armed_incursion", "severity": None, "occurred_at": when,
                "geometry": {"type": "Point", "coordinates": [71.45, 51.17]},
                "title": "Caught up: incursion", "released_to": ["delegation:RU"]}]
    return Call(KZ, lambda cmd, s, c, a: cmd(s, c, a, reports, now=NOW))


@recipe("crisis.update_incident")
def _update_incident() -> Call:
    incident = _report("To be updated")
    return Call(CRC, lambda cmd, s, c, a: cmd(s, c, a, incident, note="crowds grow",
                                              severity=4, now=NOW))


@recipe("crisis.advance_incident")
def _advance_incident() -> Call:
    incident = _report("To be assessed")
    return Call(CRC, lambda cmd, s, c, a: cmd(s, c, a, incident, "assessed",
                                              "beyond national means", NOW))


# crisis: escalation

@recipe("crisis.request_consultations")
def _request_consultations() -> Call:
    incident = _assessed("Cited by consultations")
    return Call(KZ, lambda cmd, s, c, a: cmd(s, c, a, state="KZ", on=DAY, subject_en="Unrest",
                                             incidents=[incident], now=NOW))


@recipe("crisis.submit_request")
def _submit_request() -> Call:
    incident = _assessed("Cited by a request")
    return Call(KZ, lambda cmd, s, c, a: cmd(
        s, c, a, state="KZ", basis="article_4", needs=builders.NEEDS, summary_en="Help",
        incidents=[incident], area=ALMATY, on=DAY, now=NOW))


def _request() -> int:
    return int(_as(KZ, escalation.submit_request, state="KZ", basis="article_4",
                   needs=builders.NEEDS, summary_en="Help", on=DAY, now=NOW).id)


@recipe("crisis.withdraw_request")
def _withdraw_request() -> Call:
    request_id = _request()
    return Call(KZ, lambda cmd, s, c, a: cmd(s, c, a, request_id, now=NOW))


@recipe("crisis.table_request")
def _table_request() -> Call:
    request_id = _request()

    def extraordinary(s: Session, c: Clearance, a: auth.Actor) -> int:
        sess = sessions.convene(s, c, a, org=ORG, body="CSC", kind="extraordinary", date=DAY,
                                requested_by=["KZ"])
        for state in entitled_states(s, ORG, DAY):
            sessions.seat(s, c, a, session_id=sess.id, state=state)
        return int(sess.id)

    session_id = _as(SEC, extraordinary)
    mission = {"code": "WALK-TABLED", "title_en": "A tabled mission",
               "mandate_en": "keep the peace", "end_condition_en": "until it is calm"}
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, request_id, session_id=session_id,
                                              mission=mission, now=NOW))


# crisis: forces

@recipe("crisis.register_contingent")
def _register_contingent() -> Call:
    return Call(SEC, lambda cmd, s, c, a: cmd(
        s, c, a, force="CPF", state="KZ", unit_type="infantry", personnel=300,
        readiness_hours=72, home_lon=76.95, home_lat=43.24, now=NOW))


@recipe("crisis.open_mission")
def _open_mission() -> Call:
    # The Council's adopted decision (which opened its own mission) backs a second one.
    item = _mission("WALK-DECIDED")
    return Call(SEC, lambda cmd, s, c, a: cmd(
        s, c, a, code="WALK-OPENED", title_en="A mission opened by hand", host_state="KZ",
        decided_on=DAY, decision_item_id=item, now=NOW, end_condition_en="until it is calm"))


@recipe("crisis.offer")
def _offer_forces() -> Call:
    _mission("WALK-OFFER")
    return Call(KZ, lambda cmd, s, c, a: cmd(s, c, a, "WALK-OFFER", state="KZ", personnel=150,
                                             now=NOW))


@recipe("crisis.decide_offer")
def _decide_offer() -> Call:
    _mission("WALK-DECIDE")
    offer_id = _offer("WALK-DECIDE")
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, "WALK-DECIDE", offer_id, accept=True,
                                              now=NOW))


@recipe("crisis.report_deployment_status")
def _report_deployment_status() -> Call:
    _mission("WALK-DEPLOY")
    _as(SEC, deployments.decide_offer, "WALK-DEPLOY", _offer("WALK-DEPLOY"), now=NOW)
    return Call(KZ, lambda cmd, s, c, a: cmd(s, c, a, "WALK-DEPLOY", state="KZ",
                                             status="alerted", personnel=100, at=NOW, now=NOW))


@recipe("crisis.order_withdrawal")
def _order_withdrawal() -> Call:
    _mission("WALK-WITHDRAW")
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, "WALK-WITHDRAW", at=NOW,
                                              note="the situation is stable", now=NOW))


@recipe("crisis.close_mission")
def _close_mission() -> Call:
    _mission("WALK-CLOSE")  # no contingent was accepted: nothing keeps it open
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, "WALK-CLOSE", now=NOW))


# decisions: sessions

@recipe("decisions.convene")
def _convene() -> Call:
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, org=ORG, body="CSC", kind="regular",
                                              date=DAY, host_state="KZ", city_en="Astana"))


@recipe("decisions.seat")
def _seat() -> Call:
    session_id = _regular_session()
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, session_id=session_id, state="KZ"))


@recipe("decisions.seat_delegations")
def _seat_delegations() -> Call:
    session_id = _regular_session()
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, session_id=session_id,
                                              seats={"KZ": "President", "RU": ""}))


@recipe("decisions.add_item")
def _add_item() -> Call:
    session_id = _regular_session()
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, session_id=session_id,
                                              title_en="A declaration", draft_kind="declaration",
                                              matter="substantive"))


@recipe("decisions.record_position")
def _record_position() -> Call:
    item = builders.council_decision(DAY, code="WALK-POSITION", close=False)
    return Call(KZ, lambda cmd, s, c, a: cmd(s, c, a, item_id=item, state="KZ",
                                             position="support", now=NOW))


@recipe("decisions.record_proxy_position")
def _record_proxy_position() -> Call:
    item = builders.council_decision(DAY, code="WALK-PROXY", close=False)
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, item_id=item, state="KZ",
                                              position="support", instruction="note No. 1",
                                              now=NOW))


@recipe("decisions.close_item")
def _close_item() -> Call:
    """The Council's decision on a request, every seated state in support: closing it opens
    the mission (steps: the document, the mission, the request's decision)."""
    item = builders.council_decision(DAY, code="WALK-ADOPTED", close=False)
    with db.read_session() as s:
        seated = entitled_states(s, ORG, DAY)
    for state in seated:
        rep = builders.representative(state)
        with db.write_session() as s:
            sessions.record_position(s, auth.clearance(s, rep, DAY, ORG), rep, item_id=item,
                                     state=state, position="support", now=NOW)
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, item_id=item, now=NOW))


# decisions: agreements and membership

@recipe("decisions.register_agreement")
def _register_agreement() -> Call:
    return Call(SEC, lambda cmd, s, c, a: cmd(
        s, c, a, code="WALK-AGR", title_en="An agreement of the walk", signed_on=DAY,
        signatories=[("KZ", None), ("RU", None), ("BY", DAY)], rule="nth_instrument", n=2,
        place_en="Astana"))


@recipe("decisions.record_signature")
def _record_signature() -> Call:
    _agreement("WALK-SIGN")
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, code="WALK-SIGN", state="BY",
                                              signed_on=DAY))


@recipe("decisions.record_deposit")
def _record_deposit() -> Call:
    _agreement("WALK-DEPOSIT")
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, code="WALK-DEPOSIT", state="KZ",
                                              deposited_on=DAY, instrument="the ratifying law"))


@recipe("decisions.withdrawal")
def _withdrawal() -> Call:
    # Tajikistan stays a member for the six months of notice, so it is seated on DAY still.
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, org=ORG, state="TJ", notice_on=DAY))


# exchange

def _exchange_report(title: str, *, upto: str = "draft") -> int:
    """A report of Kazakhstan's service released to Russia, taken as far as `upto`."""
    from collsec.exchange import service as exchange

    row = _as("walk-kz-analyst", exchange.write_report, title=title, tlp="AMBER",
              scope="states", states=["RU"], now=NOW)
    steps = [("submitted", "walk-kz-analyst", exchange.submit_report),
             ("verified", "walk-kz-verifier", exchange.verify_report),
             ("released", "walk-kz-releaser", exchange.release_report)]
    for status, who, step in steps:
        if upto == "draft":
            break
        _as(who, step, report_id=row.id, now=NOW)
        if upto == status:
            break
    return int(row.id)


@recipe("exchange.write_report")
def _write_report() -> Call:
    return Call("walk-kz-analyst", lambda cmd, s, c, a: cmd(
        s, c, a, title="Recruitment channel", tlp="GREEN", scope="members", now=NOW))


@recipe("exchange.edit_report")
def _edit_report() -> Call:
    report = _exchange_report("To edit")
    return Call("walk-kz-analyst", lambda cmd, s, c, a: cmd(s, c, a, report_id=report,
                                                            body="More.", now=NOW))


@recipe("exchange.submit_report")
def _submit_report() -> Call:
    report = _exchange_report("To submit")
    return Call("walk-kz-analyst", lambda cmd, s, c, a: cmd(s, c, a, report_id=report, now=NOW))


@recipe("exchange.return_report")
def _return_report() -> Call:
    report = _exchange_report("To return", upto="submitted")
    return Call("walk-kz-verifier", lambda cmd, s, c, a: cmd(s, c, a, report_id=report,
                                                             note="sources?", now=NOW))


@recipe("exchange.verify_report")
def _verify_report() -> Call:
    report = _exchange_report("To verify", upto="submitted")
    return Call("walk-kz-verifier", lambda cmd, s, c, a: cmd(s, c, a, report_id=report, now=NOW))


@recipe("exchange.release_report")
def _release_report() -> Call:
    report = _exchange_report("To release", upto="verified")
    return Call("walk-kz-releaser", lambda cmd, s, c, a: cmd(s, c, a, report_id=report, now=NOW))


@recipe("exchange.change_release")
def _change_release() -> Call:
    report = _exchange_report("To widen", upto="released")
    return Call("walk-kz-releaser", lambda cmd, s, c, a: cmd(
        s, c, a, report_id=report, scope="states", states=["RU", "BY"], now=NOW))


@recipe("exchange.attach_file")
def _attach_file() -> Call:
    report = _exchange_report("To attach to")
    return Call("walk-kz-analyst", lambda cmd, s, c, a: cmd(
        s, c, a, report_id=report, name="annex.txt", data=b"the annex", now=NOW))


@recipe("exchange.detach_file")
def _detach_file() -> Call:
    from collsec.exchange import service as exchange

    report = _exchange_report("To detach from")
    file = _as("walk-kz-analyst", exchange.attach_file, report_id=report, name="annex.txt",
               data=b"the annex", now=NOW)
    return Call("walk-kz-analyst", lambda cmd, s, c, a: cmd(
        s, c, a, report_id=report, attachment_id=file.id, now=NOW))


def _bundle() -> dict[str, object]:
    from tests.exchange.test_stix_import import _foreign

    return _foreign("TLP:GREEN")


@recipe("exchange.import_bundle")
def _import_bundle() -> Call:
    bundle = _bundle()
    return Call("walk-kz-releaser", lambda cmd, s, c, a: cmd(s, c, a, bundle=bundle, now=NOW))


def _collection(level: str) -> str:
    """The TAXII collection of one marking level, as Kazakhstan's releasing officer sees it."""
    from collsec.exchange import taxii_store

    with db.read_session() as s:
        c = auth.clearance(s, _actor(s, "walk-kz-releaser"), DAY, ORG)
    return next(col.id for col in taxii_store.collections(c, ORG) if col.key == level)


@recipe("exchange.taxii_add")
def _taxii_add() -> Call:
    collection, objects = _collection("members"), _bundle()["objects"]
    return Call("walk-kz-releaser", lambda cmd, s, c, a: cmd(
        s, c, a, collection, envelope={"objects": objects}, now=NOW))


@recipe("exchange.taxii_delete")
def _taxii_delete() -> Call:
    from collsec.exchange import stix_store

    bundle = _bundle()
    _as("walk-kz-releaser", stix_store.import_bundle, bundle=bundle, now=NOW)
    actor = next(o["id"] for o in bundle["objects"]  # type: ignore[attr-defined]
                 if o["type"] == "threat-actor")
    observers = _collection("observers")  # TLP:GREEN reaches observers-level readers
    return Call("walk-kz-releaser", lambda cmd, s, c, a: cmd(s, c, a, observers, actor,
                                                             versions=[], now=NOW))


# documents

@recipe("documents.create")
def _create_document() -> Call:
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, kind="statement", date=DAY,
                                              title_en="A statement", title_ru="",
                                              visibility="public"))


# registry

@recipe("registry.add_membership")
def _add_membership() -> Call:
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, org=ORG, state="CN", status="observer",
                                              valid_from=DAY))


@recipe("registry.change_status")
def _change_status() -> Call:
    # Armenia, frozen since 2024, counted a member again: it holds its seat either way.
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, org=ORG, state="AM", status="member",
                                              on=DAY))


@recipe("registry.end_status")
def _end_status() -> Call:
    # Uzbekistan's suspension ends: it held no seat and holds none.
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, org=ORG, state="UZ",
                                              status="participation_suspended", on=DAY))


@recipe("registry.decline_chair")
def _decline_chair() -> Call:
    with db.read_session() as s:  # a later year whose chair the rotation computes
        year = next(y for y in range(2031, 2060)
                    if registry_chairs.chair_on(s, ORG, dt.date(y, 6, 1)).basis == "computed")
        held_by = registry_chairs.chair_on(s, ORG, dt.date(year, 6, 1)).state
        assert held_by is not None
        state = held_by.code
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, org=ORG, year=year, state=state, on=DAY))


@recipe("registry.load_default", own_database=True)
def _load_default() -> Call:
    # A load of what was known before 2020 is a different load of the same files, so it
    # changes the data; it is journaled as the command line's account, as `collsec db
    # load-default` journals it.
    return Call(OPERATOR, lambda cmd, s, c, a: cmd(s, actor=f"{a.via}:{a.name}", org=ORG,
                                                   until=dt.date(2020, 1, 1)))


# operations

def _stage(name: str) -> int:
    """A stage of Channel the Secretariat opened, Kazakhstan and Russia taking part."""
    row = _as(SEC, operations.open_stage, "channel", start=DAY, end=DAY + dt.timedelta(days=6),
              states=["KZ", "RU"], name_en=name, now=NOW)
    return int(row.id)


@recipe("operations.open_stage")
def _open_stage() -> Call:
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, "channel", start=DAY,
                                              end=DAY + dt.timedelta(days=3), states=["KZ"],
                                              now=NOW))


@recipe("operations.submit_report")
def _submit_operation_report() -> Call:
    stage = _stage("To report on")
    return Call("walk-kz-coordinator", lambda cmd, s, c, a: cmd(
        s, c, a, "channel", stage, state="KZ", figures={"heroin_seized": 4.5},
        charter=load_charter(ORG), now=NOW))


@recipe("operations.close_stage")
def _close_stage() -> Call:
    stage = _stage("To close")
    _as("walk-kz-coordinator", operations.submit_report, "channel", stage, state="KZ",
        figures={"heroin_seized": 2}, charter=load_charter(ORG), now=NOW)
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, "channel", stage, now=NOW))


# exercises

@recipe("exercises.plan")
def _plan_exercise() -> Call:
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, series="interaction", year=2026,
                                              name_en="Interaction-2026 (walk)", host="KZ",
                                              states=["KZ", "RU"], now=NOW))


@recipe("exercises.record_decision")
def _record_exercise_decision() -> Call:
    row = _as(SEC, exercises.plan, series="search", year=2026, name_en="Search-2026 (walk)",
              now=NOW)
    return Call(SEC, lambda cmd, s, c, a: cmd(s, c, a, row.code, status="postponed", on=DAY,
                                              decided_by="the Joint Staff",
                                              reason="the host asked for it", now=NOW))


# exercise mode

def _scenario(code: str) -> str:
    """A scenario of the CRC's staff (from the exercise tests), under its own code."""
    _as(CRC, runs.add_scenario, definition={**run_scenario(), "code": code}, now=NOW)
    return code


def _run(code: str) -> int:
    """A running run of a new scenario, 30 minutes in (injects 1 and 2 sent)."""
    found = _as(CRC, runs.start_run, _scenario(code), name=f"walk {code}", now=NOW)
    _as(CRC, runs.send_due, found.row.id, now=NOW + dt.timedelta(minutes=30))
    return int(found.row.id)


def _ended(code: str) -> int:
    run_id = _run(code)
    _as(CRC, runs.end_run, run_id, now=NOW + dt.timedelta(hours=2))
    return run_id


@recipe("exercises.add_scenario")
def _add_scenario() -> Call:
    return Call(CRC, lambda cmd, s, c, a: cmd(s, c, a, definition={
        **run_scenario(), "code": "WALK-ADD"}, now=NOW))


@recipe("exercises.start_run")
def _start_run() -> Call:
    code = _scenario("WALK-START")
    return Call(CRC, lambda cmd, s, c, a: cmd(s, c, a, code, name="walk", now=NOW))


@recipe("exercises.send_injects")
def _send_injects() -> Call:
    found = _as(CRC, runs.start_run, _scenario("WALK-SEND"), name="walk", now=NOW)
    return Call(CRC, lambda cmd, s, c, a: cmd(s, c, a, found.row.id,
                                              now=NOW + dt.timedelta(minutes=30)))


@recipe("exercises.tick")
def _tick() -> Call:
    _as(CRC, runs.start_run, _scenario("WALK-TICK"), name="walk", now=NOW)
    return Call(CRC, lambda cmd, s, c, a: cmd(s, a, now=NOW + dt.timedelta(days=1)))


@recipe("exercises.react")
def _react() -> Call:
    run_id = _run("WALK-REACT")

    def react(cmd: Any, s: Session, c: Clearance, a: auth.Actor) -> Any:
        playing = runs.playing(s, c, run_id)
        assert playing is not None
        return cmd(s, playing[0], a, run_id, 2, text="reported to the CRC", now=NOW)
    return Call(TJ, react)


@recipe("exercises.score")
def _score() -> Call:
    run_id = _run("WALK-SCORE")
    return Call(CRC, lambda cmd, s, c, a: cmd(s, c, a, run_id, 2, 1, points=3, now=NOW))


@recipe("exercises.add_lesson")
def _add_lesson() -> Call:
    run_id = _run("WALK-LESSON")
    return Call(CRC, lambda cmd, s, c, a: cmd(s, c, a, run_id, text="the hotline was slow",
                                              now=NOW))


@recipe("exercises.end_run")
def _end_run() -> Call:
    run_id = _run("WALK-END")
    return Call(CRC, lambda cmd, s, c, a: cmd(s, c, a, run_id, now=NOW))


@recipe("exercises.remove_run")
def _remove_run() -> Call:
    run_id = _ended("WALK-REMOVE")
    return Call(CRC, lambda cmd, s, c, a: cmd(s, c, a, run_id, now=NOW))


# -- commands known to journal more or fewer than one entry, or to hide a change -----------

# name -> the evidence; such a command's test is expected to fail until it is fixed.
KNOWN_BUGS: dict[str, str] = {}


# -- databases -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def walk_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The CSTO database the recipes share, with the users of USERS."""
    url = isolated_database(tmp_path_factory.mktemp("walk"))
    with pointing_at(url), db.write_session() as s:
        for username, (principal, roles) in USERS.items():
            auth.add_user(s, *auth.installer(), username=username, principal=principal,
                          roles=roles, now=NOW, password=PASSWORD)
    yield url
    drop_database(url)


@pytest.fixture
def database(walk_db: str, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Recipe], str]]:
    """Points COLLSEC_DATABASE_URL at the database a recipe runs on: the shared one, or a
    fresh CSTO database for a recipe that needs its own."""
    made: list[str] = []

    def choose(r: Recipe) -> str:
        url = walk_db
        if r.own_database:
            url = isolated_database(tmp_path)
            made.append(url)
        monkeypatch.setenv("COLLSEC_DATABASE_URL", url)
        return url

    yield choose
    for url in made:
        drop_database(url)


# -- what the call changed -----------------------------------------------------------------

def _journal_head(s: Session) -> tuple[int, int]:
    count = s.scalar(select(func.count()).select_from(journal.JournalEntry)) or 0
    head = s.scalar(select(func.max(journal.JournalEntry.seq))) or 0
    return count, head


def _exercised(s: Session) -> set[int]:
    """The incidents made in an exercise run, which its removal takes away as a whole."""
    return set(s.scalars(select(IncidentRow.id).where(IncidentRow.exercise_run.is_not(None))))


def _incidents(s: Session) -> dict[int, tuple[Any, ...]]:
    """Every incident as it stands: its row and its updates."""
    updates: dict[int, list[tuple[Any, ...]]] = {}
    for u in s.execute(select(IncidentUpdateRow.__table__).order_by(IncidentUpdateRow.id)):
        updates.setdefault(u.incident_id, []).append(tuple(u))
    return {row.id: (tuple(row), tuple(updates.get(row.id, ())))
            for row in s.execute(select(IncidentRow.__table__))}


def _changed(before: dict[int, tuple[Any, ...]], after: dict[int, tuple[Any, ...]],
             exercised: set[int]
             ) -> set[tuple[int, str]]:
    """The incidents a call reported (new rows) or updated (a changed row or a new update).
    Only an exercise run's removal deletes incidents, and only the run's (`exercised`)."""
    assert before.keys() - after.keys() <= exercised, "a command deleted real incidents"
    return ({(i, "reported") for i in after.keys() - before.keys()}
            | {(i, "updated") for i in before if i in after and before[i] != after[i]})


def _reports(s: Session) -> dict[int, tuple[Any, ...]]:
    """Every released report as its readers see it: what the live stream of reports shows."""
    return {r.id: (r.title, r.body, r.tlp, r.scope, r.states, r.visibility)
            for r in s.scalars(select(ReportRow).where(ReportRow.status == "released"))}


def _reached(before: dict[int, tuple[Any, ...]], after: dict[int, tuple[Any, ...]]
             ) -> dict[int, str]:
    """The reports a call released (or imported) and those whose released form it changed:
    released, or any other kind of the stream (updated, widened, narrowed)."""
    return {**{i: "released" for i in after.keys() - before.keys()},
            **{i: "changed" for i in before.keys() & after.keys() if before[i] != after[i]}}


class _Once:
    """The registered command, counting how often the recipe calls it."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.fn(*args, **kwargs)


# -- the walk ------------------------------------------------------------------------------

def _walk() -> list[Any]:
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
            if name in KNOWN_BUGS else name for name in sorted(commands.COMMANDS)]


def test_the_walk_covers_a_full_registry_and_no_stale_recipe() -> None:
    # one command of each part at least, so an empty or half-imported registry cannot pass
    assert {"auth.add_user", "crisis.report_incident", "crisis.open_mission",
            "decisions.close_item", "documents.create", "registry.load_default"
            } <= set(commands.COMMANDS), sorted(commands.COMMANDS)
    assert set(RECIPES) <= set(commands.COMMANDS), set(RECIPES) - set(commands.COMMANDS)
    assert set(KNOWN_BUGS) <= set(commands.COMMANDS)


ACTOR = re.compile(r"^(web|api|cli):[a-z0-9._-]{2,80}$")


@pytest.mark.parametrize("name", _walk())
def test_a_command_is_one_entry_with_the_live_events_of_what_it_changed(
        name: str, database: Callable[[Recipe], str]) -> None:
    r = RECIPES.get(name)
    if r is None:
        pytest.fail(f"command {name} has no recipe in RECIPES (tests/core/test_every_command.py)"
                    ": add how to call it once, successfully, as a real user")
    database(r)
    call = r.prepare()
    command = _Once(commands.COMMANDS[name])

    with db.read_session() as s:
        count, head = _journal_head(s)
        before, reports_before, exercised = _incidents(s), _reports(s), _exercised(s)
    with db.write_session() as s:
        actor = _actor(s, call.who)
        call.run(command, s, auth.clearance(s, actor, DAY, ORG), actor)
    assert command.calls == 1, f"the recipe called {name} {command.calls} times"
    with db.read_session() as s:
        new = list(s.execute(select(journal.JournalEntry).where(
            journal.JournalEntry.seq > head).order_by(journal.JournalEntry.seq)).scalars())
        total, _ = _journal_head(s)
        after, reports_after = _incidents(s), _reports(s)
        verdict = journal.verify(s)

    assert [e.command for e in new] == [name], f"{name} wrote {[e.command for e in new]}"
    assert total == count + 1
    entry = new[0]
    assert entry.actor == f"{actor.via}:{actor.username}" and ACTOR.match(entry.actor), \
        entry.actor
    assert verdict.ok, verdict

    payload = json.loads(entry.payload)
    live = payload.get("live", []) if isinstance(payload, dict) else []
    listed = [(e["topic"], e["id"], e["kind"]) for e in live]
    assert len(listed) == len(set(listed)), f"{name} lists an event twice: {listed}"
    assert {t for t, _, _ in listed} <= {"incident", "report"}, listed
    changed = _changed(before, after, exercised)
    assert {(i, k) for t, i, k in listed if t == "incident"} == changed, (
        f"{name} changed the incidents {sorted(changed)} but its entry lists {listed}")
    reached = _reached(reports_before, reports_after)
    assert {i: k if k == "released" else "changed" for t, i, k in listed
            if t == "report"} == reached, (
        f"{name} released or changed the reports {reached} but its entry lists {listed}")
    assert entry.live is bool(changed or reached)
