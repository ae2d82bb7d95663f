"""The `collsec` command: registry queries, database setup, journal checks, the server.

The charter engine's session commands (`collsec session ...`, `collsec withdrawal`) live
in `collsec/decisions/cli.py` and are added to `app` at the end of this module.

Every command maps domain errors to one line on stderr and exit status 2, and
every command that changes data runs in one transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from collsec import startup
from collsec.accounts.operator import OPERATOR, ensure_operator
from collsec.core import clock, i18n, journal, migrate, settings
from collsec.core.auth import service as auth
from collsec.core.commands import reading
from collsec.core.context import Context
from collsec.core.dates import parse_date
from collsec.core.errors import CollsecError, Conflict, InvalidInput, NotFound
from collsec.registry import chairs, defaults, participation, relations, service
from collsec.web.names import AUDIT_KINDS

if TYPE_CHECKING:  # the click that typer carries, whose context a group's methods take
    from typer._click import Context as ClickContext

F = TypeVar("F", bound=Callable[..., Any])
ARGS = "collsec.args"  # the context's meta: the command line's words


def refuse(exc: CollsecError, lang: str) -> NoReturn:
    """The one line a refusal prints on stderr, starting `error:` in every language (for
    scripts), and exit status 2."""
    typer.echo(f"error: {i18n.message(exc, lang)}", err=True)
    raise typer.Exit(2) from None


# What a value that did not convert was refused for (pydantic's error types, as typer's
# conversion reports them), in our words: the option, the rule, the value as typed.
_CONVERSIONS = {
    "greater_than_equal": "{option} must be at least {ge}, not {value}",
    "less_than_equal": "{option} must be at most {le}, not {value}",
    "int_parsing": "{option} takes a whole number, not '{value}'",
    "int_from_float": "{option} takes a whole number, not '{value}'",
    "float_parsing": "{option} takes a number, not '{value}'",
}


def _named(param: Any) -> str:
    """A parameter as a message names it: an option by its flag, an argument as its help
    shows it."""
    if param is None:
        return "?"
    if param.param_type_name == "option":
        return str(max(param.opts, key=len))
    return str(param.metavar or (param.name or "?").upper())


def _bad_value(exc: typer.BadParameter, cause: ValidationError) -> CollsecError:
    """A value typer could not convert for its option or argument, as bad input."""
    option = _named(exc.param)
    error = cause.errors()[0]
    value = str(error.get("input", ""))[:40]
    template = _CONVERSIONS.get(error["type"])
    if template is None:
        return InvalidInput("{option} does not take '{value}': {reason}", option=option,
                            value=value, reason=exc.message)
    return InvalidInput(template, option=option, value=value, **(error.get("ctx") or {}))


def _typed_language(args: list[str]) -> str | None:
    """The `--lang` a command line gives, read from its words: a value refused before it
    was parsed leaves it unparsed."""
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return None


class _Commands(TyperGroup):
    """The `collsec` group. A bad value of a known option or argument (a number out of its
    range or not a number, a word not among an option's values) is refused like any bad
    input: one `error:` line and exit 2, in the command's language. A command line of the
    wrong shape (an unknown option, a missing one) keeps click's usage message, which
    shows the shape."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        ctx.meta[ARGS] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise  # a missing option: click's usage message
            refuse(_bad_value(exc, exc.__cause__), _language_of(ctx))
        except CollsecError as exc:  # an option's own check (`one_of`, `--lang`)
            refuse(exc, _language_of(ctx))


def _language_of(ctx: ClickContext) -> str:
    typed = _typed_language(ctx.meta.get(ARGS, []))
    return i18n.normalize(typed) if typed else i18n.environment_language()


def one_of(option: str, values: Iterable[str]) -> Callable[[str | None], str | None]:
    """An option's check: its value is one of `values` (or not given)."""
    allowed = tuple(values)

    def check(value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise InvalidInput("{option}: '{value}' is not one of {values}", option=option,
                               value=value[:40], values=", ".join(allowed))
        return value

    return check


def _language(ctx: typer.Context, value: str | None) -> str | None:
    """`--lang` typed on the command line is en or ru; COLLSEC_LANG is read as a locale
    is (`i18n.environment_language`), English where it names no language we speak."""
    typed = _typed_language(ctx.meta.get(ARGS, []))
    if typed is not None and typed.strip().lower() not in i18n.LANGUAGES:
        raise InvalidInput("{option}: '{value}' is not one of {values}", option="--lang",
                           value=typed[:40], values=", ".join(i18n.LANGUAGES))
    return value


app = typer.Typer(help="collsec: the platform of a collective security organization.",
                  no_args_is_help=True, add_completion=False, cls=_Commands)
db_app = typer.Typer(help="Create the schema and load the embedded organization.",
                     no_args_is_help=True)
journal_app = typer.Typer(help="Inspect and verify the hash-chained journal.",
                          no_args_is_help=True)
membership_app = typer.Typer(help="Record status intervals of states in organizations.",
                             no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(journal_app, name="journal")
app.add_typer(membership_app, name="membership")
users_app = typer.Typer(help="Accounts: users of delegations and organs, their API tokens.",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

ORG = typer.Option(settings.DEFAULT_ORG, "--org", envvar="COLLSEC_ORG",
                   help="organization code")
AS_OF = typer.Option(None, "--as-of", help="date YYYY-MM-DD (default today)")
JSON = typer.Option(False, "--json", help="print JSON instead of a table")
LANG = typer.Option(None, "--lang", envvar="COLLSEC_LANG", help="en or ru",
                    callback=_language)


def handles_errors(fn: F) -> F:
    """One clear line and exit 2 for anything the user got wrong, in the command's
    language (`--lang`, else COLLSEC_LANG or the locale: `LANG=ru_RU.UTF-8` is Russian).
    The line starts `error:` in every language, for scripts."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CollsecError as exc:
            refuse(exc, kwargs.get("lang") or i18n.environment_language())

    return wrapper  # type: ignore[return-value]


_acting: dict[str, str | None] = {"user": None}


@app.callback()
def _options(as_user: str | None = typer.Option(
        None, "--as", envvar="COLLSEC_USER", metavar="USER",
        help="the user the command acts as (default: the operator account that "
             "`collsec db setup` creates)")) -> None:
    """collsec: the platform of a collective security organization."""
    startup.wire()
    _acting["user"] = as_user


def operator() -> auth.Actor:
    """The account the command acts as (`--as USER`, COLLSEC_USER, else `operator`): its
    principal and roles go through the decision point like any other user's, and the
    journal names it."""
    name = (_acting["user"] or OPERATOR).strip().lower()
    with reading(None) as read:  # who acts is not yet known: the account's public read
        try:
            user = read(auth.get_user, name)
        except CollsecError:
            if name == OPERATOR:
                raise NotFound("unknown user '{username}': `collsec db setup` creates the "
                               "operator account; or name a user with --as USER "
                               "(COLLSEC_USER)", username=name) from None
            raise NotFound("unknown user '{username}': see `collsec users list`",
                           username=name) from None
    if user.disabled:
        raise Conflict("user '{username}' is disabled", username=name)
    return auth.actor_for(user, "cli")


def context(org: str | None = None, lang: str | None = None, *,
            actor: auth.Actor | None = None) -> Context:
    """The command's context, built once: whom it acts as (`operator()` unless given), in
    `org` (the platform's organization by default; an unknown one is an error), cleared by
    the decision point for today, at this moment, in `lang`."""
    code = (org or settings.load().organization).upper()
    who = actor or operator()
    today, now = clock.today(), clock.now()
    with reading(None) as read:  # the clearance is what the context is being built for
        read(service.get_organization, code)  # one the registry does not hold: refused
        c = read(auth.clearance, actor=who, as_of=today, org=code)
    return Context(code, service.charter_for(code), who, c, now, today, i18n.normalize(lang))


def _installing(org: str) -> Context:
    """The context of `collsec db setup`, before any account exists: the installer (the
    system, cleared to manage users and nothing else), in `org`, now."""
    code = org.upper()
    c, who = auth.installer()
    return Context(code, service.charter_for(code), who, c, clock.now(), clock.today())


def os_user() -> str:
    """The name positions are recorded by when the operator records them (its account's)."""
    return operator().name[:80]  # the length positions.recorded_by keeps


def _emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def table(*columns: str) -> Table:
    t = Table()
    for col in columns:
        t.add_column(col)
    return t


def cells(*values: object) -> list[Text]:
    """A table row's cells as plain text: a title a user typed is never rich markup."""
    return [Text(str(v)) for v in values]


def _ensure_schema() -> None:
    if not migrate.is_initialized():
        raise CollsecError("the database has no schema yet; run `collsec db init` first")


@app.command()
@handles_errors
def members(org: str = ORG, as_of: str | None = AS_OF, as_json: bool = JSON,
            every_status: bool = typer.Option(False, "--all", help="every status, not only "
                                              "members"),
            lang: str | None = LANG) -> None:
    """Members of an organization as of a date, with their status and its source."""
    from collsec.registry.api import _membership

    given = parse_date(as_of, field="--as-of")
    _ensure_schema()
    ctx = context(org, lang)
    day = given or ctx.today
    _ = i18n.gettext_for(ctx.lang)
    ru = ctx.lang == "ru"
    views = service.members.run(ctx, as_of=day, every_status=every_status)
    if as_json:
        _emit_json({"organization": ctx.org, "as_of": day.isoformat(),
                    "members": [_membership(v) for v in views]})
        return
    table = Table(title=_("Members of {org} as of {date}").format(org=ctx.org, date=day))
    for col in (_("State"), _("Status"), _("Takes part"), _("Since"), _("Sources")):
        table.add_column(col)
    for v in views:
        table.add_row(f"{v.state.name('ru' if ru else 'en')} ({v.state.code})",
                      v.status.name("ru" if ru else "en"), _("yes") if v.takes_part else _("no"),
                      v.valid_from.isoformat(), ", ".join(v.fact.sources))
    out.print(table)


@app.command()
@handles_errors
def state(code: str, as_json: bool = JSON, lang: str | None = LANG) -> None:
    """A state's status history in every organization."""
    from collsec.registry.api import _membership

    _ensure_schema()
    ctx = context(lang=lang)
    lang = ctx.lang
    _ = i18n.gettext_for(lang)
    with reading(ctx) as read:
        st = read(service.get_state, code)
        history = read(service.state_history, code)
    if as_json:
        _emit_json({"code": st.code, "name_en": st.name_en, "name_ru": st.name_ru,
                    "history": [_membership(v) for v in history]})
        return
    table = Table(title=f"{st.name_ru if lang == 'ru' else st.name_en} ({st.code})")
    for col in (_("Organization"), _("Status"), _("Since"), _("Until"), _("Sources")):
        table.add_column(col)
    for v in history:
        table.add_row(v.org, v.status.name(lang), v.valid_from.isoformat(),
                      v.valid_to.isoformat() if v.valid_to else "—", ", ".join(v.fact.sources))
    out.print(table)


@app.command()
@handles_errors
def course(code: str, org: str = ORG, as_of: str | None = AS_OF,
           kind: str | None = typer.Option(None, help="only events of this kind: "
                                           "statement, participation, absence, financing, "
                                           "exercise, decision"),
           limit: int = typer.Option(100, min=1, max=1000, help="events shown at most"),
           as_json: bool = JSON, lang: str | None = LANG) -> None:
    """A member's course up to a date: its status that day, the dated events the record
    knows, newest first, and the sessions it stayed away from."""
    given = parse_date(as_of, field="--as-of")
    _ensure_schema()
    ctx = context(org, lang)
    lang = ctx.lang
    _ = i18n.gettext_for(lang)
    c = participation.course.run(ctx, state=code, as_of=given or ctx.today, kind=kind,
                                 limit=limit)
    if as_json:
        from collsec.registry.api import _membership

        _emit_json({"organization": c.org, "state": c.state, "as_of": c.as_of,
                    "status": None if c.status is None else _membership(c.status),
                    "events": [e.to_dict() for e in c.events],
                    "absences": [r.to_dict() for r in c.absences]})
        return
    status = c.status.status.name(lang) if c.status else _("no status")
    out.print(f"{c.state} — {c.org}, {c.as_of.isoformat()}: {status}", markup=False)
    table = Table()
    for col in (_("Date"), _("Kind"), _("Who"), _("What"), _("Sources")):
        table.add_column(col)
    for e in c.events:
        table.add_row(e.when(), _(participation.EVENT_KINDS[e.kind]), e.actor_name(lang),
                      e.title(lang), ", ".join(e.fact.sources))
    out.print(table)
    if c.absences:
        out.print(_("Stayed away from: {sessions}").format(sessions=", ".join(
            f"{r.date.isoformat()} {r.city(lang)}".strip() for r in c.absences)), markup=False)


@app.command(name="relations")
@handles_errors
def relation_list(org: str = ORG, as_of: str | None = AS_OF,
                  partner: str | None = typer.Option(None, help="a partner organization's "
                                                     "code, e.g. UN"),
                  kind: str | None = typer.Option(None, help="memorandum, resolution, "
                                                  "meeting, observer_status, ..."),
                  limit: int = typer.Option(100, min=1, max=1000, help="rows shown at most"),
                  as_json: bool = JSON, lang: str | None = LANG) -> None:
    """The organization's relations with other organizations, newest first."""
    given = parse_date(as_of, field="--as-of")
    _ensure_schema()
    ctx = context(org, lang)
    lang = ctx.lang
    _ = i18n.gettext_for(lang)
    rows, _next = relations.relations.run(ctx, partner=partner, kind=kind, as_of=given,
                                          limit=limit)
    if as_json:
        _emit_json([r.to_dict() for r in rows])
        return
    table = Table()
    for col in (_("Date"), _("Partner"), _("Kind"), _("What"), _("Sources")):
        table.add_column(col)
    for r in rows:
        table.add_row(r.date.isoformat(), r.partner_abbr(lang) or r.partner.code,
                      _(relations.KINDS[r.kind]), r.title(lang), ", ".join(r.fact.sources))
    out.print(table)


@app.command()
@handles_errors
def bodies(org: str = ORG, as_of: str | None = AS_OF, as_json: bool = JSON,
           lang: str | None = LANG) -> None:
    """Statutory, working and auxiliary bodies of an organization."""
    given = parse_date(as_of, field="--as-of")
    _ensure_schema()
    ctx = context(org, lang)
    lang = ctx.lang
    _ = i18n.gettext_for(lang)
    rows = service.bodies.run(ctx, as_of=given or ctx.today)
    if as_json:
        _emit_json([{"code": b.code, "kind": b.kind, "parent": b.parent, "name_en": b.name_en,
                     "name_ru": b.name_ru, "composition_en": b.composition_en,
                     "sources": b.sources.split()} for b in rows])
        return
    table = Table()
    for col in (_("Code"), _("Body"), _("Kind"), _("Composition")):
        table.add_column(col)
    for b in rows:
        name = b.name_ru if lang == "ru" else b.name_en
        table.add_row(b.code, name + (f" ← {b.parent}" if b.parent else ""), b.kind,
                      b.composition_ru if lang == "ru" else b.composition_en)
    out.print(table)


@app.command()
@handles_errors
def offices(org: str = ORG, as_of: str | None = AS_OF, as_json: bool = JSON,
            history: bool = typer.Option(False, "--history", help="every term, not only "
                                         "those in force"),
            lang: str | None = LANG) -> None:
    """Office holders as of a date (or every term with --history)."""
    given = parse_date(as_of, field="--as-of")
    _ensure_schema()
    ctx = context(org, lang)
    lang = ctx.lang
    _ = i18n.gettext_for(lang)
    with reading(ctx) as read:
        terms = read(service.office_terms, as_of=None if history else given or ctx.today)
        # on a date, an office no recorded term covers is shown as unknown, not left out
        vacant = [] if history else [o for o in read(service.offices)
                                     if o.code not in {t.office.code for t in terms}]
    if as_json:
        _emit_json([{"office": t.office.code, "holder": t.holder_en, "holder_ru": t.holder_ru,
                     "state": t.state, "valid_from": t.valid_from,
                     "valid_to": t.valid_to, "sources": t.fact.sources,
                     "confidence": t.fact.confidence} for t in terms]
                   + [{"office": o.code, "holder": None, "holder_ru": None, "state": None,
                       "valid_from": None, "valid_to": None, "sources": [],
                       "confidence": None} for o in vacant])
        return
    table = Table()
    for col in (_("Office"), _("Holder"), _("Since"), _("Until"), _("Confidence")):
        table.add_column(col)
    for t in terms:
        table.add_row(t.office.name(lang), t.holder(lang), t.valid_from.isoformat(),
                      t.valid_to.isoformat() if t.valid_to else "—", t.fact.confidence)
    for o in vacant:
        table.add_row(o.name(lang), _("unknown"), "—", "—", "—")
    out.print(table)


@app.command()
@handles_errors
def chair(year: int | None = typer.Argument(None, help="list the chairs that held office "
                                            "in this year"),
          as_of: str | None = typer.Option(None, "--as-of", help="the chair on this date "
                                           "(default today)"),
          org: str = ORG, as_json: bool = JSON, lang: str | None = LANG,
          decline: str | None = typer.Option(None, help="with YEAR: record that this state, "
                                             "whose turn it is, declines to chair; the turn "
                                             "passes on"),
          on: str | None = typer.Option(None, help="with --decline: date of the decision"),
          source: list[str] = typer.Option([], "--source", help="source id (repeatable)"),
          ) -> None:
    """The chair on a date (--as-of) or the chairs of a YEAR, each with the charter's rule
    for the period, the record it rests on and its sources."""
    given = parse_date(on, field="--on")
    day = parse_date(as_of, field="--as-of")
    if year is not None and day is not None:
        raise InvalidInput("give a YEAR or --as-of, not both")
    if decline and year is None:
        raise InvalidInput("--decline needs the YEAR whose turn is declined")
    _ensure_schema()
    ctx = context(org, lang)
    lang = ctx.lang
    if decline and year is not None:
        chairs.decline_chair.run(ctx, year=year, state=decline, on=given or ctx.today,
                                 source_ids=source)
    if year is None:
        views = [chairs.chair_on.run(ctx, on=day or ctx.today)]
    else:
        views = chairs.chairs_in_year.run(ctx, year=year)
    if as_json:
        data = [v.to_dict() for v in views]
        _emit_json({"organization": ctx.org, "on": (day or ctx.today).isoformat(), **data[0]}
                   if year is None else {"organization": ctx.org, "year": year, "chairs": data})
        return
    for v in views:
        _print_chair(v, lang)


def _print_chair(v: chairs.ChairView, lang: str) -> None:
    _ = i18n.gettext_for(lang)
    who = f"{v.state.name(lang)} ({v.state.code})" if v.state else _("unknown")
    span = f"{_iso_or_dash(v.since)} – {_iso_or_dash(v.last_day)}"
    out.print(f"{span}: {who} — {_(chairs.BASES[v.basis])}", markup=False, soft_wrap=True)
    rule = _(chairs.RULES[v.rule]) if v.rule else _("no rule")
    out.print(f"  {_('rule')}: {rule}; {v.reason(lang)}", markup=False, soft_wrap=True)
    note = v.fact.note_ru if lang == "ru" else v.fact.note_en
    if note and note != v.reason(lang):
        out.print(f"  {note}", markup=False, soft_wrap=True)
    if v.fact.sources:
        out.print(f"  {_('sources')}: {', '.join(v.fact.sources)} "
                  f"({_('confidence')}: {_(v.fact.confidence)})", markup=False,
                  soft_wrap=True)


def _iso_or_dash(day: dt.date | None) -> str:
    return "…" if day is None else day.isoformat()


@app.command()
@handles_errors
def serve(host: str = typer.Option(None, help="default 127.0.0.1 (COLLSEC_HOST)"),
          port: int = typer.Option(None, help="default 8000 (COLLSEC_PORT)"),
          setup: bool = typer.Option(True, help="create the schema and load the default "
                                     "organization when the database is empty")) -> None:
    """Serve the web pages and the JSON API."""
    import uvicorn

    from collsec.exercises import injector

    conf = settings.load()
    if setup:
        _setup()
    injector.start()  # the exercises' injects go when their minute comes
    uvicorn.run("collsec.web.app:create_app", factory=True, host=host or conf.host,
                port=port or conf.port)


def _setup() -> None:
    """Schema, default data and a first admin, each only when missing."""
    migrate.upgrade()
    ctx = _installing(settings.load().organization)
    if not service.list_organizations.run(ctx):
        result = defaults.load_default.run(ctx, actor="system")
        err.print(f"loaded the embedded {result.org} data: {result.counts}")
    if ensure_operator.run(ctx):
        err.print(f"created the command-line operator account '{OPERATOR}'")
    if [u for u in auth.list_users.run(ctx) if u.username != OPERATOR]:
        return
    organ = auth.organ_for(ctx.charter.raw, "secretariat")
    user, password = auth.add_user.run(ctx, username="admin", principal=organ.key,
                                       roles=["admin"], display_name="Administrator",
                                       must_change_password=True)
    err.print(f"created the first administrator: user '{user.username}', one-time password "
              f"{password}\n(shown once; you will be asked to change it at first sign-in)",
              markup=False, soft_wrap=True)


@db_app.command("init")
@handles_errors
def db_init() -> None:
    """Create or upgrade the schema (Alembic migrations)."""
    migrate.upgrade()
    out.print("schema is at the newest revision")


@db_app.command("load-default")
@handles_errors
def db_load_default(org: str = ORG) -> None:
    """Load the embedded organization's data; loading the same data twice changes nothing."""
    _ensure_schema()
    ctx = context()  # in the platform's organization: `org` may not be loaded yet
    result = defaults.load_default.run(ctx, actor=f"{ctx.actor.via}:{ctx.actor.name}", org=org)
    if result.changed:
        out.print(f"loaded {result.org}: " + ", ".join(f"{k} {v}" for k, v in
                                                       result.counts.items()))
    else:
        out.print(f"{result.org} data already loaded (digest {result.digest[:12]}); nothing "
                  "changed")


@db_app.command("setup")
@handles_errors
def db_setup() -> None:
    """Create the schema and load the default organization if the database is empty."""
    _setup()
    out.print("database ready")


@journal_app.command("verify")
@handles_errors
def journal_verify(
    resume: str | None = typer.Option(
        None, "--resume", metavar="SEQ:HASH",
        help="start after this checkpoint (an entry's sequence number and hash that an "
             "earlier verification printed) instead of the first entry"),
    checkpoint_file: str | None = typer.Option(
        None, "--checkpoint", metavar="FILE",
        help="resume from the checkpoint kept in FILE when it exists (--resume wins); after "
             "a successful verification, write the new checkpoint to FILE"),
) -> None:
    """Recompute the hash chain; exit 1 naming the first entry that does not match.

    From a checkpoint, only the entries after it are verified."""
    import os
    import tempfile

    def bad(message: str) -> typer.Exit:
        typer.echo(f"error: {message}", err=True)
        return typer.Exit(2)

    after: journal.Checkpoint | None = None
    if resume is not None:
        try:
            after = journal.Checkpoint.parse(resume)
        except ValueError as exc:
            raise bad(f"--resume: {exc}") from None
    elif checkpoint_file is not None and os.path.lexists(checkpoint_file):
        try:
            with open(checkpoint_file, encoding="utf-8") as fh:
                kept = fh.read(1000)
        except (OSError, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise bad(f"cannot read the checkpoint file {checkpoint_file}: {reason}") from None
        try:
            after = journal.Checkpoint.parse(kept)
        except ValueError as exc:
            raise bad(f"{checkpoint_file}: {exc}") from None
    _ensure_schema()
    # the chain's integrity is checked before any account exists (an empty database)
    with reading(None) as read:
        verdict = read(defaults.verify_journal, after=after)
    if not verdict.ok or verdict.checkpoint is None:
        typer.echo(f"journal broken at entry {verdict.first_broken}: {verdict.reason}",
                   err=True)
        raise typer.Exit(1)
    mark = verdict.checkpoint
    if checkpoint_file is not None:  # written beside it, then moved: never half a checkpoint
        try:
            fd, temporary = tempfile.mkstemp(
                prefix=".checkpoint-", dir=os.path.dirname(os.path.abspath(checkpoint_file)))
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(f"{mark}\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(temporary, checkpoint_file)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as exc:
            raise bad(f"cannot write the checkpoint file {checkpoint_file}: "
                      f"{exc.strerror or exc}") from None
    if verdict.entries:
        typer.echo(f"journal intact: {verdict.entries} entries verified, from entry "
                   f"{verdict.after + 1} to {mark.seq}")
    else:
        typer.echo(f"journal intact: 0 entries verified, none after entry {verdict.after}")
    saved = f" (saved to {checkpoint_file})" if checkpoint_file is not None else ""
    typer.echo(f"checkpoint {mark}{saved}")


@journal_app.command("list")
@handles_errors
def journal_list(limit: int = typer.Option(20, min=1, max=10000)) -> None:
    """The newest journal entries."""
    _ensure_schema()
    rows = defaults.journal_entries.run(context(), limit=limit)
    table = Table()
    for col in ("seq", "at", "actor", "command", "payload"):
        table.add_column(col)
    for e in rows:
        table.add_row(str(e.seq), e.at, e.actor, e.command,
                      e.payload[:80] + ("…" if len(e.payload) > 80 else ""))
    out.print(table)


SOURCES = typer.Option([], "--source", help="source id (repeatable)")


@membership_app.command("add")
@handles_errors
def membership_add(state: str, status: str = typer.Option(..., help="status code"),
                   valid_from: str = typer.Option(..., "--from", help="YYYY-MM-DD"),
                   valid_to: str | None = typer.Option(None, "--to",
                                                       help="YYYY-MM-DD, exclusive"),
                   org: str = ORG, source: list[str] = SOURCES,
                   confidence: str = typer.Option("high")) -> None:
    """Record a status interval; one that overlaps another of the same state is refused."""
    start = parse_date(valid_from, field="--from")
    end = parse_date(valid_to, field="--to")
    _ensure_schema()
    ctx = context(org)
    row = service.add_membership.run(ctx, state=state, status=status,
                                     valid_from=start or ctx.today, valid_to=end,
                                     source_ids=source, confidence=confidence)
    out.print(f"recorded {row.state} {row.status} in {row.org} from {row.valid_from}")


@membership_app.command("change")
@handles_errors
def membership_change(state: str, status: str = typer.Option(..., help="new status code"),
                      on: str = typer.Option(..., help="YYYY-MM-DD the new status starts"),
                      org: str = ORG, source: list[str] = SOURCES) -> None:
    """Close the state's current interval and open one with a new status."""
    given = parse_date(on, field="--on")
    _ensure_schema()
    ctx = context(org)
    row = service.change_status.run(ctx, state=state, status=status, on=given or ctx.today,
                                    source_ids=source)
    out.print(f"{row.state} is {row.status} in {row.org} from {row.valid_from}")


@app.command()
@handles_errors
def decide(body: str = typer.Option(..., help="body code, e.g. CSC"),
           matter: str = typer.Option("substantive", help="procedural, substantive, admission, "
                                      "suspension, ..."),
           on: str | None = typer.Option(None, help="date of the session (default today)"),
           position: list[str] = typer.Option([], "--position",
                                              help="STATE=support|object|abstain|"
                                              "not_participating (repeatable)"),
           subject: str | None = typer.Option(None, help="the state a membership matter "
                                              "concerns"),
           org: str = ORG, explain: bool = typer.Option(False, "--explain",
                                                        help="say which rule decided"),
           as_json: bool = JSON, lang: str | None = LANG) -> None:
    """Evaluate a hypothetical set of positions against the charter's decision rules."""
    from collsec.decisions import service as decisions

    given = parse_date(on, field="--on")
    positions: dict[str, str] = {}
    for item in position:
        state, sep, value = item.partition("=")
        if not sep or not state or not value:
            raise CollsecError("--position '{item}' should look like KZ=support", item=item)
        positions[state.strip().upper()] = value.strip()
    _ensure_schema()
    ctx = context(org, lang)
    day = given or ctx.today
    _ = i18n.gettext_for(ctx.lang)
    with reading(ctx) as read:
        ev = read(decisions.evaluate, body=body, matter=matter, on=day, positions=positions,
                  subject=subject)
        text = read(decisions.explain, ev)
    o = ev.outcome
    if as_json:
        _emit_json({"adopted": o.adopted, "reason": o.reason, "explanation": text,
                    "rule": ev.rule.rule, "seated": list(ev.seated),
                    "tally": {k: list(v) for k, v in o.tally.items() if v},
                    "bound": list(o.bound), "on": day.isoformat()})
    else:
        out.print(_("adopted") if o.adopted else _("not adopted"), markup=False)
        if explain:
            out.print(text, markup=False, soft_wrap=True)
            out.print(_("seats on {date}: {states}").format(date=day,
                                                             states=", ".join(ev.seated)),
                      markup=False, soft_wrap=True)
    if not o.adopted:
        raise typer.Exit(1)


@users_app.command("add")
@handles_errors
def users_add(username: str,
              principal: str = typer.Option(..., help="delegation:KZ, organ:SEC or "
                                            "external:OSCE"),
              role: list[str] = typer.Option(..., "--role", help="repeatable: viewer, analyst, "
                                             "duty_officer, representative, editor, admin"),
              name: str = typer.Option("", help="display name"),
              password_stdin: bool = typer.Option(False, "--password-stdin",
                                                  help="read the password from standard input "
                                                  "(else one is generated and shown once)"),
              ) -> None:
    """Create a user of one principal with one or more roles."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    _ensure_schema()
    # accounts belong to no one organization: the platform's is where managing them is cleared
    user, secret = auth.add_user.run(context(), username=username, principal=principal,
                                     roles=role, password=password, display_name=name)
    out.print(f"created {user.username} ({user.principal}; {user.roles})", markup=False)
    if password is None:
        out.print(f"one-time password: {secret}", markup=False)


@users_app.command("list")
@handles_errors
def users_list(as_json: bool = JSON) -> None:
    """Every user with principal, roles and state."""
    _ensure_schema()
    rows = auth.list_users.run(context())
    data: list[dict[str, Any]] = [
        {"username": u.username, "principal": u.principal, "roles": u.roles.split(),
         "disabled": u.disabled, "must_change_password": u.must_change_password,
         "deleted": u.deleted_at is not None}
        for u in rows]
    if as_json:
        _emit_json(data)
        return
    table = Table()
    for col in ("user", "principal", "roles", "state"):
        table.add_column(col)
    for d in data:
        # sign-ins are held back per address, not per account: no account is "locked"
        state = ("deleted" if d["deleted"] else "disabled" if d["disabled"] else
                 "one-time password" if d["must_change_password"] else "active")
        table.add_row(str(d["username"]), str(d["principal"]), " ".join(d["roles"]), state)
    out.print(table)


@users_app.command("disable")
@handles_errors
def users_disable(username: str) -> None:
    """Disable a user: sessions end and tokens stop working at once."""
    _ensure_schema()
    auth.disable_user.run(context(), username=username)
    out.print(f"disabled {username}")


@users_app.command("enable")
@handles_errors
def users_enable(username: str) -> None:
    """Enable a disabled user again (its tokens work again; it signs in anew)."""
    _ensure_schema()
    auth.enable_user.run(context(), username=username)
    out.print(f"enabled {username}")


@users_app.command("delete")
@handles_errors
def users_delete(username: str,
                 yes: bool = typer.Option(False, "--yes", help="no question asked")) -> None:
    """Delete a user for good: tokens revoked, sessions ended, password, roles and display
    name erased; the name stays reserved (the journal and the audit name it)."""
    _ensure_schema()
    if not yes and not typer.confirm(f"delete {username} for good?"):
        raise typer.Exit(1)
    auth.delete_user.run(context(), username=username)
    out.print(f"deleted {username}", markup=False)


@users_app.command("set-role")
@handles_errors
def users_set_role(username: str,
                   role: list[str] = typer.Option(..., "--role", help="repeatable; replaces "
                                                  "the user's roles")) -> None:
    """Replace a user's roles (its web sessions end)."""
    _ensure_schema()
    user = auth.set_roles.run(context(), username=username, roles=role)
    out.print(f"{user.username} now has the roles {user.roles}", markup=False)


@users_app.command("reset-password")
@handles_errors
def users_reset_password(username: str) -> None:
    """A new one-time password, shown once; until it is changed the user may only change it."""
    _ensure_schema()
    user, secret = auth.reset_password.run(context(), username=username)
    out.print(f"one-time password for {user.username}: {secret}", markup=False)


@users_app.command("token")
@handles_errors
def users_token(username: str, name: str = typer.Option("cli", help="what the token is for"),
                expires: str | None = typer.Option(None, help="YYYY-MM-DD; default never"),
                list_: bool = typer.Option(False, "--list", help="list the user's tokens"),
                revoke: int | None = typer.Option(None, min=1, max=2_147_483_647,
                                                  help="revoke the token with this id"),
                ) -> None:
    """Create (default), list or revoke a user's API tokens."""
    _ensure_schema()
    ctx = context()
    if list_:
        for t in auth.list_tokens.run(ctx, username):
            state = "revoked" if t.revoked_at else "active"
            out.print(f"{t.id}\t{t.prefix}…\t{t.name}\t{state}\texpires "
                      f"{t.expires_at or 'never'}", markup=False)
        return
    if revoke is not None:
        owner = auth.get_user.run(ctx, username)
        auth.revoke_token.run(ctx, token_id=revoke, owner=owner)
        out.print(f"revoked token {revoke}")
        return
    day = parse_date(expires, field="--expires")
    until = dt.datetime.combine(day, dt.time(), dt.UTC) if day else None
    row, token = auth.create_token.run(ctx, username=username, name=name, expires=until)
    out.print(f"token {row.id} for {username} (shown once):", markup=False)
    typer.echo(token)


@app.command("audit")
@handles_errors
def audit_cmd(object_: str | None = typer.Option(None, "--object",
                                                 help="TYPE or TYPE:ID, e.g. document:3"),
              since: str | None = typer.Option(None, help="YYYY-MM-DD"),
              user: str | None = typer.Option(None, help="only this user's entries"),
              kind: str | None = typer.Option(None, help=", ".join(AUDIT_KINDS),
                                              callback=one_of("--kind", AUDIT_KINDS)),
              limit: int = typer.Option(100, min=1, max=100000), as_json: bool = JSON) -> None:
    """The audit of reads of non-public objects and of sign-ins (an operator's command)."""

    day = parse_date(since, field="--since")
    start = dt.datetime.combine(day, dt.time(), dt.UTC) if day else None
    obj_type, _, obj_id = (object_ or "").partition(":")
    _ensure_schema()
    rows = auth.audit_entries.run(context(), object_type=obj_type or None,
                                  object_id=obj_id or None, since=start, username=user,
                                  kind=kind, limit=limit)
    data = [{"at": r.at.isoformat(), "kind": r.kind, "username": r.username,
             "principal": r.principal, "object": f"{r.object_type}:{r.object_id}"
             if r.object_type else None, "via": r.via, "detail": r.detail} for r in rows]
    if as_json:
        _emit_json(data)
        return
    table = Table()
    for col in ("at", "kind", "user", "principal", "object", "via", "detail"):
        table.add_column(col)
    for d in data:
        table.add_row(*(str(d[k] or "") for k in ("at", "kind", "username", "principal",
                                                   "object", "via", "detail")))
    out.print(table)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


# -- agreements and ratification -------------------------------------------------------

agreement_app = typer.Typer(help="Agreements: signatories, deposits of instruments, and "
                            "whether one is in force for a state on a date.",
                            no_args_is_help=True)
app.add_typer(agreement_app, name="agreement")


@agreement_app.command("list")
@handles_errors
def agreement_list(as_of: str | None = AS_OF, as_json: bool = JSON,
                   lang: str | None = LANG) -> None:
    """Agreements with their entry into force and deposits as of a date."""
    from collsec.decisions import agreement_service as agreements

    given = parse_date(as_of, field="--as-of")
    _ensure_schema()
    ctx = context(lang=lang)
    day = given or ctx.today
    lang = ctx.lang
    _ = i18n.gettext_for(lang)
    with reading(ctx) as read:
        statuses = [read(agreements.status, r.code, day)
                    for r in read(agreements.list_agreements)]
    if as_json:
        items = [agreements.as_dict(st) for st in statuses]
        for item in items:
            del item["states"]
        _emit_json({"as_of": day.isoformat(), "agreements": items})
        return
    table = Table(title=_("Agreements as of {date}").format(date=day))
    table.add_column(_("Code"), no_wrap=True)
    for col in (_("Signed"), _("Agreement"), _("Entry into force"), _("Deposits"),
                _("In force for")):
        table.add_column(col)
    for st in statuses:
        a = st.agreement
        table.add_row(a.code, a.signed_on.isoformat(), a.title_ru if lang == "ru" else a.title_en,
                      st.general_entry.isoformat() if st.general_entry else "—",
                      f"{st.deposited_count}/{st.signed_count}", ", ".join(st.bound) or "—")
    out.print(table)


@agreement_app.command("show")
@handles_errors
def agreement_show(code: str, as_of: str | None = AS_OF, as_json: bool = JSON,
                   lang: str | None = LANG) -> None:
    """One agreement: its rule in words and each signatory's ratification as of a date."""
    from collsec.decisions import agreement_service as agreements

    given = parse_date(as_of, field="--as-of")
    _ensure_schema()
    ctx = context(lang=lang)
    day = given or ctx.today
    lang = ctx.lang
    _ = i18n.gettext_for(lang)
    st = agreements.status.run(ctx, code, day)
    if as_json:
        _emit_json(agreements.as_dict(st))
        return
    a = st.agreement
    ru = lang == "ru"
    out.print(f"{a.title_ru if ru else a.title_en} ({a.code})", markup=False, soft_wrap=True)
    out.print(_("signed on {date}").format(date=a.signed_on) +
              (f", {a.place_ru if ru else a.place_en}" if a.place_en else ""), markup=False)
    out.print(_("Entry into force") + ": " + agreements.describe_rule(st.rule, lang),
              markup=False, soft_wrap=True)
    out.print(_("In force since") + ": " +
              (st.entry_known.isoformat() if st.entry_known else _("unknown")) +
              f" [{', '.join(st.fact.sources)}; {_(st.fact.confidence)}]",
              markup=False, soft_wrap=True)
    note = st.fact.note_ru if ru else st.fact.note_en
    if note:
        out.print(note, markup=False, soft_wrap=True)
    table = Table(title=_("Ratification by state as of {date}").format(date=day))
    for col in (_("State"), _("Signed"), _("Deposited"), _("Instrument"), _("In force since"),
                _("On {date}").format(date=day)):
        table.add_column(col)
    for x in st.states:
        table.add_row(f"{x.state.name(lang)} ({x.state.code})", x.signed_on.isoformat(),
                      x.deposited_on.isoformat() if x.deposited_on else "—",
                      x.instrument or "—",
                      x.in_force_from.isoformat() if x.in_force_from else "—",
                      _(x.answer))
    out.print(table)


@agreement_app.command("in-force")
@handles_errors
def agreement_in_force(code: str, state: str,
                       on: str | None = typer.Option(None, help="date YYYY-MM-DD "
                                                     "(default today)"),
                       as_json: bool = JSON) -> None:
    """Is the agreement in force for STATE on a date? Prints yes, no or unknown (exit 0)."""
    from collsec.decisions import agreement_service as agreements

    given = parse_date(on, field="--on")
    _ensure_schema()
    ctx = context()
    day = given or ctx.today
    with reading(ctx) as read:
        bound, since, rule = read(agreements.entry, code, state, day)
        said = read(agreements.in_force_answer, code, state, day)
        a = read(agreements.get_agreement, code)
    if as_json:
        _emit_json({"agreement": a.code, "state": state.upper(), "on": day.isoformat(),
                    "in_force": bound, "answer": said,
                    "since": since.isoformat() if since else None,
                    "rule": agreements.rule_dict(rule)})
        return
    if bound:
        out.print(f"yes: {a.code} is in force for {state.upper()} on {day} (since {since})",
                  markup=False, soft_wrap=True)
    elif since is not None:
        out.print(f"no: {a.code} binds {state.upper()} only from {since}, after {day}",
                  markup=False, soft_wrap=True)
    elif said == "unknown":
        out.print(f"unknown: no deposit of {state.upper()} for {a.code} is recorded by "
                  f"{day}, and no source states its entry into force", markup=False,
                  soft_wrap=True)
    else:
        out.print(f"no: {a.code} is not in force for {state.upper()} on {day} by the "
                  "deposits recorded", markup=False, soft_wrap=True)


@agreement_app.command("deposit")
@handles_errors
def agreement_deposit(code: str, state: str,
                      on: str = typer.Option(..., help="YYYY-MM-DD the depositary received "
                                             "the instrument"),
                      instrument: str = typer.Option("", help="e.g. the ratifying law"),
                      source: list[str] = SOURCES, org: str = ORG) -> None:
    """Record that the depositary received STATE's instrument of ratification."""
    from collsec.decisions import agreement_service as agreements

    given = parse_date(on, field="--on")
    _ensure_schema()
    ctx = context(org)
    day = given or ctx.today
    dep = agreements.record_deposit.run(ctx, code=code, state=state, deposited_on=day,
                                        instrument=instrument, sources=source)
    with reading(ctx) as read:  # what the deposit changed, as committed
        bound, since, _rule = read(agreements.entry, code, dep.state, day)
        a_code = read(agreements.get_agreement, code).code
    out.print(f"recorded {dep.state}'s deposit for {a_code} on {dep.deposited_on}; " +
              (f"in force for {dep.state} since {since}" if bound else
               f"not yet in force for {dep.state}"), markup=False, soft_wrap=True)


# -- sessions: `collsec session ...` and `collsec withdrawal` live in collsec/decisions/cli.py,
# which adds them to `app` when imported.

importlib.import_module("collsec.decisions.cli")


# -- historical replay: `collsec replay FILE` lives in collsec/replay/cli.py ------------

importlib.import_module("collsec.replay.cli")


# -- crisis response: `collsec missions`, `requests` and `crisis ...` live in
# collsec/crisis/cli.py; `collsec incidents` and `incident ...` in collsec/crisis/incidents/cli.py

importlib.import_module("collsec.crisis.cli")
importlib.import_module("collsec.crisis.incidents.cli")


# -- secure exchange: `collsec exchange ...` lives in collsec/exchange/cli.py

importlib.import_module("collsec.exchange.cli")


# -- standing operations: `collsec operations` and `operation NAME` live in
# collsec/operations/cli.py

importlib.import_module("collsec.operations.cli")


# -- exercises: `collsec exercises` lives in collsec/exercises/cli.py

importlib.import_module("collsec.exercises.cli")


# -- the deployment simulation: `collsec simulate` lives in collsec/simulation/cli.py

importlib.import_module("collsec.simulation.cli")
