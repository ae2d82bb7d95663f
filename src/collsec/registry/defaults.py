"""Loading an embedded organization (charter + fact files) into the registry, idempotently.

The load is one transaction and one journal entry. Its payload holds a digest of
the data files; loading the same data again finds that digest and changes
nothing. Changed data replaces the rows earlier loads made (origin 'default')
and leaves rows users recorded alone.

A folder defines its own organization and those its organizations.yaml marks
`charter_of` it (the CSTO's folder defines the CST too); a load replaces only the
rows of those, so several organizations' folders load into one database side by
side. Every row a folder writes is of an organization it defines (else the load is
refused). The tables all share (sources, states, the organizations referred to)
are upserted, never deleted: an entry another loaded organization's data also
names must read the same in both folders, else the load is refused (a shared
organization's sources are the union of both folders'). The journal entry records
what the folder defines and names, for the next load of another folder to check.

With `until`, only the facts known before that day are loaded, so that a replay
can produce what follows: memberships and office terms starting on or after it,
chairs of years beginning on or after it, and events, relations and documents
dated on or after it are left out; an interval ending on or after it is loaded
open (its end is itself a later fact); contingents of the collective forces assigned
on or after it are left out too. Sources, states, organizations, bodies and forces
are loaded whole.
"""

from __future__ import annotations

import datetime as dt
import gettext
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pycountry
from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from collsec.core import journal
from collsec.core.commands import command, query
from collsec.core.errors import Conflict, InvalidInput, UnknownOrganization
from collsec.registry import model
from collsec.registry.charter import data_dir, load_charter, read_yaml
from collsec.registry.tables import (
    BodyRow,
    ChairmanshipRow,
    EventRow,
    ForceRow,
    MembershipRow,
    OfficeRow,
    OfficeTermRow,
    OrganizationRow,
    RelationRow,
    SessionRecordRow,
    SourceRow,
    StateEventRow,
    StateRow,
)

FACT_FILES = ("sources.yaml", "states.yaml", "organizations.yaml", "memberships.yaml",
              "office_holders.yaml", "chairs.yaml", "forces.yaml", "relations.yaml",
              "timeline.yaml", "documents.yaml", "agreements.yaml", "contingents.yaml",
              "sessions.yaml", "state_events.yaml", "unified_list.yaml", "operations.yaml",
              "exercises.yaml", "exercise_scenarios.yaml")
# Readiness of a contingent in hours where no source reports one: our default, and the
# loader says so in the contingent's note.
DEFAULT_READINESS_HOURS = 72
# Replaced whole on each load. Organizations are not: sessions, incidents, missions and
# other users' records refer to them, so a reload updates them in place.
LOADED_TABLES = (StateEventRow, SessionRecordRow, EventRow, RelationRow, ForceRow, ChairmanshipRow,
                 OfficeTermRow, OfficeRow,
                 BodyRow, MembershipRow)


@dataclass(frozen=True)
class LoadResult:
    org: str
    digest: str
    changed: bool
    counts: dict[str, int]


def digest(org: str) -> str:
    h = hashlib.sha256()
    folder = data_dir(org)
    for name in ("charter.yaml", *FACT_FILES):
        path = folder.joinpath(name)
        if path.is_file():
            h.update(name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _loads(session: Session) -> dict[str, dict[str, Any]]:
    """The newest load of each organization's folder: its journal payload, by organization."""
    stmt = (select(journal.JournalEntry.payload)
            .where(journal.JournalEntry.command == "registry.load_default")
            .order_by(journal.JournalEntry.seq.desc()))
    out: dict[str, dict[str, Any]] = {}
    for payload in session.execute(stmt).scalars():
        data = json.loads(payload)
        out.setdefault(str(data.get("org")), data)
    return out


@query()
def last_loaded_digest(session: Session, org: str) -> str | None:
    data = _loads(session).get(org)
    return None if data is None else str(data.get("digest"))


@dataclass(frozen=True)
class _Others:
    """What the other organizations' loaded data defines and names: code or id -> the
    organization whose folder it is."""

    defines: dict[str, str]
    sources: dict[str, str]
    states: dict[str, str]
    organizations: dict[str, str]


def _folder_names(org: str, files: dict[str, Any]) -> dict[str, list[str]]:
    """What a folder defines and names in the shared tables (kept in its load's payload)."""
    return {"defines": defined_by(org, files["organizations.yaml"]),
            "sources": sorted(str(x["id"]) for x in files["sources.yaml"]),
            "states": sorted(str(x["code"]).upper() for x in files["states.yaml"]),
            "organizations": sorted(str(x["code"]).upper()
                                    for x in files["organizations.yaml"])}


def _others(session: Session, org: str) -> _Others:
    out = _Others({}, {}, {}, {})
    for other, payload in sorted(_loads(session).items()):
        if other == org:
            continue
        names = payload.get("names")
        if names is None:  # a load journaled before loads recorded it: read its folder
            try:
                names = _folder_names(other, {
                    name: read_yaml(other, name)
                    for name in ("sources.yaml", "states.yaml", "organizations.yaml")})
            except UnknownOrganization:  # its folder is not on the path now
                names = {"defines": [other]}
        for key in ("defines", "sources", "states", "organizations"):
            for code in names.get(key, []):
                getattr(out, key).setdefault(code, other)
    return out


def defined_by(org: str, organizations: list[dict[str, Any]]) -> list[str]:
    """The organizations a folder defines: its own, then those marked `charter_of` it."""
    out = [org]
    for item in organizations:
        if item.get("charter_of") is None:
            continue
        code = str(item["code"]).upper()
        if str(item["charter_of"]).upper() != org:
            raise InvalidInput("organizations.yaml {code}: charter_of '{named}' "
                               "must name this folder's organization, {org}", code=code,
                               named=item["charter_of"], org=org)
        if code not in out:
            out.append(code)
    return out


def _check_scope(org: str, charter: Any, files: dict[str, Any], defines: list[str],
                 others: _Others) -> None:
    """Refuse a folder that writes rows of an organization it does not define, or defines
    one another loaded organization's folder defines."""
    if str(charter.org).upper() != org:
        raise InvalidInput("charter.yaml: organization '{named}' in the folder of {org}",
                           named=charter.org, org=org)
    if org not in {str(o["code"]).upper() for o in files["organizations.yaml"]}:
        raise InvalidInput("organizations.yaml: the organization itself ({org}) is missing",
                           org=org)
    for code in defines:
        if code in others.defines:
            raise Conflict("organizations.yaml: {code} is defined by the data of "
                           "{other} already loaded; one folder defines it", code=code,
                           other=others.defines[code])
    keyed = (("memberships.yaml", None), ("chairs.yaml", org), ("relations.yaml", org),
             ("timeline.yaml", org), ("agreements.yaml", org), ("sessions.yaml", org),
             ("state_events.yaml", org))
    for name, default in keyed:
        for i, item in enumerate(files[name] or []):
            code = str(item.get("org", default)).upper()
            if code not in defines:
                raise InvalidInput(
                    "{file} #{number}: organization '{code}' is not one this folder defines "
                    "({defines}); it needs a folder of its own, or "
                    "`charter_of: {org}` in organizations.yaml", file=name, number=i + 1,
                    code=code, defines=", ".join(defines), org=org)


def _agree(table: str, key: str, row: Any, values: dict[str, Any], others: dict[str, str]
           ) -> bool:
    """Does an existing shared row read as `values`? False: update it, which only this
    organization's own data may do; one another loaded organization's data names too must
    stay as it is, so the load is refused."""
    differ = [k for k, v in values.items() if getattr(row, k) != v]
    if not differ:
        return True
    if key in others:
        k = differ[0]
        raise Conflict("{table} {key}: the data of {other} already loaded names it "
                       "with another {field} ({old}, here {new}); two "
                       "organizations' folders must agree on what they share, or use "
                       "different ids", table=table, key=key, other=others[key], field=k,
                       old=repr(getattr(row, k)), new=repr(values[k]))
    return False


@command("registry.load_default", counted=True)
def load_default(session: Session, *, actor: str, org: str,
                 until: dt.date | None = None) -> LoadResult:
    """Load the embedded organization; a second load of the same data changes nothing.

    `until`: load only what was known before that day (see the module's docstring).
    """
    org = org.upper()
    current = digest(org)
    if until is not None:  # a partial load is a different load of the same files
        current = hashlib.sha256(f"{current}:until={until.isoformat()}".encode()).hexdigest()
    previous = _loads(session).get(org)
    if previous is not None and previous.get("digest") == current:
        return LoadResult(org, current, False, {})
    charter = load_charter(org)
    files = {name: read_yaml(org, name) for name in FACT_FILES}
    names = _folder_names(org, files)
    others = _others(session, org)
    _check_scope(org, charter, files, names["defines"], others)
    if until is not None:
        files = _before(files, until)
    # this folder's organizations, and those its previous load defined (data may drop one)
    scope = sorted({*names["defines"], *((previous or {}).get("names") or {}).get(
        "defines", [org])})
    _remove_default_documents(session, scope)
    _remove_default_agreements(session, scope)
    _remove_default_contingents(session, scope)
    _remove_default_list(session, scope)
    _remove_default_operations(session, scope)
    _remove_default_exercises(session, scope)
    for table in LOADED_TABLES:
        where = table.org.in_(scope)
        session.execute(delete(table).where(and_(where, table.origin == "default"))
                        if hasattr(table, "origin") else delete(table).where(where))
    session.flush()
    counts = _insert(session, org, charter, files, others)
    counts["operations"] = _load_operations(session, org, charter, files, until)
    counts["exercises"] = _load_exercises(session, org, files, until)
    counts["exercise_scenarios"] = _load_scenarios(session, org, files, until)
    payload: dict[str, Any] = {"org": org, "digest": current, "counts": counts,
                               "names": names}
    if until is not None:
        payload["until"] = until
    journal.record(session, actor=actor, command="registry.load_default", payload=payload)
    return LoadResult(org, current, True, counts)


def _before(files: dict[str, Any], until: dt.date) -> dict[str, Any]:
    """The fact files as they stood before `until`."""

    def starts_before(item: dict[str, Any], key: str, where: str) -> bool:
        day = _date(item.get(key), where)
        return day is not None and day < until

    def opened(item: dict[str, Any], where: str) -> dict[str, Any]:
        end = _date(item.get("to"), where)
        return {k: v for k, v in item.items() if k != "to"} \
            if end is not None and end >= until else item

    out = dict(files)
    for name in ("memberships.yaml", "office_holders.yaml"):
        out[name] = [opened(item, f"{name} #{i + 1}")
                     for i, item in enumerate(files[name])
                     if starts_before(item, "from", f"{name} #{i + 1}")]
    for name in ("relations.yaml", "timeline.yaml", "documents.yaml", "sessions.yaml",
                 "state_events.yaml"):
        out[name] = [item for i, item in enumerate(files[name] or [])
                     if starts_before(item, "date", f"{name} #{i + 1}")]
    out["chairs.yaml"] = [c for c in files["chairs.yaml"] if dt.date(int(c["year"]), 1, 1) < until]
    out["contingents.yaml"] = [c for i, c in enumerate(files["contingents.yaml"])
                               if (_since(c.get("since"), f"contingents.yaml #{i + 1}")
                                   or dt.date.min) < until]
    out["unified_list.yaml"] = [e for e in (_list_before(e, until)
                                            for e in files.get("unified_list.yaml") or [])
                                if e is not None]
    if files.get("agreements.yaml"):
        out["agreements.yaml"] = [_agreement_before(a, until)
                                  for i, a in enumerate(files["agreements.yaml"])
                                  if starts_before(a, "signed_on", f"agreements.yaml #{i + 1}")]
    return out


def _list_before(item: dict[str, Any], until: dt.date) -> dict[str, Any] | None:
    """An entry of the unified list with only its steps dated before `until`; None when it
    has none by then."""
    where = f"unified_list.yaml {item.get('code')}"
    kept = {key: [s for s in item.get(key) or [] if (_date(s.get("date"), where) or until)
                  < until] for key in ("designations", "list_events")}
    if not kept["designations"] and not kept["list_events"]:
        return None
    return {**item, **kept}


def _agreement_before(item: dict[str, Any], until: dt.date) -> dict[str, Any]:
    """An agreement with only the signatures and deposits dated before `until`."""
    where = f"agreements.yaml {item.get('code')}"

    def before(value: Any) -> bool:
        day = _date(value, where)
        return day is None or day < until

    signatories = [s for s in item.get("signatories") or []
                   if isinstance(s, str) or before(s.get("on"))]
    deposits = [d for d in item.get("deposits") or [] if before(d.get("on"))]
    return {**item, "signatories": signatories, "deposits": deposits}


def _names(item: dict[str, Any], key: str = "name") -> tuple[str, str]:
    value = item.get(key) or {}
    return value.get("en", ""), value.get("ru", "")


def _fact(item: dict[str, Any], known_sources: set[str], where: str) -> dict[str, Any]:
    ids = list(item.get("sources") or [])
    if not ids:
        raise InvalidInput("{where}: every fact needs at least one source", where=where)
    missing = [i for i in ids if i not in known_sources]
    if missing:
        raise InvalidInput("{where}: unknown source id(s) {ids}", where=where,
                           ids=", ".join(missing))
    confidence = item.get("confidence", "high")
    if confidence not in model.CONFIDENCE:
        raise InvalidInput("{where}: confidence '{confidence}' is not one of high/medium/low",
                           where=where, confidence=confidence)
    note_en, note_ru = _names(item, "note") if isinstance(item.get("note"), dict) else ("", "")
    return {"sources": " ".join(ids), "confidence": confidence, "note_en": note_en,
            "note_ru": note_ru, "origin": "default"}


def _since(value: Any, where: str) -> dt.date | None:
    """A day, a month ('2003-10') or a year (2009), taken at its first day."""
    if isinstance(value, int) and not isinstance(value, bool):
        return dt.date(value, 1, 1)
    if isinstance(value, str) and len(value) == 7:
        value = f"{value}-01"
    return _date(value, where)


def _date(value: Any, where: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("{where}: '{value}' is not a date", where=where,
                           value=value) from None


def _upsert_states(session: Session, items: list[dict[str, Any]],
                   others: dict[str, str] | None = None) -> int:
    ru = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ru"], fallback=True)
    for item in items:
        code = str(item["code"]).upper()
        country = pycountry.countries.get(alpha_2=code)
        if country is None:
            raise InvalidInput("states.yaml: '{code}' is not an ISO 3166 alpha-2 code",
                               code=code)
        en, ru_name = _names(item)
        en = en or getattr(country, "common_name", None) or country.name
        ru_name = ru_name or ru.gettext(country.name)
        row = session.get(StateRow, code)
        if row is None:
            session.add(StateRow(code=code, name_en=en, name_ru=ru_name))
        elif not _agree("states.yaml", code, row, {"name_en": en, "name_ru": ru_name},
                        others or {}):
            row.name_en, row.name_ru = en, ru_name
    session.flush()
    return len(items)


def _insert(session: Session, org: str, charter: Any, files: dict[str, Any],
            others: _Others | None = None) -> dict[str, int]:
    others = others or _Others({}, {}, {}, {})
    for s in files["sources.yaml"]:
        values = {"title": s["title"], "publisher": s["publisher"],
                  "date": _date(s.get("date"), s["id"]), "url": s.get("url"),
                  "note": s.get("note", "")}
        source = session.get(SourceRow, s["id"])
        if source is None:
            session.add(SourceRow(id=s["id"], **values))
        elif not _agree("sources.yaml", s["id"], source, values, others.sources):
            for key, value in values.items():
                setattr(source, key, value)
    session.flush()
    known = {s["id"] for s in files["sources.yaml"]}
    counts = {"sources": len(known),
              "states": _upsert_states(session, files["states.yaml"], others.states)}
    for o in files["organizations.yaml"]:
        en, ru = _names(o)
        ab_en, ab_ru = _names(o, "abbreviation")
        seat_en, seat_ru = _names(o, "seat")
        values = dict(kind=o["kind"], name_en=en, name_ru=ru, abbr_en=ab_en, abbr_ru=ab_ru,
                      seat_en=seat_en, seat_ru=seat_ru, founded=_date(o.get("founded"), o["code"]),
                      **_fact(o, known, f"organizations.yaml {o['code']}"))
        code = str(o["code"]).upper()
        row = session.get(OrganizationRow, code)
        if row is None:
            session.add(OrganizationRow(code=code, **values))
            continue
        ids = values.pop("sources").split()
        if code in others.organizations:  # both folders' sources attest it
            ids = list(dict.fromkeys([*row.sources.split(), *ids]))
        if not _agree("organizations.yaml", code, row, values, others.organizations):
            for key, value in values.items():
                setattr(row, key, value)
        row.sources = " ".join(ids)
    session.flush()
    counts["organizations"] = len(files["organizations.yaml"])
    counts["memberships"] = _insert_memberships(session, org, files["memberships.yaml"],
                                                known)
    for b in charter.bodies:
        en, ru = _names(b)
        c_en, c_ru = _names(b, "composition")
        r_en, r_ru = _names(b, "role")
        session.add(BodyRow(org=org, code=b["code"], kind=b["kind"], parent=b.get("parent"),
                            name_en=en, name_ru=ru, composition_en=c_en, composition_ru=c_ru,
                            role_en=r_en, role_ru=r_ru, founded=_date(b.get("founded"), b["code"]),
                            **_fact(b, known, f"charter.yaml body {b['code']}")))
    for o in charter.offices:
        en, ru = _names(o)
        session.add(OfficeRow(org=org, code=o["code"], body=o.get("body"), name_en=en, name_ru=ru))
    counts["bodies"], counts["offices"] = len(charter.bodies), len(charter.offices)
    office_codes = {o["code"] for o in charter.offices}
    for i, t in enumerate(files["office_holders.yaml"]):
        where = f"office_holders.yaml #{i + 1}"
        if t["office"] not in office_codes:
            raise InvalidInput("{where}: unknown office '{office}'", where=where,
                               office=t["office"])
        en, ru = _names(t, "holder")
        session.add(OfficeTermRow(org=org, office=t["office"], holder_en=en, holder_ru=ru,
                                  state=t.get("state"), valid_from=_date(t["from"], where),
                                  valid_to=_date(t.get("to"), where), **_fact(t, known, where)))
    counts["office_terms"] = len(files["office_holders.yaml"])
    for c in files["chairs.yaml"]:
        where = f"chairs.yaml {c['year']}"
        session.add(ChairmanshipRow(org=c.get("org", org), year=int(c["year"]), state=c["state"],
                                    **_fact(c, known, where)))
    counts["chairs"] = len(files["chairs.yaml"])
    for f in files["forces.yaml"]:
        en, ru = _names(f)
        session.add(ForceRow(org=org, code=f["code"], name_en=en, name_ru=ru,
                             founded_year=f.get("founded"),
                             **_fact(f, known, f"forces.yaml {f['code']}")))
    counts["forces"] = len(files["forces.yaml"])
    for r in files["relations.yaml"]:
        en, ru = _names(r, "title")
        where = f"relations.yaml {r['partner']} {r['date']}"
        if r["kind"] not in model.RELATION_KINDS:
            raise InvalidInput("{where}: {key} '{value}' is not one of {allowed}", where=where,
                               key="kind", value=r["kind"],
                               allowed=", ".join(model.RELATION_KINDS))
        session.add(RelationRow(org=r.get("org", org), partner=r["partner"], kind=r["kind"],
                                date=_date(r["date"], where), title_en=en, title_ru=ru,
                                **_fact(r, known, where)))
    counts["relations"] = len(files["relations.yaml"])
    for e in files["timeline.yaml"]:
        en, ru = _names(e, "title")
        where = f"timeline.yaml {e['date']}"
        session.add(EventRow(org=e.get("org", org), date=_date(e["date"], where), title_en=en,
                             title_ru=ru, **_fact(e, known, where)))
    counts["events"] = len(files["timeline.yaml"])
    counts["session_records"] = _insert_session_records(session, org, charter,
                                                        files["sessions.yaml"] or [], known)
    counts["state_events"] = _insert_state_events(session, org, charter,
                                                  files["state_events.yaml"] or [], known)
    session.flush()
    counts["documents"] = _insert_documents(session, org, files["documents.yaml"], known)
    counts["agreements"] = _insert_agreements(session, org, files["agreements.yaml"] or [], known)
    counts["contingents"] = _load_contingents(
        session, org, files["contingents.yaml"] or [], known,
        forces={f["code"] for f in files["forces.yaml"]})
    counts["list_entries"] = _load_list(session, org, files["unified_list.yaml"] or [], known)
    return counts


def _remove_default_list(session: Session, scope: list[str]) -> None:
    from collsec.exchange import listing  # the exchange owns the list; it loads with the rest

    listing.remove_default(session, scope)


def _remove_default_operations(session: Session, scope: list[str]) -> None:
    from collsec.operations import embedded  # operations own their tables; they load here

    embedded.remove_default(session, scope)


def _load_operations(session: Session, org: str, charter: Any, files: dict[str, Any],
                     until: dt.date | None) -> int:
    """The standing operations, their stages and published figures (operations.yaml; the
    indicators are the charter's `operations.indicators`)."""
    from collsec.operations import embedded

    return embedded.load(session, org, files.get("operations.yaml") or [],
                         charter.raw.get("operations") or {},
                         [str(s["code"]).upper() for s in files["states.yaml"]],
                         [str(s["id"]) for s in files["sources.yaml"]], until=until)


def _remove_default_exercises(session: Session, scope: list[str]) -> None:
    from collsec.exercises import embedded  # exercises own their tables; they load here

    embedded.remove_default(session, scope)


def _load_exercises(session: Session, org: str, files: dict[str, Any],
                    until: dt.date | None) -> int:
    """The exercises of the collective forces (exercises.yaml)."""
    from collsec.exercises import embedded

    return embedded.load(session, org, files.get("exercises.yaml") or [],
                         [str(s["code"]).upper() for s in files["states.yaml"]],
                         [str(s["id"]) for s in files["sources.yaml"]],
                         [str(f["code"]) for f in files["forces.yaml"]], until=until)


def _load_scenarios(session: Session, org: str, files: dict[str, Any],
                    until: dt.date | None) -> int:
    """The training scenarios exercise staff can run at once (exercise_scenarios.yaml)."""
    from collsec.exercises import embedded

    return embedded.load_scenarios(session, org, files.get("exercise_scenarios.yaml") or [],
                                   until=until)


def _load_list(session: Session, org: str, items: list[dict[str, Any]], known: set[str]) -> int:
    """The unified list of organizations recognized as terrorist (unified_list.yaml)."""
    from collsec.exchange import listing

    def required_date(value: Any, where: str) -> dt.date:
        day = _date(value, where)
        if day is None:
            raise InvalidInput("{where}: a date is required", where=where)
        return day

    return listing.load(session, org, items, lambda item, where: _fact(item, known, where),
                        required_date, _names)


def _insert_session_records(session: Session, org: str, charter: Any,
                            items: list[dict[str, Any]], known: set[str]) -> int:
    """The register of the bodies' sessions; a session's chair carries its own sources."""
    bodies = {b["code"] for b in charter.bodies}
    for item in items:
        where = f"sessions.yaml {item.get('body')} {item.get('date')}"
        for key, allowed in (("kind", model.SESSION_KINDS), ("format", model.SESSION_FORMATS),
                             ("status", model.SESSION_STATUSES), ("body", tuple(bodies))):
            value = item.get(key, "held" if key == "status" else None)
            if value not in allowed:
                raise InvalidInput("{where}: {key} '{value}' is not one of {allowed}",
                                   where=where, key=key, value=value,
                                   allowed=", ".join(sorted(allowed)))
        chair = item.get("chair") or {}
        chair_fact = _fact(chair, known, f"{where} chair") if chair else {}
        en, ru = _names(item, "city")
        d_en, d_ru = _names(item, "documents")
        session.add(SessionRecordRow(
            org=str(item.get("org", org)).upper(), body=item["body"],
            date=_date(item["date"], where), kind=item["kind"], format=item["format"],
            status=item.get("status", "held"), city_en=en, city_ru=ru, host=item.get("host"),
            documents_en=d_en, documents_ru=d_ru, chair=chair.get("state"),
            chair_sources=chair_fact.get("sources", ""),
            chair_confidence=chair_fact.get("confidence", ""),
            chair_note_en=chair_fact.get("note_en", ""),
            chair_note_ru=chair_fact.get("note_ru", ""),
            absent=" ".join(str(a).upper() for a in item.get("absent") or []),
            **_fact(item, known, where)))
    return len(items)


def _insert_state_events(session: Session, org: str, charter: Any,
                         items: list[dict[str, Any]], known: set[str]) -> int:
    """A member's course: dated steps, each by an actor that is a state or a body."""
    bodies = {b["code"] for b in charter.bodies}
    for item in items:
        where = f"state_events.yaml {item.get('state')} {item.get('date')}"
        day = _date(item["date"], where)
        for key, allowed in (("kind", model.EVENT_KINDS), ("precision", model.PRECISIONS)):
            value = item.get(key, "day" if key == "precision" else None)
            if value not in allowed:
                raise InvalidInput("{where}: {key} '{value}' is not one of {allowed}",
                                   where=where, key=key, value=value,
                                   allowed=", ".join(allowed))
        precision = item.get("precision", "day")
        if day is None or (precision != "day" and day.day != 1) or (
                precision == "year" and day.month != 1):
            raise InvalidInput("{where}: a date known to the {precision} is its first day",
                               where=where, precision=precision)
        actor = str(item.get("actor", "")).upper()
        if actor not in bodies and session.get(StateRow, actor) is None:
            raise InvalidInput("{where}: actor '{actor}' is neither a state nor a body",
                               where=where, actor=actor)
        en, ru = _names(item, "title")
        session.add(StateEventRow(org=str(item.get("org", org)).upper(),
                                  state=str(item["state"]).upper(), date=day,
                                  precision=precision, kind=item["kind"], actor=actor,
                                  title_en=en, title_ru=ru, **_fact(item, known, where)))
    return len(items)


def _secretariat(org: str, levels: frozenset[str], actions: frozenset[str]
                 ) -> tuple[Any, Any]:
    """The loader acts as the organization's secretariat, the organ its charter names for
    that part (`access.roles`): the embedded documents and agreements are recorded by it."""
    from collsec.core.auth import service as auth
    from collsec.core.auth.model import Clearance

    organ = auth.organ_for(load_charter(org).raw, "secretariat")
    actor = auth.Actor(None, "system", organ, frozenset({"editor"}), "cli")
    c = Clearance(organ.key, "system", levels, actions, "loading the organization's data",
                  "cli", frozenset({"secretariat"}))
    return actor, c


def _secretariat_editor(org: str) -> tuple[Any, Any]:
    """The embedded documents are recorded as published by the secretariat."""
    return _secretariat(org, frozenset({"public", "observers", "members"}),
                        frozenset({"read", "publish"}))


def _insert_documents(session: Session, org: str, items: list[dict[str, Any]],
                      known: set[str]) -> int:
    from collsec.documents.service import create_document

    if not items:
        return 0
    actor, c = _secretariat_editor(org)
    for i, d in enumerate(items):
        where = f"documents.yaml #{i + 1}"
        fact = _fact(d, known, where)
        en, ru = _names(d, "title")
        s_en, s_ru = _names(d, "summary")
        row = create_document(session, c, actor, kind=d["kind"], date=_date(d["date"], where),
                              title_en=en, title_ru=ru, visibility=d["visibility"],
                              released_to=d.get("released_to"), number=str(d.get("number", "")),
                              body=d.get("body"), summary_en=s_en, summary_ru=s_ru, org=org,
                              sources=fact["sources"].split(), origin="default")
        row.confidence = fact["confidence"]
    return len(items)


def _remove_default_documents(session: Session, orgs: list[str] | None = None) -> None:
    """Default documents (of `orgs`; None: of every organization) go with their releases."""
    from collsec.core.auth.tables import ReleaseRow
    from collsec.documents.tables import DocumentRow

    where = DocumentRow.origin == "default"
    if orgs is not None:
        where = and_(where, DocumentRow.org.in_(orgs))
    ids = select(DocumentRow.id).where(where)
    session.execute(delete(ReleaseRow).where(ReleaseRow.object_type == "document",
                                             ReleaseRow.object_id.in_(ids)))
    session.execute(delete(DocumentRow).where(where))


def _insert_memberships(session: Session, org: str, items: list[dict[str, Any]],
                        known: set[str]) -> int:
    """Status intervals, recorded by the secretariat through the registry's own command."""
    from collsec.registry.service import add_membership  # one write path for intervals

    if not items:
        return 0
    actor, c = _secretariat(org, frozenset({"public"}), frozenset({"read", "edit_registry"}))
    for i, m in enumerate(items):
        where = f"memberships.yaml #{i + 1} ({m.get('org')} {m.get('state')})"
        fact = _fact(m, known, where)
        add_membership(session, c, actor, org=m["org"], state=m["state"],
                       status=m["status"], valid_from=_date(m["from"], where),  # type: ignore[arg-type]
                       valid_to=_date(m.get("to"), where), source_ids=fact["sources"].split(),
                       confidence=fact["confidence"], note_en=fact["note_en"],
                       note_ru=fact["note_ru"], origin="default")
    return len(items)


def _insert_agreements(session: Session, org: str, items: list[dict[str, Any]],
                       known: set[str]) -> int:
    """Agreements, their signatories and sourced deposits, through the agreement service."""
    from collsec.decisions import agreement_service

    if not items:
        return 0
    actor, c = _secretariat(org, frozenset({"public"}), frozenset({"read", "edit_registry"}))
    for i, a in enumerate(items):
        where = f"agreements.yaml #{i + 1} ({a.get('code')})"
        fact = _fact(a, known, where)
        en, ru = _names(a, "title")
        p_en, p_ru = _names(a, "place")
        entry = a.get("entry") or {}
        signatories = [(s, None) if isinstance(s, str) else (s["state"], _date(s.get("on"), where))
                       for s in a.get("signatories") or []]
        agreement_service.register_agreement(
            session, c, actor, code=a["code"], title_en=en, title_ru=ru,
            signed_on=_date(a["signed_on"], where),  # type: ignore[arg-type]
            place_en=p_en, place_ru=p_ru, rule=entry.get("rule", ""), n=entry.get("n"),
            delay_days=int(entry.get("delay_days", 0)), signatories=signatories,
            sources=fact["sources"].split(), confidence=fact["confidence"],
            note_en=fact["note_en"], note_ru=fact["note_ru"], org=a.get("org", org),
            origin="default")
        if a.get("in_force"):
            stated = _fact(a["in_force"], known, f"{where} in_force")
            row = agreement_service.get_agreement(session, a["code"])
            row.in_force_since = _date(a["in_force"]["since"], where)
            row.in_force_sources = stated["sources"]
        for j, d in enumerate(a.get("deposits") or []):
            dep = _fact(d, known, f"{where} deposit #{j + 1}")
            agreement_service.record_deposit(
                session, c, actor, code=a["code"], state=d["state"],
                deposited_on=_date(d["on"], where),  # type: ignore[arg-type]
                instrument=str(d.get("instrument", "")), sources=dep["sources"].split())
    return len(items)


def _remove_default_agreements(session: Session, orgs: list[str] | None = None) -> None:
    """Default agreements (of `orgs`; None: of every organization) go with their signatures
    and deposits (all made by the data)."""
    from collsec.decisions.tables import AgreementRow, DepositRow, SignatureRow

    where = AgreementRow.origin == "default"
    if orgs is not None:
        where = and_(where, AgreementRow.org.in_(orgs))
    ids = select(AgreementRow.id).where(where)
    session.execute(delete(DepositRow).where(DepositRow.agreement_id.in_(ids)))
    session.execute(delete(SignatureRow).where(SignatureRow.agreement_id.in_(ids)))
    session.execute(delete(AgreementRow).where(where))


def _contingent(item: dict[str, Any], known: set[str], forces: set[str],
                where: str) -> dict[str, Any]:
    """One entry of contingents.yaml as row values; an unreported figure is marked so."""
    from collsec.crisis import geo

    fact = _fact(item, known, where)
    if item.get("force") not in forces:
        raise InvalidInput("{where}: unknown force '{force}'; forces: {forces}", where=where,
                           force=item.get("force"), forces=", ".join(sorted(forces)))
    unit = str(item.get("unit_type") or "").strip()
    base = str(item.get("home_base") or "").strip()
    if not unit or len(unit) > 80 or len(base) > 200:
        raise InvalidInput("{where}: a unit type of 1-80 characters and a home base of at "
                           "most 200 are needed", where=where)
    extra_en, extra_ru = [], []
    counts = {}
    for key, default in (("personnel", 0), ("readiness_hours", DEFAULT_READINESS_HOURS)):
        value = item.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
            raise InvalidInput("{where}: {key} must be a whole number >= 0, got {value!r}",
                               where=where, key=key, value=value)
        counts[key] = value
    if "personnel" not in item:
        extra_en.append("Personnel: not reported (stored as 0).")
        extra_ru.append("Численность: не сообщается (записано 0).")
    if "readiness_hours" not in item:
        extra_en.append(f"Readiness: not reported; {DEFAULT_READINESS_HOURS} h is "
                        "collsec's default.")
        extra_ru.append(f"Готовность: не сообщается; {DEFAULT_READINESS_HOURS} ч — "
                        "значение collsec по умолчанию.")
    home = item.get("home")
    if not isinstance(home, list) or len(home) != 2:
        raise InvalidInput("{where}: home must be [lon, lat]", where=where)
    try:
        lon, lat = geo.validate_geometry({"type": "Point", "coordinates": home}).point
    except InvalidInput as exc:
        raise exc.within("{where}", where=where) from None
    fact["note_en"] = " ".join([fact["note_en"], *extra_en]).strip()
    fact["note_ru"] = " ".join([fact["note_ru"], *extra_ru]).strip()
    return {"force": item["force"], "state": str(item.get("state", "")).upper(),
            "unit_type": unit, "home_base": base, "home_lon": lon, "home_lat": lat,
            "since": _since(item.get("since"), where), **counts,
            "personnel_reported": "personnel" in item,
            "readiness_reported": "readiness_hours" in item, **fact}


def _load_contingents(session: Session, org: str, items: list[dict[str, Any]],
                      known: set[str], *, forces: set[str]) -> int:
    """The embedded catalogue of contingents. A default unit still there (one a mission's
    offer names) is updated in place when the data has the same force, state and unit
    type, and otherwise kept, so that the offer keeps its unit."""
    from collsec.crisis.forces.tables import ContingentRow

    states = set(session.execute(select(StateRow.code)).scalars())
    old = {(r.force, r.state, r.unit_type): r for r in session.execute(
        select(ContingentRow).where(ContingentRow.org == org,
                                    ContingentRow.origin == "default")).scalars()}
    for i, item in enumerate(items):
        where = f"contingents.yaml #{i + 1} ({item.get('force')} {item.get('state')})"
        values = _contingent(item, known, forces, where)
        if values["state"] not in states:
            raise InvalidInput("{where}: unknown state '{state}'", where=where,
                               state=values["state"])
        row = old.pop((values["force"], values["state"], values["unit_type"]), None)
        if row is None:
            row = ContingentRow(org=org)
            session.add(row)
        for key, value in values.items():
            setattr(row, key, value)
    session.flush()
    return len(items)


def _remove_default_contingents(session: Session, orgs: list[str] | None = None) -> None:
    """Default contingents (of `orgs`; None: of every organization) go, but for those a
    mission's offer names (see above)."""
    from collsec.crisis.forces.tables import ContingentRow, OfferRow

    offered = select(OfferRow.contingent_id).where(OfferRow.contingent_id.is_not(None))
    where = and_(ContingentRow.origin == "default", ContingentRow.id.not_in(offered))
    if orgs is not None:
        where = and_(where, ContingentRow.org.in_(orgs))
    session.execute(delete(ContingentRow).where(where))


# -- the journal the loads (and every command) write, as the command line reads it ---------

@query()
def verify_journal(session: Session, *, after: journal.Checkpoint | None = None
                   ) -> journal.Verdict:
    """Recompute the journal's hash chain (from the first entry, or after a checkpoint)."""
    return journal.verify(session, after=after)


@query()
def journal_entries(session: Session, *, limit: int = 50) -> list[journal.JournalEntry]:
    """The newest journal entries, newest first."""
    return journal.entries(session, limit=limit)
