"""`collsec session ...` and `collsec withdrawal`: the charter engine at the command line.

Its commands act as the user `--as` names (default: the `operator` account of the
organization's secretariat that `collsec db setup` creates), through the decision
point like any user, and `session position` as a representative of the delegation
whose position that user records. The services still apply every rule of the charter: seats, open
items, kinds of matter, the notice period.

`collsec.cli` imports this module at its end, and this module adds its commands to
`collsec.cli.app`; each command maps bad input to one `error:` line and exit 2, and
each change runs in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer
from rich.table import Table

from collsec.cli import (
    JSON,
    LANG,
    ORG,
    _emit_json,
    _ensure_schema,
    app,
    context,
    handles_errors,
    os_user,
    out,
)
from collsec.core import i18n
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.core.commands import reading
from collsec.core.context import Context
from collsec.core.dates import parse_date
from collsec.core.errors import InvalidInput
from collsec.decisions import membership, seating, sessions
from collsec.registry import service as registry

session_app = typer.Typer(
    help="Sessions of the bodies: convene, seat delegations, put items, record positions, "
    "close items. Acts as the user --as names (default: operator).", no_args_is_help=True)
app.add_typer(session_app, name="session")

SOURCES = typer.Option([], "--source", help="source id (repeatable)")
MAX_ID = 2_147_483_647  # ids are integer columns; PostgreSQL refuses anything larger


SESSION_ID = typer.Argument(..., min=1, max=MAX_ID, help="session id")
ITEM_ID = typer.Argument(..., min=1, max=MAX_ID, help="agenda item id")


def _fits(value: str, limit: int, option: str) -> str:
    """Text for a column of `limit` characters; longer is bad input, not a database error."""
    if len(value) > limit:
        raise InvalidInput("{option} is at most {limit} characters", option=option, limit=limit)
    return value


# -- who the command line acts as ---------------------------------------------------------

def delegation(state: str) -> auth.Actor:
    """A representative of `state`'s delegation, for the positions the operator records."""
    return auth.Actor(None, os_user(), Principal("delegation", state.strip().upper()),
                      frozenset({"representative"}), "cli")


def _session_context(session_id: int, actor: auth.Actor | None = None) -> Context:
    """The context of a change to a session: in the session's organization (an unknown
    session is refused before anyone is cleared), as `actor` (default: the operator)."""
    with reading(None) as read:  # a session and its organization are public acts
        org = read(sessions.get_session, session_id).org
    return context(org, actor=actor)


def _item_context(item_id: int, actor: auth.Actor | None = None) -> Context:
    """`_session_context` of the session an agenda item is on."""
    with reading(None) as read:
        org = read(sessions.get_session, read(sessions.get_item, item_id).session_id).org
    return context(org, actor=actor)


def _required(value: str | None, field: str) -> dt.date:
    day = parse_date(value, field=field)
    if day is None:
        raise InvalidInput("{field} is required", field=field)
    return day


# -- printing ------------------------------------------------------------------------------

def _print_item(item: dict[str, Any], lang: str, names: dict[str, dict[str, str]]) -> None:
    _ = i18n.gettext_for(lang)
    o = item["outcome"]
    verdict = _("adopted") if o["adopted"] else _("not adopted")
    state = _("final outcome") if o["final"] else _("as the positions stand now")
    out.print(f"[{item['id']}] {item['number']}. {item['title'][lang] or item['title']['en']}"
              f" ({item['draft_kind']}, {item['matter']}) — {verdict} ({state})",
              markup=False, soft_wrap=True)
    out.print(f"    {o['explanation']}", markup=False, soft_wrap=True)
    for p in item["positions"]:
        name = names.get(p["state"], {}).get(lang, p["state"])
        extra = f" — {p['reservation']}" if p["reservation"] else ""
        if p["by_proxy"]:  # recorded by the Secretariat, not yet confirmed by the delegation
            extra += " [" + _("by proxy, on {note}").format(note=p["instruction"]) + "]"
        elif p["instruction"]:  # the delegation's own, over a proxy it replaced
            extra += " [" + _("first recorded by proxy, on {note}").format(
                note=p["instruction"]) + "]"
        out.print(f"    {name} ({p['state']}): {p['position']}{extra}", markup=False,
                  soft_wrap=True)
    if item["document_id"]:
        out.print(f"    {_('The adopted document')}: {item['document_id']}", markup=False)


# -- queries ------------------------------------------------------------------------------

@session_app.command("list")
@handles_errors
def session_list(org: str = ORG, body: str | None = typer.Option(None, help="body code"),
                 year: int | None = typer.Option(None, min=1, max=9999),
                 as_json: bool = JSON) -> None:
    """Sessions of the bodies, newest first."""
    _ensure_schema()
    ctx = context(org)
    with reading(ctx) as read:
        if body:  # a body the organization does not have is a typo, not an empty list
            read(registry.body, ctx.org, body)
        rows = read(sessions.list_sessions, body=body, year=year)
        data: list[dict[str, Any]] = [
            {"id": r.id, "date": r.date.isoformat(), "body": r.body, "kind": r.kind,
             "format": r.format, "host_state": r.host_state, "city": r.city_en,
             "chair_state": r.chair_state, "items": len(read(sessions.items, r.id))}
            for r in rows]
    if as_json:
        _emit_json(data)
        return
    table = Table()
    for col in ("id", "date", "body", "kind", "format", "place", "chair", "items"):
        table.add_column(col)
    for d in data:
        place = ", ".join(x for x in (d["city"], d["host_state"]) if x)
        table.add_row(str(d["id"]), d["date"], d["body"], d["kind"], d["format"], place,
                      d["chair_state"] or "", str(d["items"]))
    out.print(table)


@session_app.command("show")
@handles_errors
def session_show(session_id: int = SESSION_ID,
                 as_json: bool = JSON, lang: str | None = LANG) -> None:
    """A session: its delegations and agenda, each item with its outcome and the positions."""
    from collsec.decisions.outcomes import session_view

    _ensure_schema()
    ctx = context(lang=lang)
    lang = ctx.lang
    data = session_view.run(ctx, session_id, lang)
    if as_json:
        _emit_json(data)
        return
    names = data["state_names"]
    body = data["body"][f"name_{lang}"]
    place = ", ".join(x for x in (data["city"][lang], data["host_state"]) if x)
    out.print(f"session {data['id']}: {body} ({data['body']['code']}), {data['kind']}, "
              f"{data['format']}, {data['date']}" + (f", {place}" if place else ""),
              markup=False, soft_wrap=True)
    out.print(f"chair: {data['chair_state'] or '—'}; delegations: "
              + (", ".join(p["state"] for p in data["participants"]) or "—"), markup=False,
              soft_wrap=True)
    for item in data["items"]:
        _print_item(item, lang, names)


# -- commands ------------------------------------------------------------------------------

@session_app.command("convene")
@handles_errors
def session_convene(body: str = typer.Option(..., help="body code, e.g. CSC"),
                    date: str = typer.Option(..., help="YYYY-MM-DD"),
                    kind: str = typer.Option("regular", help="regular or extraordinary"),
                    format: str = typer.Option("in_person", help="in_person or video"),
                    host: str | None = typer.Option(None, help="host state code"),
                    city_en: str = typer.Option("", help="city, in English"),
                    city_ru: str = typer.Option("", help="city, in Russian"),
                    requested_by: list[str] = typer.Option(
                        [], "--requested-by", help="state asking for an extraordinary "
                        "session (repeatable)"),
                    org: str = ORG, source: list[str] = SOURCES) -> None:
    """Convene a session of a deciding body; its chair is the chair of the year."""
    day = _required(date, "--date")
    _fits(city_en, 100, "--city-en")
    _fits(city_ru, 100, "--city-ru")
    _ensure_schema()
    ctx = context(org)
    row = sessions.convene.run(ctx, org=ctx.org, body=body, kind=kind, date=day,
                               format=format, host_state=host, city_en=city_en,
                               city_ru=city_ru, requested_by=requested_by, sources=source)
    sid, chair = row.id, row.chair_state
    out.print(f"convened session {sid}: {body.upper()} {kind} on {day} (chair {chair})",
              markup=False)


@session_app.command("seat")
@handles_errors
def session_seat(session_id: int = SESSION_ID,
                 state: str | None = typer.Argument(None, help="state code (or --all)"),
                 represented_by: str = typer.Option("", help="who heads the delegation"),
                 every: bool = typer.Option(False, "--all", help="seat every entitled "
                                            "delegation not seated yet, in one command")
                 ) -> None:
    """Seat a delegation, or with --all every one entitled to sit that day and not seated
    yet; only states entitled to sit in the bodies that day."""
    _fits(represented_by, 300, "--represented-by")
    if every == (state is not None):
        raise InvalidInput("name one state or give --all")
    if every and represented_by:
        raise InvalidInput("--represented-by names one delegation's head; seat that "
                           "delegation on its own")
    _ensure_schema()
    ctx = _session_context(session_id)
    if state is not None:
        row = sessions.seat.run(ctx, session_id=session_id, state=state,
                                represented_by=represented_by)
        seated = row.state
        out.print(f"seated {seated} at session {session_id}", markup=False)
        return
    with reading(ctx) as read:
        unseated = read(seating.unseated, session_id)
    if not unseated:
        out.print(f"every entitled delegation is already seated at session {session_id}",
                  markup=False)
        return
    rows = seating.seat_delegations.run(ctx, session_id=session_id,
                                        seats={s: "" for s in unseated})
    codes = ", ".join(r.state for r in rows)
    out.print(f"seated {codes} at session {session_id}", markup=False)


@session_app.command("item")
@handles_errors
def session_item(session_id: int = SESSION_ID,
                 title_en: str = typer.Option(..., help="title in English"),
                 title_ru: str = typer.Option("", help="title in Russian"),
                 draft_kind: str = typer.Option("decision", help="decision, statement, "
                                                "declaration, joint_statement, agreement"),
                 matter: str = typer.Option("substantive", help="procedural, substantive, "
                                            "admission, suspension, ..."),
                 subject: str | None = typer.Option(None, help="the state a membership "
                                                    "matter concerns"),
                 effective_on: str | None = typer.Option(None, help="YYYY-MM-DD a membership "
                                                         "decision takes effect")) -> None:
    """Put a draft on a session's agenda; the charter decides whether the body may."""
    effective = parse_date(effective_on, field="--effective-on")
    _ensure_schema()
    row = sessions.add_item.run(_session_context(session_id), session_id=session_id,
                                title_en=title_en, title_ru=title_ru, draft_kind=draft_kind,
                                matter=matter, subject_state=subject, effective_on=effective)
    item_id, number = row.id, row.number
    out.print(f"item {item_id} is number {number} on the agenda of session {session_id}",
              markup=False)


@session_app.command("position")
@handles_errors
def session_position(item_id: int = ITEM_ID,
                     state: str = typer.Argument(..., help="the delegation's state code"),
                     position: str = typer.Argument(..., help="support, object, abstain or "
                                                    "not_participating"),
                     reservation: str = typer.Option("", help="the delegation's reservation"),
                     as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Record a position received from a state's delegation, and show the new outcome.

    The operator records what the delegation stated (in writing or at the table): the
    command acts as a representative of that state's delegation (delegation:STATE, role
    representative), so the same rules hold as for the delegation's own users: the item
    must be open and the state must hold a seat on the matter on the session's date.
    """
    from collsec.decisions.outcomes import outcome_dict

    _ensure_schema()
    lang = i18n.normalize(lang)
    _ = i18n.gettext_for(lang)
    ctx = _item_context(item_id, delegation(state))
    ev = sessions.record_position.run(ctx, item_id=item_id, state=state, position=position,
                                      reservation=reservation.strip())
    data = outcome_dict.run(ctx, ev, lang, ctx.org, final=False)
    if as_json:
        _emit_json({"item": item_id, "state": state.upper(), "position": position,
                    "reservation": reservation.strip(), "outcome": data})
        return
    out.print(f"recorded {state.upper()}: {position} on item {item_id}", markup=False)
    out.print(_("adopted") if data["adopted"] else _("not adopted"), markup=False)
    out.print(data["explanation"], markup=False, soft_wrap=True)


@session_app.command("proxy")
@handles_errors
def session_proxy(item_id: int = ITEM_ID,
                  state: str = typer.Argument(..., help="the absent delegation's state code"),
                  position: str = typer.Argument(..., help="support, object, abstain or "
                                                 "not_participating"),
                  instruction: str = typer.Option(..., help="the written instruction it "
                                                  "rests on (the note's reference)"),
                  reservation: str = typer.Option("", help="the delegation's reservation"),
                  as_json: bool = JSON, lang: str | None = LANG) -> None:
    """The Secretariat records the position of a delegation that has stated none, on its
    written instruction. It is marked as a proxy everywhere; the delegation confirms or
    overrides it until the item closes, and a proxy never replaces the delegation's own."""
    from collsec.decisions.outcomes import outcome_dict

    _ensure_schema()
    lang = i18n.normalize(lang)
    _ = i18n.gettext_for(lang)
    ctx = _item_context(item_id)
    ev = sessions.record_proxy_position.run(ctx, item_id=item_id, state=state,
                                            position=position, instruction=instruction,
                                            reservation=reservation.strip())
    data = outcome_dict.run(ctx, ev, lang, ctx.org, final=False)
    if as_json:
        _emit_json({"item": item_id, "state": state.upper(), "position": position,
                    "by_proxy": True, "instruction": instruction.strip(),
                    "reservation": reservation.strip(), "outcome": data})
        return
    out.print(f"recorded {state.upper()}: {position} on item {item_id}, by proxy on "
              f"{instruction.strip()}", markup=False, soft_wrap=True)
    out.print(_("adopted") if data["adopted"] else _("not adopted"), markup=False)
    out.print(data["explanation"], markup=False, soft_wrap=True)


@session_app.command("close")
@handles_errors
def session_close(item_id: int = ITEM_ID,
                  as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Close an item and freeze its outcome; an adopted draft becomes a document.

    An adopted membership decision (admission, suspension, ...) also changes the
    registry in the same transaction.
    """
    from collsec.decisions.outcomes import item_view

    _ensure_schema()
    lang = i18n.normalize(lang)
    ctx = _item_context(item_id)
    closed = sessions.close_item.run(ctx, item_id=item_id)
    with reading(ctx) as read:  # the item as it closed
        data = read(item_view, closed.item.id, lang)
        names = {st.code: {"en": st.name_en, "ru": st.name_ru}
                 for st in read(registry.list_states)}
    if as_json:
        _emit_json(data)
        return
    _print_item(data, lang, names)


@app.command("withdrawal")
@handles_errors
def withdrawal(state: str = typer.Argument(..., help="state code"),
               notice_on: str = typer.Option(..., help="YYYY-MM-DD the written notice was "
                                             "received"),
               org: str = ORG, source: list[str] = SOURCES) -> None:
    """Record a member's notice of withdrawal; it takes effect after the charter's period."""
    day = _required(notice_on, "--notice-on")
    _ensure_schema()
    row = membership.notify_withdrawal.run(context(org), state=state, notice_on=day,
                                           sources=source)
    st, effective, org_code = row.state, row.effective_on, row.org
    out.print(f"{st} gave notice on {day}; it withdraws from {org_code} on {effective}",
              markup=False)
