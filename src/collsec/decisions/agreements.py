"""When an agreement is in force, and for whom, pure: from its entry-into-force rule and deposits.

Rules an agreement may name:
- `nth_instrument`: in force from the day the depositary receives the Nth instrument,
  for the states that deposited by then; for each later state from its own deposit.
- `each_on_deposit`: for each state from its own deposit.
- `all_signatories`: for all from the day the last signatory deposits.
Each may add `delay_days` (e.g. "on the thirtieth day after").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from collsec.core.errors import InvalidInput

ENTRY_RULES = ("nth_instrument", "each_on_deposit", "all_signatories")


@dataclass(frozen=True)
class EntryRule:
    kind: str
    n: int | None = None
    delay_days: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ENTRY_RULES:
            raise InvalidInput("unknown entry-into-force rule '{rule}'; rules: {rules}",
                               rule=self.kind, rules=", ".join(ENTRY_RULES))
        if self.kind == "nth_instrument" and (self.n is None or self.n < 1):
            raise InvalidInput("an nth_instrument rule needs n >= 1")
        if self.delay_days < 0:
            raise InvalidInput("delay_days cannot be negative")


def general_entry(rule: EntryRule, signatories: Sequence[str],
                  deposits: Mapping[str, dt.date]) -> dt.date | None:
    """The day the agreement first enters into force, or None if it has not yet."""
    delay = dt.timedelta(days=rule.delay_days)
    dates = sorted(deposits.values())
    if rule.kind == "each_on_deposit":
        return dates[0] + delay if dates else None
    if rule.kind == "nth_instrument":
        assert rule.n is not None
        return dates[rule.n - 1] + delay if len(dates) >= rule.n else None
    if signatories and all(s in deposits for s in signatories):
        return max(deposits[s] for s in signatories) + delay
    return None


def entry_for(rule: EntryRule, signatories: Sequence[str], deposits: Mapping[str, dt.date],
              state: str) -> dt.date | None:
    """The day the agreement enters into force for `state`, or None if it does not (yet)."""
    if state not in deposits:
        return None
    general = general_entry(rule, signatories, deposits)
    if general is None:
        return None
    own = deposits[state] + dt.timedelta(days=rule.delay_days)
    return max(general, own)


def in_force_for(rule: EntryRule, signatories: Sequence[str], deposits: Mapping[str, dt.date],
                 state: str, on: dt.date) -> bool:
    """Is the agreement in force for `state` on `on`? Deposits after `on` do not count."""
    known = {s: d for s, d in deposits.items() if d <= on}
    start = entry_for(rule, signatories, known, state)
    return start is not None and start <= on
