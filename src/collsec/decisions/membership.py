"""A member's withdrawal: the written notice and the day it takes effect under the charter."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from collsec.core import journal
from collsec.core.auth import service as auth
from collsec.core.auth.model import Clearance
from collsec.core.commands import command
from collsec.core.errors import Conflict, InvalidInput
from collsec.decisions.service import decision_rules
from collsec.decisions.tables import WithdrawalNoticeRow
from collsec.registry import service as registry


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise InvalidInput("{months} months after {day} is beyond the calendar "
                           "({first:04d} to {last})", months=months, day=day,
                           first=dt.MINYEAR, last=dt.MAXYEAR)
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@command("decisions.withdrawal", action="edit_registry")
def notify_withdrawal(session: Session, c: Clearance, actor: auth.Actor, *, org: str,
                      state: str, notice_on: dt.date,
                      sources: list[str] | None = None) -> WithdrawalNoticeRow:
    """Record a member's notice; it stays a member until the notice period runs out.

    The period comes from the charter data (`decision_rules.withdrawal.notice_months`);
    the registry gets an interval of the status the rule names (`withdrawal.status`) from
    that day, journaled with the notice.
    """
    org_code = registry.get_organization(session, org).code
    st = registry.get_state(session, state).code
    current = registry.status_of(session, org_code, st, notice_on)
    if current is None or not current.counted_as_member:
        raise InvalidInput("{state} is not a member of {org} on {day}; only a member "
                           "gives notice of withdrawal", state=st, org=org_code, day=notice_on)
    if session.execute(select(WithdrawalNoticeRow).where(
            WithdrawalNoticeRow.org == org_code, WithdrawalNoticeRow.state == st,
            WithdrawalNoticeRow.effective_on > notice_on)).first():
        raise Conflict("{state} has already given notice of withdrawal", state=st)
    rule = decision_rules(org_code).get("withdrawal")  # type: ignore[attr-defined]
    if not isinstance(rule, dict) or "notice_months" not in rule or "status" not in rule:
        raise InvalidInput("the charter of {org} names no withdrawal rule (a notice "
                           "period, notice_months, and the status it leads to)", org=org_code)
    months = int(rule["notice_months"])
    effective = add_months(notice_on, months)
    interval = registry.change_status(session, c, actor, org=org_code, state=st,
                                      status=str(rule["status"]), on=effective,
                                      source_ids=sources)
    row = WithdrawalNoticeRow(org=org_code, state=st, notice_on=notice_on,
                              effective_on=effective, membership_id=interval.id,
                              sources=" ".join(sources or []))
    session.add(row)
    session.flush()
    journal.record(session, actor=actor, command="decisions.withdrawal",
                   payload={"org": org_code, "state": st, "notice_on": notice_on,
                            "effective_on": effective, "months": months})
    return row
