"""Running a scenario: a fresh database, one transaction per step, checks at the end.

Commands and checks are registries: `HANDLERS` maps a step's `do` to its spec (the
arguments it takes) and the function that calls the services; `CHECKS` maps a
check's name to its spec and evaluator. A new feature adds its own with
`register_command` / `register_check`; the scenario format needs no change.

The replay runs with the database's own rights, like the command line: each step
acts as its principal (`as`, or the command's usual one) holding the roles the
command needs, and its clock is the step's day (noon UTC). Each step builds the context
of whom it acts as once (`Context.context`: the clearance on the step's day, the step's
time) and hands it to the services it calls (`Context.call`), in the step's one
transaction. Every change is journaled by the service that makes it. A step whose command
is refused, or whose expectation does not hold, is rolled back and stops the replay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from collsec.accounts.operator import ensure_operator
from collsec.core import clock, db, journal, migrate
from collsec.core import context as core
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance, Principal
from collsec.core.commands import Command, Query
from collsec.core.errors import CollsecError, NotFound
from collsec.decisions import model as decisions_model
from collsec.decisions import seating, sessions
from collsec.decisions import service as decisions
from collsec.decisions.membership import notify_withdrawal
from collsec.documents import service as documents
from collsec.documents.tables import DocumentRow
from collsec.registry import chairs, defaults
from collsec.registry import service as registry
from collsec.registry.chairmanship import BASES
from collsec.registry.charter import TextDatesLoader, data_dir, load_yaml
from collsec.replay import model
from collsec.replay.model import Arg, CommandSpec, ScenarioError

A = Arg
R = TypeVar("R")
SECRETARIAT = "secretariat"  # the charter role (access.roles) a command acts as by default
EDITOR = frozenset({"editor"})
REPRESENTATIVE = frozenset({"representative"})


# -- what a handler sees and gives back -------------------------------------------------

@dataclass
class Context:
    session: Session
    scenario: model.Scenario
    step: model.Step
    roles: frozenset[str]
    default_part: str | None  # the charter role whose organ acts, unless the step says `as`
    names: dict[str, int]
    lang: str
    # the context of each principal the step acts as, built once (most steps: one)
    contexts: dict[Principal, core.Context] = field(default_factory=dict)

    @property
    def args(self) -> Mapping[str, Any]:
        return self.step.args

    @property
    def org(self) -> str:
        return str(self.args.get("org") or self.scenario.org).upper()

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.step.on, dt.time(12, 0), dt.UTC)

    @property
    def sources(self) -> list[str]:
        """The step's own sources, else the scenario's."""
        return list(self.step.sources or self.scenario.sources)

    def actor(self, default: Principal | None = None) -> auth.Actor:
        """The acting principal (`as`, else the command's usual one) with the roles it needs."""
        principal = self.step.principal or default or (
            self.organ(self.default_part) if self.default_part else None)
        assert principal is not None, "a command without a usual principal passes its own"
        return auth.Actor(None, principal.key.replace(":", "-").lower(), principal, self.roles,
                          "replay")

    def context(self, default: Principal | None = None) -> core.Context:
        """The step's context for its acting principal (as `actor` finds it): the step's
        organization and charter, the actor cleared on the step's day, the step's time.
        Built once per principal."""
        actor = self.actor(default)
        assert actor.principal is not None
        ctx = self.contexts.get(actor.principal)
        if ctx is None:
            charter = registry.charter_for(self.org)
            c = auth.clearance(self.session, actor, self.step.on, self.org)
            ctx = core.Context(self.org, charter, actor, c, self.now, self.step.on, self.lang)
            self.contexts[actor.principal] = ctx
        return ctx

    def act(self, default: Principal | None = None) -> tuple[auth.Actor, Clearance]:
        """The actor and its clearance on the step's day."""
        ctx = self.context(default)
        return ctx.actor, ctx.clearance

    def call(self, fn: Command[R] | Query[R], /, *args: Any,
             principal: Principal | None = None, **kwargs: Any) -> R:
        """Call a command or query in the step's transaction with the step's context for
        `principal` (else the usual one): it fills the clearance, actor, time, day,
        organization and language the service names and the step does not give."""
        return fn(self.session, **fn.bind(self.context(principal), args, kwargs))

    def organ(self, part: str) -> Principal:
        """The organ the organization's charter names for `part` (its secretariat, ...)."""
        return auth.organ_for(registry.charter_for(self.org).raw, part)

    def ref(self, arg: str) -> int:
        return self.names[str(self.args[arg])]

    def define(self, arg: str, object_id: int) -> None:
        if arg in self.args:
            self.names[str(self.args[arg])] = object_id


@dataclass(frozen=True)
class Result:
    lines: tuple[str, ...] = ()
    outcome: decisions_model.Outcome | None = None


@dataclass(frozen=True)
class Handler:
    spec: CommandSpec
    run: Callable[[Context], Result]
    roles: frozenset[str]
    acts_as: str | None = SECRETARIAT  # a charter role; None: the command names who acts

    def acting(self, step: model.Step, org: str) -> str:
        if step.principal is not None:
            return step.principal.key
        if self.acts_as is None:
            return "each state's own delegation"
        return auth.organ_for(registry.charter_for(org).raw, self.acts_as).key


@dataclass(frozen=True)
class CheckHandler:
    spec: CommandSpec
    # (session, the check's arguments, the scenario's organization, the day it reads on)
    evaluate: Callable[[Session, Mapping[str, Any], str, dt.date], tuple[bool, str]]


HANDLERS: dict[str, Handler] = {}
CHECKS: dict[str, CheckHandler] = {}


def register_command(spec: CommandSpec, roles: frozenset[str],
                     acts_as: str | None = SECRETARIAT
                     ) -> Callable[[Callable[[Context], Result]], Callable[[Context], Result]]:
    def wrap(fn: Callable[[Context], Result]) -> Callable[[Context], Result]:
        HANDLERS[spec.name] = Handler(spec, fn, roles, acts_as)
        return fn
    return wrap


def register_check(spec: CommandSpec) -> Callable[[Callable[..., tuple[bool, str]]],
                                                  Callable[..., tuple[bool, str]]]:
    def wrap(fn: Callable[..., tuple[bool, str]]) -> Callable[..., tuple[bool, str]]:
        CHECKS[spec.name] = CheckHandler(spec, fn)
        return fn
    return wrap


def command_specs() -> dict[str, CommandSpec]:
    return {name: h.spec for name, h in HANDLERS.items()}


def check_specs() -> dict[str, CommandSpec]:
    return {name: c.spec for name, c in CHECKS.items()}


# -- commands ---------------------------------------------------------------------------

ORG = A("org")


@register_command(CommandSpec("convene", (
    A("id", "name", kind="session"), A("body", required=True),
    A("kind", choices=sessions.KINDS), A("format", choices=sessions.FORMATS),
    A("host", "state"), A("city_en"), A("city_ru"), A("requested_by", "states"), ORG),
    summary="convene a session of a deciding body on the step's day"), EDITOR)
def _convene(ctx: Context) -> Result:
    a = ctx.args
    row = ctx.call(sessions.convene, org=ctx.org, body=a["body"], kind=a.get("kind", "regular"),
                   date=ctx.step.on, format=a.get("format", "in_person"),
                   host_state=a.get("host"), city_en=a.get("city_en", ""),
                   city_ru=a.get("city_ru", ""), requested_by=list(a.get("requested_by", ())),
                   sources=ctx.sources)
    ctx.define("id", row.id)
    basis = chairs.chair_on(ctx.session, row.org, row.date).basis
    where = f" in {row.city_en}" if row.city_en else ""
    return Result((f"session {row.id}: {row.kind} session of the {row.body}{where} on "
                   f"{row.date}, chaired by {row.chair_state or 'unknown'} ({basis} chair "
                   f"on {row.date})",))


@register_command(CommandSpec("seat", (
    A("session", "ref", required=True, kind="session"), A("state", "state", required=True),
    A("represented_by")), summary="seat a delegation at a session"), EDITOR)
def _seat(ctx: Context) -> Result:
    row = ctx.call(sessions.seat, session_id=ctx.ref("session"), state=ctx.args["state"],
                   represented_by=ctx.args.get("represented_by", ""))
    who = f", represented by {row.represented_by}" if row.represented_by else ""
    return Result((f"{row.state} seated at session {row.session_id}{who}",))


@register_command(CommandSpec("seat_all", (
    A("session", "ref", required=True, kind="session"), A("except", "states")),
    summary="seat every entitled delegation not seated yet (but those `except` names)"),
    EDITOR)
def _seat_all(ctx: Context) -> Result:
    session_id = ctx.ref("session")
    left_out = set(ctx.args.get("except", ()))
    seats = {s: "" for s in seating.unseated(ctx.session, session_id) if s not in left_out}
    rows = ctx.call(seating.seat_delegations, session_id=session_id, seats=seats)
    return Result((f"seated {', '.join(r.state for r in rows)} at session {session_id}",))


@register_command(CommandSpec("add_item", (
    A("session", "ref", required=True, kind="session"), A("id", "name", kind="item"),
    A("title_en", required=True), A("title_ru"),
    A("draft_kind", choices=sessions.DRAFT_KINDS), A("matter"), A("subject", "state"),
    A("effective_on", "date")), summary="put a draft on a session's agenda"), EDITOR)
def _add_item(ctx: Context) -> Result:
    a = ctx.args
    row = ctx.call(sessions.add_item, session_id=ctx.ref("session"), title_en=a["title_en"],
                   title_ru=a.get("title_ru", ""), draft_kind=a.get("draft_kind", "decision"),
                   matter=a.get("matter", "substantive"), subject_state=a.get("subject"),
                   effective_on=a.get("effective_on"))
    ctx.define("id", row.id)
    extra = f", concerning {row.subject_state}" if row.subject_state else ""
    if "effective_on" in a:
        extra += f", effective {a['effective_on']}"
    return Result((f"item {row.number} of session {row.session_id}: {row.title_en} "
                   f"({row.draft_kind}, {row.matter}{extra})",))


@register_command(CommandSpec("position", (
    A("item", "ref", required=True, kind="item"), A("state", "state"),
    A("position", choices=decisions_model.POSITIONS),
    A("positions", "state_map", choices=decisions_model.POSITIONS), A("reservation")),
    alternatives=(("state", "position"), ("positions",)), gives_outcome=True,
    summary="a delegation states its position (each state's own delegation acts)"),
    REPRESENTATIVE, acts_as=None)
def _position(ctx: Context) -> Result:
    a = ctx.args
    pairs = list(a["positions"].items()) if "positions" in a else [(a["state"], a["position"])]
    item_id = ctx.ref("item")
    ev = None
    for state, position in pairs:
        ev = ctx.call(sessions.record_position, principal=Principal("delegation", state),
                      item_id=item_id, state=state, position=position,
                      reservation=a.get("reservation", ""))
    assert ev is not None
    org = sessions.get_session(ctx.session, sessions.get_item(ctx.session, item_id)
                               .session_id).org
    said = ", ".join(f"{s} {p}" for s, p in pairs)
    return Result((f"positions: {said}",
                   "so far: " + decisions.explain(ctx.session, ev, ctx.lang, org)), ev.outcome)


@register_command(CommandSpec("proxy_position", (
    A("item", "ref", required=True, kind="item"), A("state", "state", required=True),
    A("position", required=True, choices=decisions_model.POSITIONS),
    A("instruction", required=True), A("reservation")), gives_outcome=True,
    summary="the Secretariat records an absent delegation's position on its written "
            "instruction"), EDITOR)
def _proxy_position(ctx: Context) -> Result:
    a = ctx.args
    item_id = ctx.ref("item")
    ev = ctx.call(sessions.record_proxy_position, item_id=item_id, state=a["state"],
                  position=a["position"], instruction=a["instruction"],
                  reservation=a.get("reservation", ""))
    org = sessions.get_session(ctx.session, sessions.get_item(ctx.session, item_id)
                               .session_id).org
    return Result((f"proxy position: {a['state']} {a['position']} (on {a['instruction']})",
                   "so far: " + decisions.explain(ctx.session, ev, ctx.lang, org)), ev.outcome)


@register_command(CommandSpec("close_item", (
    A("item", "ref", required=True, kind="item"),), gives_outcome=True,
    summary="the chair closes an item: the outcome is frozen, an adopted draft becomes a "
            "document"), EDITOR)
def _close_item(ctx: Context) -> Result:
    closed = ctx.call(sessions.close_item, item_id=ctx.ref("item"))
    org = sessions.get_session(ctx.session, closed.item.session_id).org
    lines = [decisions.explain(ctx.session, closed.evaluation, ctx.lang, org)]
    if closed.document_id is not None:
        doc = _with_provenance(ctx, closed.document_id)
        lines.append(f"document {doc.number}: {doc.kind} \"{doc.title_en}\", binding "
                     f"{', '.join(doc.bound_states.split()) or 'no state'}; sources "
                     f"{', '.join(doc.sources.split())} ({doc.confidence})")
    return Result(tuple(lines), closed.evaluation.outcome)


def _with_provenance(ctx: Context, document_id: int) -> DocumentRow:
    """A document a replay makes is a historical fact: it carries the step's sources and
    confidence, as the embedded documents do."""
    doc = ctx.session.get(DocumentRow, document_id)
    assert doc is not None
    doc.sources, doc.confidence = " ".join(ctx.sources), ctx.step.confidence
    ctx.session.flush()
    return doc


@register_command(CommandSpec("change_status", (
    A("state", "state", required=True), A("status", required=True), ORG),
    summary="close a state's current status and open another from the step's day"), EDITOR)
def _change_status(ctx: Context) -> Result:
    row = ctx.call(registry.change_status, state=ctx.args["state"],
                   status=ctx.args["status"], on=ctx.step.on, source_ids=ctx.sources,
                   note_en=ctx.step.note)
    return Result((f"{row.state} is {row.status} in {row.org} from {row.valid_from}",))


@register_command(CommandSpec("end_status", (
    A("state", "state", required=True), A("status", required=True), ORG),
    summary="end a state's open status (e.g. observer) on the step's day"), EDITOR)
def _end_status(ctx: Context) -> Result:
    row = ctx.call(registry.end_status, state=ctx.args["state"], status=ctx.args["status"],
                   on=ctx.step.on, source_ids=ctx.sources)
    return Result((f"{row.state}'s {row.status} status in {row.org} ends on {row.valid_to}",))


@register_command(CommandSpec("withdrawal_notice", (
    A("state", "state", required=True), ORG),
    summary="a member's written notice of withdrawal, given on the step's day"), EDITOR)
def _withdrawal_notice(ctx: Context) -> Result:
    row = ctx.call(notify_withdrawal, state=ctx.args["state"], notice_on=ctx.step.on,
                   sources=ctx.sources)
    return Result((f"{row.state} gave notice on {row.notice_on}; withdrawn from "
                   f"{row.effective_on}",))


@register_command(CommandSpec("decline_chair", (
    A("year", "int", required=True), A("state", "state", required=True), ORG),
    summary="the state whose turn it is declines the chair of a year"), EDITOR)
def _decline_chair(ctx: Context) -> Result:
    year = int(ctx.args["year"])
    ctx.call(chairs.decline_chair, year=year, state=ctx.args["state"], on=ctx.step.on,
             source_ids=ctx.sources)
    nxt = chairs.chair_on(ctx.session, ctx.org, dt.date(year, 12, 31)).state
    return Result((f"{ctx.args['state']} declines the chair of {year}; it passes to "
                   f"{nxt.code if nxt else 'unknown'}",))


@register_command(CommandSpec("publish_document", (
    A("id", "name", kind="document"), A("kind", required=True), A("title_en", required=True),
    A("title_ru"), A("visibility", choices=("public", "observers", "members", "restricted")),
    A("released_to", "strs"), A("number"), A("body"), A("summary_en"), A("summary_ru"), ORG),
    summary="record a document dated the step's day, with the step's sources"), EDITOR)
def _publish_document(ctx: Context) -> Result:
    a = ctx.args
    row = ctx.call(
        documents.create_document, kind=a["kind"], date=ctx.step.on, title_en=a["title_en"],
        title_ru=a.get("title_ru", ""), visibility=a.get("visibility", "public"),
        released_to=list(a.get("released_to", ())), number=a.get("number", ""),
        body=a.get("body"), summary_en=a.get("summary_en", ""),
        summary_ru=a.get("summary_ru", ""), org=ctx.org, sources=ctx.sources)
    _with_provenance(ctx, row.id)
    ctx.define("id", row.id)
    return Result((f"document {row.id}: {row.kind} \"{row.title_en}\" ({row.visibility})",))


# -- checks -------------------------------------------------------------------------------

def _codes(codes: Any) -> str:
    return ", ".join(codes) or "none"


@register_check(CommandSpec("members", (
    ORG, A("as_of", "date", required=True), A("equals", "states"), A("include", "states"),
    A("exclude", "states")), alternatives=(("equals",), ("include",), ("exclude",))))
def _members_check(session: Session, a: Mapping[str, Any], org: str, on: dt.date
                   ) -> tuple[bool, str]:
    org = str(a.get("org") or org).upper()
    have = sorted(v.state.code for v in registry.members(session, org, a["as_of"]))
    said = f"members of {org} on {a['as_of']}: {_codes(have)}"
    if "equals" in a:
        want = sorted(a["equals"])
        return have == want, said if have == want else f"{said}; expected {_codes(want)}"
    if "include" in a:
        missing = [s for s in a["include"] if s not in have]
        return not missing, said + (f"; missing {_codes(missing)}" if missing else "")
    extra = [s for s in a["exclude"] if s in have]
    return not extra, said + (f"; should not list {_codes(extra)}" if extra else "")


@register_check(CommandSpec("status", (
    ORG, A("state", "state", required=True), A("as_of", "date", required=True),
    A("is", required=True))))
def _status_check(session: Session, a: Mapping[str, Any], org: str, on: dt.date
                  ) -> tuple[bool, str]:
    org = str(a.get("org") or org).upper()
    view = registry.status_of(session, org, a["state"], a["as_of"])
    held = view.status.code if view else "none"
    said = f"{a['state']} in {org} on {a['as_of']}: {held}"
    return held == a["is"], said if held == a["is"] else f"{said}; expected {a['is']}"


@register_check(CommandSpec("chair", (
    ORG, A("on", "date"), A("is", "state", required=True),
    A("basis", choices=BASES))))
def _chair_check(session: Session, a: Mapping[str, Any], org: str, on: dt.date
                 ) -> tuple[bool, str]:
    org = str(a.get("org") or org).upper()
    day = a.get("on") or on
    view = chairs.chair_on(session, org, day)
    code = view.state.code if view.state else "unknown"
    said = f"chair of {org} on {day}: {code} ({view.basis})"
    ok = code == a["is"] and a.get("basis", view.basis) == view.basis
    return ok, said if ok else f"{said}; expected {a['is']} ({a.get('basis', 'any basis')})"


@register_check(CommandSpec("document", (
    ORG, A("number"), A("kind"), A("title"), A("date", "date"), A("body"),
    A("bound", "states"), A("confidence", choices=model.CONFIDENCE),
    A("exists", "bool"))))
def _document_check(session: Session, a: Mapping[str, Any], org: str, on: dt.date
                    ) -> tuple[bool, str]:
    org = str(a.get("org") or org).upper()
    reader = Clearance(auth.organ_for(registry.charter_for(org).raw, SECRETARIAT).key, "replay",
                       frozenset({"public", "observers", "members"}), frozenset({"read"}),
                       "the replay reads with the database's rights")
    rows = documents.list_documents(session, reader, org=org, kind=a.get("kind"),
                                    query=a.get("title"))
    rows = [r for r in rows if ("number" not in a or r.number == a["number"])
            and ("date" not in a or r.date == a["date"])
            and ("body" not in a or r.body == a["body"])]
    wanted = ", ".join(f"{k} {a[k]}" for k in ("number", "kind", "title", "date", "body")
                       if k in a) or "any"
    if not a.get("exists", True):
        return not rows, f"no document with {wanted}" if not rows else \
            f"found {len(rows)} document(s) with {wanted}; expected none"
    if not rows:
        return False, f"no document with {wanted}"
    for r in rows:
        bound = sorted(r.bound_states.split())
        if "bound" in a and bound != sorted(a["bound"]):
            return False, (f"document {r.number or r.id} binds {_codes(bound)}; expected "
                           f"{_codes(sorted(a['bound']))}")
        if "confidence" in a and r.confidence != a["confidence"]:
            return False, (f"document {r.number or r.id} has confidence {r.confidence}; "
                           f"expected {a['confidence']}")
    first = rows[0]
    return True, (f"document {first.number or first.id} ({first.kind}, {first.date}): "
                  f"{first.title_en}; binds {_codes(sorted(first.bound_states.split()))}")


# -- reading scenario files ------------------------------------------------------------------

def parse_text(text: str, name: str = "scenario") -> model.Scenario:
    try:
        # dates stay text (a bad one is reported with its step), `on:` stays a key
        data = load_yaml(text, TextDatesLoader)
    except yaml.YAMLError as exc:
        raise ScenarioError("{name}: not valid YAML: {error}", name=name, error=str(exc)) \
            from None
    try:
        return model.parse_scenario(data, command_specs(), check_specs())
    except ScenarioError as exc:
        raise exc.within("{name}", name=name) from None


def shipped(org: str) -> list[Any]:
    """The replays shipped with an organization's data (its folder's `replays/`), by name."""
    folder = data_dir(org).joinpath("replays")
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")),
                  key=lambda p: p.name)


def find(name: str, org: str) -> Any:
    """A scenario file: a path, or the name of a shipped replay (with or without .yaml)."""
    path = Path(name)
    if path.is_file():
        return path
    for p in shipped(org):
        if p.name in (name, f"{name}.yaml"):
            return p
    known = ", ".join(p.name.removesuffix(".yaml") for p in shipped(org)) or "none"
    raise NotFound("no scenario file '{name}'; shipped replays: {known}", name=name,
                   known=known)


def read_scenario(path: Any) -> model.Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError("{path}: cannot read it: {error}", path=str(path),
                            error=str(exc)) from None
    return parse_text(text, getattr(path, "name", str(path)))


# -- running ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class StepReport:
    step: model.Step
    ok: bool
    lines: tuple[str, ...] = ()
    failure: str = ""
    acting: str = ""


@dataclass(frozen=True)
class CheckReport:
    check: model.Check
    ok: bool
    detail: str


@dataclass(frozen=True)
class Report:
    scenario: model.Scenario
    base: dict[str, int]
    steps: tuple[StepReport, ...] = ()
    checks: tuple[CheckReport, ...] = ()
    checks_run: bool = False

    @property
    def ok(self) -> bool:
        return (all(s.ok for s in self.steps) and len(self.steps) == len(self.scenario.steps)
                and self.checks_run and all(c.ok for c in self.checks))


class _Unmet(Exception):
    """An expectation that does not hold; rolls the step back."""


def database(url: str) -> Engine:
    """The database a replay writes, at `url` (the replay owns its units of work there)."""
    return db.engine_for(url)


def is_fresh(engine: Engine) -> bool:
    """No tables at all, or collsec's schema with nothing ever recorded."""
    tables = set(inspect(engine).get_table_names())
    if not tables:
        return True
    if "journal" not in tables:
        return False
    with db.read_session(engine) as s:
        return not s.scalar(select(func.count()).select_from(journal.JournalEntry))


def prepare_base(scenario: model.Scenario, engine: Engine) -> dict[str, int]:
    """Schema, then the base load, then the check that every cited source exists."""
    migrate.upgrade(engine)
    with db.write_session(engine) as s:
        result = defaults.load_default(s, actor="replay:base", org=scenario.base.org,
                                       until=scenario.base.until)
    with db.write_session(engine) as s:  # so the command line can look at the result
        ensure_operator(s, scenario.base.org, clock.now())
    with db.read_session(engine) as s:
        problem = model.unknown_source(scenario, [r.id for r in registry.sources(s)])
    if problem is not None:
        raise problem
    return dict(result.counts)


def _evaluate(session: Session, check: model.Check, org: str, on: dt.date
              ) -> tuple[bool, str]:
    """A check, read on `on`: a step's expectation on the step's day, the scenario's checks
    on its last step's."""
    try:
        return CHECKS[check.kind].evaluate(session, check.args, org, on)
    except CollsecError as exc:
        return False, f"{check.kind}: {exc.detail}"


def _expectations(ctx: Context, result: Result) -> list[str]:
    """What the step expected, said as it turned out; raises _Unmet on the first miss."""
    said: list[str] = []
    exp = ctx.step.expect
    o = result.outcome
    if o is not None:
        if "adopted" in exp and o.adopted != exp["adopted"]:
            raise _Unmet(f"expected {'adoption' if exp['adopted'] else 'no adoption'}, "
                         f"but the outcome is {o.reason}")
        if "reason" in exp and o.reason != exp["reason"]:
            raise _Unmet(f"expected reason {exp['reason']}, got {o.reason}")
        if "bound" in exp and sorted(o.bound) != sorted(exp["bound"]):
            raise _Unmet(f"expected it to bind {_codes(sorted(exp['bound']))}, it binds "
                         f"{_codes(o.bound)}")
        if "adopted" in exp:
            said.append(f"expected and found: {'adopted' if o.adopted else 'not adopted'}")
        if "reason" in exp:
            said.append(f"expected and found: reason {o.reason}")
        if "bound" in exp:
            said.append(f"expected and found: binds {_codes(o.bound)}")
        if "limited_format" in exp:
            limited = decisions.limited_format(o)
            if limited != exp["limited_format"]:
                raise _Unmet(f"expected {'a' if exp['limited_format'] else 'no'} limited "
                             f"format, but it is {'' if limited else 'not '}one")
            said.append(f"expected and found: {'' if limited else 'not '}in a limited format")
    for key, check_kind in (("members_include", "include"), ("members_exclude", "exclude")):
        if key in exp:
            check = model.Check(0, "members", {"as_of": ctx.step.on, check_kind: exp[key]})
            ok, detail = _evaluate(ctx.session, check, ctx.org, ctx.step.on)
            if not ok:
                raise _Unmet(detail)
            said.append(f"expected and found: {detail}")
    for check in ctx.step.expect_checks:
        ok, detail = _evaluate(ctx.session, check, ctx.org, ctx.step.on)
        if not ok:
            raise _Unmet(detail)
        said.append(f"expected and found: {detail}")
    return said


def run_step(engine: Engine, scenario: model.Scenario, step: model.Step,
             names: dict[str, int], lang: str = "en") -> StepReport:
    """One step in one transaction: the command, then its expectations."""
    handler = HANDLERS[step.do]
    acting = handler.acting(step, str(step.args.get("org") or scenario.org).upper())
    expected_error = step.expect.get("error")
    attempt = dict(names)

    def report(ok: bool, lines: tuple[str, ...] = (), failure: str = "") -> StepReport:
        return StepReport(step, ok, lines, failure, acting)

    try:
        with db.write_session(engine) as s:
            ctx = Context(s, scenario, step, handler.roles, handler.acts_as, attempt, lang)
            result = handler.run(ctx)
            if expected_error is not None:
                raise _Unmet(f"expected it to be refused ({expected_error}), but it went "
                             f"through: {'; '.join(result.lines)}")
            lines = (*result.lines, *_expectations(ctx, result))
    except CollsecError as exc:
        if expected_error is not None and str(expected_error).lower() in exc.detail.lower():
            return report(True, (f"refused as expected: {exc.detail}",))
        if expected_error is not None:
            return report(False, failure=f"refused, but not as expected ({expected_error}): "
                                         f"{exc.detail}")
        return report(False, failure=f"refused: {exc.detail}")
    except _Unmet as exc:
        return report(False, failure=str(exc))
    names.clear()
    names.update(attempt)
    return report(True, tuple(lines))


def iter_run(scenario: model.Scenario, engine: Engine, *, lang: str = "en"
             ) -> Iterator[StepReport | CheckReport]:
    """Run the steps (stopping at the first that fails), then every check."""
    names: dict[str, int] = {}
    for step in scenario.steps:
        report = run_step(engine, scenario, step, names, lang)
        yield report
        if not report.ok:
            return
    # the replay ends on its last step's day (the edge's clock only without steps)
    last = scenario.steps[-1].on if scenario.steps else clock.today()
    with db.read_session(engine) as s:
        for check in scenario.checks:
            ok, detail = _evaluate(s, check, scenario.org, last)
            yield CheckReport(check, ok, detail)


def run(scenario: model.Scenario, engine: Engine, *, lang: str = "en",
        progress: Callable[[StepReport | CheckReport], None] | None = None) -> Report:
    """Prepare the base on `engine` (which should be fresh) and run the whole scenario."""
    base = prepare_base(scenario, engine)
    steps: list[StepReport] = []
    checks: list[CheckReport] = []
    for item in iter_run(scenario, engine, lang=lang):
        if progress is not None:
            progress(item)
        if isinstance(item, StepReport):
            steps.append(item)
        else:
            checks.append(item)
    done = len(steps) == len(scenario.steps) and all(s.ok for s in steps)
    return Report(scenario, base, tuple(steps), tuple(checks), done)


def as_dict(report: Report, database: str, url: str) -> dict[str, Any]:
    """A JSON-ready account of a report; `database` is the path (SQLite) or the safe URL."""
    return {
        "title": report.scenario.title,
        "database": database,
        "database_url": url,
        "base": {"load_default": report.scenario.base.org,
                 "until": report.scenario.base.until, "counts": report.base},
        "steps": [{"step": r.step.number, "on": r.step.on, "do": r.step.do,
                   "as": r.acting, "ok": r.ok,
                   "result": list(r.lines), "failure": r.failure or None}
                  for r in report.steps],
        "checks": [{"check": c.check.number, "kind": c.check.kind, "ok": c.ok,
                    "detail": c.detail} for c in report.checks],
        "ok": report.ok,
    }


# The crisis response's commands and checks register themselves with the registries above.
from collsec.crisis import replay_steps  # noqa: E402,F401
