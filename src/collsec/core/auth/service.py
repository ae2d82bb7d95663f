"""The access-decision point and the accounts behind it.

`clearance` computes, from the registry as of a date, what an actor may read and
do; `require` decides one action, `narrow` turns the same rule into a SQL filter.
Every list, page, endpoint, export and search goes through these, so none can
show what another refuses.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple, NoReturn

import yaml
from sqlalchemy import Connection, Select, and_, delete, exists, insert, or_, select, update
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from collsec.core import db, journal
from collsec.core.auth import released as released_sql
from collsec.core.auth import secrets
from collsec.core.auth.model import (
    PRINCIPAL_KINDS,
    ROLES,
    Clearance,
    Decision,
    Marking,
    Policy,
    Principal,
    may,
    meets,
)
from collsec.core.auth.tables import (
    AuditRow,
    ReleaseRow,
    SignInThrottleRow,
    TokenRow,
    UserRow,
    WebSessionRow,
)
from collsec.core.commands import DriverUnit, command, driver_of, query
from collsec.core.errors import CollsecError, Conflict, InvalidInput, NotFound, Phrase

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


class Unauthenticated(CollsecError):
    status = 401
    title = "Authentication required"
    type_slug = "unauthenticated"


class PasswordChangeRequired(CollsecError):
    status = 403
    title = "Password change required"
    type_slug = "password-change-required"


class NotEntitled(CollsecError):
    status = 403
    title = "Not entitled"
    type_slug = "not-entitled"


@lru_cache(maxsize=1)
def policy_data() -> dict[str, Any]:
    text = (resources.files("collsec.core.auth") / "policy.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@lru_cache(maxsize=1)
def policy() -> Policy:
    data = policy_data()
    return Policy({role: frozenset(actions) for role, actions in data["roles"].items()},
                  {action: tuple(conds) for action, conds in data.get("conditions", {}).items()},
                  frozenset(data.get("in_good_standing", [])))


@dataclass(frozen=True)
class Actor:
    """Who makes a request, for whom, and through which interface."""

    user_id: int | None
    username: str | None
    principal: Principal | None
    roles: frozenset[str]
    via: str  # web, api, cli
    # a one-time password is still in use: until it is changed the account may do nothing
    # but change it or sign out (web/access.py)
    must_change_password: bool = False

    @property
    def name(self) -> str:
        return self.username or "anonymous"


def anonymous(via: str) -> Actor:
    return Actor(None, None, None, frozenset(), via)


def actor_for(user: UserRow | Caller, via: str) -> Actor:
    return Actor(user.id, user.username, Principal.parse(user.principal),
                 frozenset(user.roles.split()), via, bool(user.must_change_password))


# -- what the decision point asks the registry ------------------------------------

@dataclass(frozen=True)
class Registry:
    """What the decision point needs from the registry, which `collsec.startup.wire()`
    provides at start-up (core imports no feature package)."""

    charter: Callable[[str], Mapping[str, Any]]  # org -> its charter data (raw)
    # (session, org, state, day) -> the state's status code and the markings it reads
    standing: Callable[[Session, str, str, dt.date], tuple[str, tuple[str, ...]] | None]
    # (session, principal, org): raise when the state, organ or organization is unknown
    check_principal: Callable[[Session, Principal, str | None], None]


_registry: list[Registry] = []


def use_registry(registry: Registry) -> None:
    _registry[:] = [registry]


def _the_registry() -> Registry:
    if not _registry:
        raise RuntimeError("the decision point has no registry: call collsec.startup.wire() "
                           "at start-up")
    return _registry[0]


# -- the decision point ----------------------------------------------------------

# Standings read from the registry, per (organization, state, day), each with the registry
# mark it was read under: a lookup given the same mark answers without a query. The mark
# moves in the transaction that changes a status (journal.registry_changed), whichever
# process commits it, so no process serves a standing older than the caller's mark.
_STANDINGS: dict[tuple[str, str, dt.date], tuple[str, tuple[str, tuple[str, ...]] | None]] = {}
_STANDINGS_MAX = 4096  # states × days in use at once; past it the cache starts over


def _standing(session: Session, registry: Registry, org: str, state: str, as_of: dt.date,
              mark: str | None) -> tuple[str, tuple[str, ...]] | None:
    key = (org, state, as_of)
    if mark is not None:
        cached = _STANDINGS.get(key)
        if cached is not None and cached[0] == mark:
            return cached[1]
    found = registry.standing(session, org, state, as_of)
    if mark is not None:
        if len(_STANDINGS) >= _STANDINGS_MAX:
            _STANDINGS.clear()
        _STANDINGS[key] = (mark, found)
    return found


@query()
def clearance(session: Session, actor: Actor, as_of: dt.date, org: str,
              registry_mark: str | None = None) -> Clearance:
    """What `actor` may read and do on `as_of` in `org`, from its principal's standing in
    that organization's registry (an unknown organization is an error).

    `registry_mark`: the journal head's registry mark, read in this transaction (with the
    caller's token or session); given, a standing read under the same mark is reused."""
    org = org.upper()
    registry = _the_registry()
    access = registry.charter(org).get("access", {})
    p = actor.principal
    actions = policy().actions_for(actor.roles)
    if p is None:
        return Clearance(None, None, frozenset(access.get("anonymous_reads", ["public"])),
                         frozenset({"read"}), "not signed in", actor.via, org=org,
                         reason_template="not signed in")
    levels: tuple[str, ...]
    why: tuple[str, dict[str, object]]
    if p.kind == "delegation":
        standing = _standing(session, registry, org, p.code, as_of, registry_mark)
        if standing is None:
            levels = ("public",)
            why = ("{state} holds no status in {org} on {date}",
                   {"state": p.code, "org": org, "date": as_of})
        else:
            levels = standing[1]
            why = ("{state} is {status} in {org} on {date}",
                   {"state": p.code, "status": standing[0], "org": org, "date": as_of})
    elif p.kind == "organ" and p.code in access.get("organs", []):
        levels, why = tuple(access.get("organ_reads", ["public"])), ("organ {organ}",
                                                                     {"organ": p.code})
    else:
        levels, why = tuple(access.get("external_reads", ["public"])), (
            "external {external}", {"external": p.code})
    parts = frozenset(part for part, organ in access.get("roles", {}).items()
                      if p.kind == "organ" and organ == p.code)
    return Clearance(p.key, actor.username, frozenset(levels), actions,
                     why[0].format(**why[1]), actor.via, parts, org, why[0], why[1])


def org_of(c: Clearance, org: str | None = None) -> str:
    """The organization an act with `c` is in: the one `c` was computed for. Naming another
    is refused (a clearance holds in one organization's registry); a clearance made by
    hand must name it. Never a default organization."""
    if org is not None and c.org and org.upper() != c.org:
        raise NotEntitled("a clearance of {held} does not act in {org}", held=c.org,
                          org=org.upper())
    found = (org or c.org).upper()
    if not found:
        raise InvalidInput("no organization: the clearance names none and none was given")
    return found


def require(c: Clearance, action: str, marking: Marking | None = None) -> Decision:
    """Allow or raise: 401 for an anonymous actor, 403 with the rule's words for anyone else."""
    decision = may(c, action, marking)
    if decision.allowed:
        return decision
    _refuse(c, decision)


def _refuse(c: Clearance, decision: Decision) -> NoReturn:
    """Raise a refusal: 401 for an anonymous actor, 403 for anyone else, in the decision's
    words (its template, so the edge words it in the reader's language)."""
    refusal = (decision.template, decision.params) if decision.template else (
        decision.reason, {})
    if c.principal is None:
        raise Unauthenticated(refusal[0], **refusal[1]).within("sign in or send an API token")
    raise NotEntitled(refusal[0], **refusal[1])


def allows(c: Clearance, action: str, *, state: str | None = None,
           originator: str | None = None) -> Decision:
    """May `c` do `action` for this state / on this principal's object: the role, then the
    action's conditions in policy.yaml (what a page asks before it offers a form)."""
    decision = may(c, action)
    conditions = policy().conditions.get(action)
    if not decision.allowed or not conditions:
        return decision
    return meets(c, action, conditions, state=state, originator=originator,
                 standing=action in policy().in_good_standing)


def require_for(c: Clearance, action: str, *, state: str | None = None,
                originator: str | None = None) -> Decision:
    """`allows` or raise: 401 for an anonymous actor, 403 with the rule's words."""
    decision = allows(c, action, state=state, originator=originator)
    if decision.allowed:
        return decision
    _refuse(c, decision)


def organ_for(charter_raw: dict[str, Any], part: str) -> Principal:
    """The organ the charter names for a part (`access.roles`), e.g. the secretariat."""
    code = charter_raw.get("access", {}).get("roles", {}).get(part)
    if not code:
        raise NotFound("the charter names no organ as its {part} (access.roles)",
                       part=part.replace("_", " "))
    return Principal("organ", str(code))


def narrow(stmt: Select[Any], entity: Any, object_type: str, c: Clearance, *,
           page: bool = False) -> Select[Any]:
    """Limit a select over a marked entity to what `c` may read (the SQL twin of may_read).

    The entity needs `id`, `visibility` and `owner` columns; releases live in `releases`.
    An entity with an `exercise_run` column is made in exercises too: `c` reads the rows
    of its own run only (the real world's, NULL, when it plays in none).
    `page`: the statement reads one page (the reports' list and search, newest first), so
    each restricted row it meets asks for its own release (`released`); a whole scan lets
    the database gather the principal's releases once.
    """
    return stmt.where(_narrowing(entity, object_type, page, *narrowing_key(c)))


def narrowing_key(c: Clearance) -> tuple[Any, ...]:
    """What of `c` its narrowing depends on: two clearances alike in it read the same rows."""
    return c.principal, frozenset(c.levels), c.in_good_standing, c.exercise


@lru_cache(maxsize=1024)
def _narrowing(entity: Any, object_type: str, page: bool, principal: str | None,
               levels: frozenset[str], good_standing: bool, exercise: int | None) -> Any:
    """`narrow`'s condition, built once for each kind of reader: a clause holds its values
    and may sit in any number of statements, and building it cost as much as a cheap
    search's own SQL (0.2 ms against a page of 1-2 ms)."""
    open_levels = sorted(level for level in levels if level != "restricted")
    condition = entity.visibility.in_(open_levels)
    if principal is not None and good_standing:
        released: Any = released_sql.released(object_type, entity.id, principal) \
            if page else exists(select(ReleaseRow.id).where(
                ReleaseRow.object_type == object_type, ReleaseRow.object_id == entity.id,
                ReleaseRow.principal == principal))
        condition = or_(condition, and_(entity.visibility == "restricted",
                                        or_(entity.owner == principal, released)))
    run = getattr(entity, "exercise_run", None)
    if run is not None:
        condition = and_(run.is_(None) if exercise is None else run == exercise, condition)
    return condition


def marking(session: Session, object_type: str, obj: Any) -> Marking:
    rows = session.execute(select(ReleaseRow.principal).where(
        ReleaseRow.object_type == object_type, ReleaseRow.object_id == obj.id)).scalars()
    return marking_of(obj, rows)


def marking_of(obj: Any, released_to: Iterable[str]) -> Marking:
    """The marking of a row whose releases were read already (a stream's round)."""
    return Marking(obj.visibility, obj.owner, frozenset(released_to),
                   hasattr(obj, "exercise_run"), getattr(obj, "exercise_run", None))


_INSERT_RELEASE = {
    dialect: f"INSERT INTO releases (object_type, object_id, principal) VALUES ({m}, {m}, {m})"
    for dialect, m in (("sqlite", "?"), ("postgresql", "%s"))}


def release_keys(session: Session | DriverUnit, principals: Iterable[str], org: str,
                 known: dict[str, str] | None = None) -> list[str]:
    """The canonical keys (delegation:kz -> delegation:KZ, as clearances carry them) of the
    principals an object of `org` is released to, sorted, each one a state, a body of `org`
    or an external organization the registry knows. `known` remembers the keys checked
    already (text -> key), so a batch asks the registry once per principal."""
    keys: set[str] = set()
    for text in principals:
        if known is not None and text in known:
            keys.add(known[text])
            continue
        try:
            key = Principal.parse(text).key
        except ValueError:
            raise InvalidInput("'{text}' is not a principal; use delegation:KZ, organ:SEC or "
                               "external:OSCE", text=text) from None
        if len(key) > 60:  # the length of releases.principal
            raise InvalidInput("'{text}' is too long to be a principal", text=text[:80])
        _check_principal(session, key, org)  # a release to a state that does not exist is a typo
        if known is not None:
            known[text] = key
        keys.add(key)
    return sorted(keys)


def release(session: Session | DriverUnit, object_type: str, object_id: int,
            principals: list[str],
            org: str) -> list[str]:
    """Release an object of `org` to `principals` (each a state, a body of `org` or an
    external organization the registry knows); their keys, as stored."""
    keys = release_keys(session, principals, org)
    if keys:
        cursor, dialect = driver_of(session)
        cursor.executemany(_INSERT_RELEASE[dialect],
                           [(object_type, object_id, key) for key in keys])
    return keys


def release_many(session: Session | DriverUnit, object_type: str,
                 releases: Iterable[tuple[int, Iterable[str]]], org: str,
                 known: dict[str, str] | None = None) -> None:
    """`release` for many objects of `org` at once: each (object id, principals) checked
    as `release_keys` does, and all of them stored in one statement."""
    known = {} if known is None else known
    rows = [(object_type, object_id, key) for object_id, principals in releases
            for key in release_keys(session, principals, org, known)]
    if rows:  # the driver's statement: the unit of work's flush cost more (performance.md)
        cursor, dialect = driver_of(session)
        cursor.executemany(_INSERT_RELEASE[dialect], rows)


# -- audit -------------------------------------------------------------------------

def audit(session: Session, *, kind: str, actor: Actor, now: dt.datetime,
          object_type: str | None = None, object_id: str | None = None,
          detail: str = "", username: str | None = None) -> None:
    session.add(AuditRow(at=now, kind=kind, username=username or actor.username,
                         principal=actor.principal.key if actor.principal else None,
                         object_type=object_type, object_id=object_id, via=actor.via,
                         detail=detail))


def audit_read(session: Session, actor: Actor, object_type: str, object_id: Any,
               now: dt.datetime, level: str) -> None:
    """Record a read of a non-public object; public reads are not audited."""
    if level != "public":
        audit(session, kind="read", actor=actor, now=now, object_type=object_type,
              object_id=str(object_id), detail=f"marked {level}")


def audit_returned(session: Session, c: Clearance, object_type: str, rows: Any,
                   detail: str = "list", *, at: dt.datetime) -> None:
    """Audit the restricted rows a query returns: one row per query naming their ids (the
    ids run to 500 characters; a longer list is counted). In a read session the audit is
    written as the read ends, in a write session with the read."""
    audit_ids(session, c, object_type, [r.id for r in rows if r.visibility != "public"],
              detail, at=at)


def audit_ids(session: Session | Connection, c: Clearance, object_type: str, ids: list[Any],
              detail: str = "list", *, at: dt.datetime) -> None:
    """`audit_returned` for rows the caller knows to be restricted, by their ids."""
    if not ids:
        return
    named, size = [], 0
    for i in ids:  # the first ids up to the column's room, then how many in all
        text = str(i)
        if size + len(text) + 1 > 480:
            break
        named.append(text)
        size += len(text) + 1
    listed = ",".join(named)
    if len(named) < len(ids):
        listed += f",... ({len(ids)} in all)"
    row = {"at": at, "kind": "read", "username": c.user, "principal": c.principal,
           "object_type": object_type, "object_id": None, "via": c.via,
           "detail": f"{detail}: {listed}"}
    if isinstance(session, Session) and _writing(session):
        session.add(AuditRow(**row))
    else:  # written as the read ends (a plain insert: nothing for a unit of work to flush)
        db.owe(session, lambda w: w.execute(insert(AuditRow), [row]))


def _writing(session: Session) -> bool:
    return bool(session.connection().get_execution_options().get("collsec_write", False))


def read_marked(session: Session, c: Clearance, actor: Actor, object_type: str, obj: Any,
                now: dt.datetime) -> tuple[Marking, CollsecError | None]:
    """Decide one read of a marked object and audit it: a non-public read and every
    refusal leave a row. The refusal is returned, not raised, so the caller can let the
    audit row commit before raising it. It is the answer to a missing object, word for
    word (`unknown TYPE ID`): a 403 would tell anyone which ids hold restricted material;
    the audit row keeps the real reason."""
    mark = marking(session, object_type, obj)
    try:
        require(c, "read", mark)
    except CollsecError as exc:
        audit(session, kind="read_refused", actor=actor, now=now, object_type=object_type,
              object_id=str(obj.id), detail=exc.detail[:500])
        return mark, NotFound("unknown {kind} {id}", kind=Phrase(object_type), id=obj.id)
    audit_read(session, actor, object_type, obj.id, now, obj.visibility)
    return mark, None


@query()
def audit_entries(session: Session, c: Clearance, *, object_type: str | None = None,
                  object_id: str | None = None, since: dt.datetime | None = None,
                  username: str | None = None, kind: str | None = None,
                  limit: int = 200, before: int | None = None) -> list[AuditRow]:
    """Audit rows, newest first, at most `limit`; `before`: only rows of lower id (the
    page after one that ended at that id)."""
    require(c, "read_audit")
    stmt = select(AuditRow)
    if before is not None:
        stmt = stmt.where(AuditRow.id < before)
    if object_type:
        stmt = stmt.where(AuditRow.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditRow.object_id == object_id)
    if since:
        stmt = stmt.where(AuditRow.at >= since)
    if username:
        stmt = stmt.where(AuditRow.username == username)
    if kind:
        stmt = stmt.where(AuditRow.kind == kind)
    return list(session.execute(stmt.order_by(AuditRow.id.desc()).limit(limit)).scalars())


# -- users -------------------------------------------------------------------------

def _check_principal(session: Session | DriverUnit, text: str, org: str | None) -> Principal:
    """Parse `text` and check the registry knows it; an organ is a body of `org` (None: of
    any organization loaded, as a user account belongs to no one organization)."""
    try:
        p = Principal.parse(text)
    except ValueError:
        raise InvalidInput("'{text}' is not a principal; use delegation:KZ, organ:SEC or "
                           "external:OSCE", text=text) from None
    if isinstance(session, DriverUnit):
        _check_known(session.engine, p, org)
    else:
        _the_registry().check_principal(session, p, org)
    assert p.kind in PRINCIPAL_KINDS
    return p


# The principals each database's registry is known to hold, per organization, for a
# command on the driver's connection (which has no session to ask with). Only what the
# registry confirmed is kept, and the registry never deletes a state, a body or an
# organization (history is not overwritten), so what is known stays true; anything else
# is asked of the registry in a read unit of its own, with the registry's own words.
_KNOWN: dict[tuple[str, str | None], set[str]] = {}


def _check_known(engine: Any, p: Principal, org: str | None) -> None:
    known = _KNOWN.setdefault((str(engine.url), org), set())
    if p.key in known:
        return
    with db.read_session(engine) as s:
        _the_registry().check_principal(s, p, org)
    known.add(p.key)


def _check_roles(roles: list[str]) -> list[str]:
    if not roles:
        raise InvalidInput("give at least one role: {roles}", roles=", ".join(ROLES))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidInput("unknown role(s) {unknown}; roles: {roles}",
                           unknown=", ".join(unknown), roles=", ".join(ROLES))
    return sorted(set(roles), key=ROLES.index)


def _check_password(password: str, *about: str) -> str:
    """Long enough and hard to guess: zxcvbn's estimate (Dropbox's, maintained as a
    package) must reach `secrets.MIN_STRENGTH`, with the account's own names counted as
    guessable (`about`)."""
    if len(password) < secrets.MIN_PASSWORD:
        raise InvalidInput("a password needs at least {least} characters",
                           least=secrets.MIN_PASSWORD)
    if len(password) > secrets.MAX_PASSWORD:
        raise InvalidInput("a password has at most {most} characters",
                           most=secrets.MAX_PASSWORD)
    verdict = zxcvbn(password[:100], user_inputs=[a for a in about if a])  # cost grows fast
    if verdict["score"] < secrets.MIN_STRENGTH:
        hint = verdict["feedback"].get("warning") or "it is a common pattern"
        advice = " ".join(verdict["feedback"].get("suggestions") or [])
        if advice:
            raise InvalidInput("the password is too easy to guess: {hint}. {advice}",
                               hint=hint.rstrip("."), advice=advice)
        raise InvalidInput("the password is too easy to guess: {hint}.", hint=hint.rstrip("."))
    return password


@query()
def get_user(session: Session, username: str) -> UserRow:
    row = session.execute(select(UserRow).where(UserRow.username == username.lower())
                          ).scalar_one_or_none()
    if row is None:
        raise NotFound("unknown user '{username}'", username=username)
    return row


def installer(via: str = "cli") -> tuple[Clearance, Actor]:
    """Who creates the first accounts when the platform is installed (`collsec db setup`),
    before any user exists to do it: the system, cleared to manage users and nothing else.
    In the order a command takes them: `add_user(session, *installer(), ...)`."""
    return (Clearance(None, "system", frozenset({"public"}), frozenset({"manage_users"}),
                      "installing the platform", via),
            Actor(None, "system", None, frozenset(), via))


def _self_or_manager(c: Clearance, actor: Actor, user: UserRow) -> None:
    """A user's own password and tokens are the user's to manage; anyone else's need the
    right to manage users."""
    if actor.user_id is None or actor.user_id != user.id:
        require(c, "manage_users")


@command("auth.add_user", action="manage_users")
def add_user(session: Session, c: Clearance, actor: Actor, *, username: str, principal: str,
             roles: list[str], now: dt.datetime, password: str | None = None,
             display_name: str = "", must_change_password: bool = False
             ) -> tuple[UserRow, str]:
    """Create a user of one principal; returns the row and the password (generated if None)."""
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise InvalidInput("a user name is 2-80 lower-case letters, digits, '.', '_' or '-'")
    if session.execute(select(UserRow.id).where(UserRow.username == name)).first():
        raise Conflict("user '{username}' already exists", username=name)
    p = _check_principal(session, principal, None)
    role_list = _check_roles(roles)
    generated = password is None
    secret = (secrets.new_password() if password is None
              else _check_password(password, name, display_name))
    row = UserRow(username=name, display_name=display_name, password_hash=secrets.hash_password(
        secret), principal=p.key, roles=" ".join(role_list), disabled=False,
        must_change_password=must_change_password or generated, created_at=now)
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="auth.add_user", payload={
        "id": row.id, "username": name, "principal": p.key, "roles": role_list})
    return row, secret


@query()
def list_users(session: Session, *, limit: int | None = None,
               after: tuple[str, int] | None = None) -> list[UserRow]:
    """Every account by user name; `limit` at most, from the one after `after` (a page's
    last user name and id)."""
    stmt = select(UserRow)
    if after is not None:
        name, last_id = after
        stmt = stmt.where(or_(UserRow.username > name,
                              and_(UserRow.username == name, UserRow.id > last_id)))
    stmt = stmt.order_by(UserRow.username, UserRow.id)
    return list(session.execute(stmt if limit is None else stmt.limit(limit)).scalars())


def _end_sessions(session: Session, user_id: int) -> None:
    """Sign the user out of every browser (its tokens are the token commands' business)."""
    session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))


def _living(session: Session, username: str) -> UserRow:
    """An account that may still be managed: one that was deleted is history only."""
    row = get_user(session, username)
    if row.deleted_at is not None:
        raise Conflict("user '{username}' was deleted; an account deleted stays so",
                       username=row.username)
    return row


@command("auth.disable_user", action="manage_users")
def disable_user(session: Session, c: Clearance, actor: Actor, *, username: str) -> UserRow:
    """Disable an account: its sessions end and its tokens stop working at once."""
    row = _living(session, username)
    if row.disabled:
        raise Conflict("user '{username}' is already disabled", username=row.username)
    row.disabled = True
    _end_sessions(session, row.id)
    journal.record(session, actor=actor, command="auth.disable_user",
                   payload={"id": row.id, "username": row.username})
    return row


@command("auth.enable_user", action="manage_users")
def enable_user(session: Session, c: Clearance, actor: Actor, *, username: str) -> UserRow:
    """Enable a disabled account again; its old tokens work again, its sessions do not
    come back."""
    row = _living(session, username)
    if not row.disabled:
        raise Conflict("user '{username}' is not disabled", username=row.username)
    row.disabled = False
    journal.record(session, actor=actor, command="auth.enable_user",
                   payload={"id": row.id, "username": row.username})
    return row


@command("auth.set_roles", action="manage_users")
def set_roles(session: Session, c: Clearance, actor: Actor, *, username: str,
              roles: list[str]) -> UserRow:
    """Replace an account's roles; its sessions end, so no page keeps the old ones."""
    row = _living(session, username)
    new = " ".join(_check_roles(roles))
    if new == row.roles:
        raise Conflict("user '{username}' already has the roles {roles}",
                       username=row.username, roles=new)
    before, row.roles = row.roles, new
    _end_sessions(session, row.id)
    journal.record(session, actor=actor, command="auth.set_roles",
                   payload={"id": row.id, "username": row.username, "from": before.split(),
                            "to": new.split()})
    return row


@command("auth.reset_password", action="manage_users")
def reset_password(session: Session, c: Clearance, actor: Actor, *,
                   username: str) -> tuple[UserRow, str]:
    """A new one-time password for an account (shown once): its sessions end, and until it
    is changed the account, tokens included, may only change it."""
    row = _living(session, username)
    secret = secrets.new_password()
    row.password_hash = secrets.hash_password(secret)
    row.must_change_password = True
    _end_sessions(session, row.id)
    journal.record(session, actor=actor, command="auth.reset_password",
                   payload={"id": row.id, "username": row.username})
    return row, secret


@command("auth.delete_user", action="manage_users")
def delete_user(session: Session, c: Clearance, actor: Actor, *, username: str,
                now: dt.datetime) -> UserRow:
    """Delete an account: it is disabled for good, its tokens revoked, its sessions ended,
    and its password, roles and display name erased. Its row stays, with its name only:
    the journal and the audit name it (they are history, and the journal's hash chain
    would break), and a new account under the same name would be taken for it."""
    row = _living(session, username)
    if actor.user_id is not None and actor.user_id == row.id:
        raise Conflict("an account cannot delete itself; another manager of users must")
    row.deleted_at, row.disabled, row.must_change_password = now, True, False
    row.roles, row.display_name = "", ""
    row.password_hash = secrets.hash_password(secrets.random_id())  # known to nobody
    session.execute(update(TokenRow).where(TokenRow.user_id == row.id,
                                           TokenRow.revoked_at.is_(None))
                    .values(revoked_at=now))
    _end_sessions(session, row.id)
    journal.record(session, actor=actor, command="auth.delete_user",
                   payload={"id": row.id, "username": row.username})
    return row


@command("auth.set_password")
def set_password(session: Session, c: Clearance, actor: Actor, *, username: str,
                 password: str, keep_session: str | None = None) -> None:
    """A new password ends every other signed-in session of the user (a suspected thief's too).
    The user is read here, in the command's unit, so the change lands on the row it reads."""
    user = _living(session, username)
    _self_or_manager(c, actor, user)
    user.password_hash = secrets.hash_password(
        _check_password(password, user.username, user.display_name))
    user.must_change_password = False
    others = delete(WebSessionRow).where(WebSessionRow.user_id == user.id)
    if keep_session:
        others = others.where(WebSessionRow.digest != secrets.digest(keep_session))
    session.execute(others)
    journal.record(session, actor=actor, command="auth.set_password",
                   payload={"id": user.id, "username": user.username})


# -- tokens ------------------------------------------------------------------------

@command("auth.create_token")
def create_token(session: Session, c: Clearance, actor: Actor, *, username: str, name: str,
                 now: dt.datetime, expires: dt.datetime | None = None) -> tuple[TokenRow, str]:
    """A new API token for `username`; the token text is returned once and never stored."""
    user = _living(session, username)
    _self_or_manager(c, actor, user)
    if user.disabled:
        raise Conflict("user '{username}' is disabled", username=user.username)
    if expires is not None and expires <= now:
        raise InvalidInput("a token's expiry must lie in the future")
    token = secrets.new_token()
    row = TokenRow(user_id=user.id, name=name.strip() or "token", digest=secrets.digest(token),
                   prefix=token[:10], created_at=now, expires_at=expires)
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="auth.create_token", payload={
        "id": row.id, "username": user.username, "name": row.name, "prefix": row.prefix,
        "expires": expires})
    return row, token


@query()
def list_tokens(session: Session, username: str) -> list[TokenRow]:
    user = get_user(session, username)
    return list(session.execute(select(TokenRow).where(TokenRow.user_id == user.id)
                                .order_by(TokenRow.id)).scalars())


@command("auth.revoke_token")
def revoke_token(session: Session, c: Clearance, actor: Actor, *, token_id: int,
                 now: dt.datetime, owner: UserRow | None = None) -> TokenRow:
    """Revoke a token (only its owner's, when `owner` is given); it fails on the next request."""
    row = session.get(TokenRow, token_id)
    if row is None or (owner is not None and row.user_id != owner.id):
        raise NotFound("unknown token {token}", token=token_id)
    if actor.user_id is None or actor.user_id != row.user_id:
        require(c, "manage_users")  # one's own token is one's own to revoke
    if row.revoked_at is not None:
        raise Conflict("token {token} is already revoked", token=token_id)
    row.revoked_at = now
    journal.record(session, actor=actor, command="auth.revoke_token",
                   payload={"id": row.id, "prefix": row.prefix})
    return row


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite returns naive datetimes; everything we store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


@query()
def user_for_token(session: Session, token: str, now: dt.datetime) -> Caller:
    """The user of a live API token."""
    return caller_for_token(session, token, now)[0]


class Caller(NamedTuple):
    """What a request needs of the user an API token names (`actor_for` takes it)."""

    id: int
    username: str
    principal: str
    roles: str
    must_change_password: bool
    disabled: bool


_U, _T = UserRow.__table__.c, TokenRow.__table__.c
# The columns, not the mapped rows: every API call asks this, and loading two ORM objects
# cost three times the query (docs/performance.md, TAXII).
_CALLER = select(_T.revoked_at, _T.expires_at, _U.id, _U.username, _U.principal, _U.roles,
                 _U.must_change_password, _U.disabled, journal.REGISTRY_MARK
                 ).join_from(TokenRow.__table__, UserRow.__table__, _U.id == _T.user_id)


def caller_for_token(session: Session | Connection, token: str, now: dt.datetime
                     ) -> tuple[Caller, str]:
    """The user of a live API token and the registry mark (`clearance`): the token, its user
    and the mark in one query (every API call asks this)."""
    found = db.connection_of(session).execute(
        _CALLER.where(_T.digest == secrets.digest(token))).one_or_none()
    if found is None or found[0] is not None:
        raise Unauthenticated("the API token is unknown or revoked")
    _, expires_at, *user, mark = found
    expires = _aware(expires_at)
    if expires is not None and expires <= now:
        raise Unauthenticated("the API token has expired")
    caller = Caller(*user)
    if caller.disabled:
        raise Unauthenticated("the API token's user is disabled")
    return caller, mark or journal.GENESIS


# -- passwords and sessions ------------------------------------------------------

@dataclass(frozen=True)
class LoginResult:
    user: UserRow | None
    error: str | None = None
    throttled: bool = False  # held back by repeated failures from the address (429)


WRONG = "wrong user name or password"
HELD_BACK = "too many failed sign-ins from this address; try again in a few minutes"


def _throttle_keys(name: str, address: str) -> tuple[str, str]:
    return f"name:{name}|{address}"[:200], f"address:{address}"[:200]


@query(writes=True)  # a sign-in writes its session row, not a journal entry
def login(session: Session, *, username: str, password: str, now: dt.datetime,
          via: str, address: str = "local") -> LoginResult:
    """Check a password, with back-off after repeated failures from the same address.

    Failures are counted per (user name, address) and per address, for names that exist
    and names that do not alike: a held-back sign-in answers the same whoever the name
    is, and a guesser elsewhere cannot lock anyone out. Returns instead of raising so the
    counts and the audit commit with the refusal.
    """
    lock = policy_data()["lockout"]
    name = username.strip().lower()[:80]  # the audit keeps what fits a user name
    pair, place = _throttle_keys(name, address)
    rows = {r.key: r for r in session.execute(select(SignInThrottleRow).where(
        SignInThrottleRow.key.in_((pair, place)))).scalars()}
    user = session.execute(select(UserRow).where(UserRow.username == name)).scalar_one_or_none()
    who = actor_for(user, via) if user is not None else anonymous(via)
    held = max((u for u in (_aware(r.locked_until) for r in rows.values()) if u and u > now),
               default=None)
    if held is not None:
        secrets.check_password(secrets.dummy_hash(), password)  # the same time as a check
        audit(session, kind="login_held_back", actor=who, now=now, username=name,
              detail=f"from {address[:60]} until {held.isoformat()}")
        return LoginResult(None, HELD_BACK, throttled=True)  # one text: it is translated
    ok = False
    if user is None:
        secrets.check_password(secrets.dummy_hash(), password)  # as long as a real check
    else:
        ok = secrets.check_password(user.password_hash, password) and not user.disabled
    if not ok:
        detail = "unknown user" if user is None else "wrong password" + (
            " (disabled)" if user.disabled else "")
        audit(session, kind="login_failed", actor=who, now=now, username=name,
              detail=f"{detail}, from {address[:60]}")
        for key, after in ((pair, lock["after_failures"]),
                           (place, lock["address_after_failures"])):
            row = rows.get(key)
            if row is None:
                row = SignInThrottleRow(key=key, failures=0, last_at=now)
                session.add(row)
            row.failures, row.last_at = row.failures + 1, now
            if row.failures >= after:
                seconds = min(lock["first_lock_seconds"] * 2 ** (row.failures - after),
                              lock["max_lock_seconds"])
                row.locked_until = now + dt.timedelta(seconds=seconds)
                audit(session, kind="sign_in_held_back", actor=who, now=now, username=name,
                      detail=f"{key[:120]}: {row.failures} failures; {seconds} s")
        return LoginResult(None, WRONG)
    assert user is not None
    for row in rows.values():  # a right password from here: this address starts afresh
        session.delete(row)
    audit(session, kind="login", actor=who, now=now)
    return LoginResult(user)


@query(writes=True)  # a sign-in writes its session row, not a journal entry
def start_session(session: Session, user: UserRow, now: dt.datetime) -> tuple[str, str]:
    """A new browser session; returns the cookie value and the session's CSRF token."""
    cookie, csrf = secrets.random_id(), secrets.random_id()
    hours = policy_data()["sessions"]["web_hours"]
    session.add(WebSessionRow(digest=secrets.digest(cookie), user_id=user.id, csrf=csrf,
                              created_at=now, expires_at=now + dt.timedelta(hours=hours)))
    return cookie, csrf


@dataclass(frozen=True)
class SignIn:
    """A sign-in's outcome: the user and the new session's cookie and CSRF token, or why not."""

    user: UserRow | None
    error: str | None = None
    cookie: str = ""
    csrf: str = ""
    throttled: bool = False


@query(writes=True)  # the failure count, the audit and the new session commit together
def sign_in(session: Session, *, username: str, password: str, now: dt.datetime, via: str,
            replacing: str | None = None, address: str = "local") -> SignIn:
    """`login`, then a new browser session in place of the browser's old one, in one unit."""
    result = login(session, username=username, password=password, now=now, via=via,
                   address=address)
    if result.user is None:
        return SignIn(None, result.error, throttled=result.throttled)
    if replacing:
        end_session(session, replacing)
    cookie, csrf = start_session(session, result.user, now)
    return SignIn(result.user, None, cookie, csrf)


@query()
def session_for(session: Session, cookie: str, now: dt.datetime
                ) -> tuple[UserRow, WebSessionRow] | None:
    found = caller_for_cookie(session, cookie, now)
    return None if found is None else (found[0], found[1])


def caller_for_cookie(session: Session, cookie: str, now: dt.datetime
                      ) -> tuple[UserRow, WebSessionRow, str] | None:
    """The user of a live web session, the session and the registry mark, in one query."""
    found = session.execute(select(WebSessionRow, UserRow, journal.REGISTRY_MARK)
                            .join(UserRow, UserRow.id == WebSessionRow.user_id)
                            .where(WebSessionRow.digest == secrets.digest(cookie))
                            ).one_or_none()
    if found is None:
        return None
    row, user, mark = found
    if (_aware(row.expires_at) or now) <= now or user.disabled:
        return None
    return user, row, mark or journal.GENESIS


@query(writes=True)  # a sign-in writes its session row, not a journal entry
def end_session(session: Session, cookie: str) -> None:
    session.execute(delete(WebSessionRow).where(WebSessionRow.digest == secrets.digest(cookie)))
