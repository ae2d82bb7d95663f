"""The context of one request, command line or replay step, built once at its edge.

An interface (a web dependency, the CLI callback, a replay step) builds a `Context` and
hands it to a command or a query whole; nothing below the edge reads the settings, the
clock or a default organization. The command and query objects of `core.commands` give a
service the parts it names among its parameters (`c`, `actor`, `now`, `org`, `lang`,
`charter`, or `ctx` for all of it), so a service states what it depends on and a test
passes those parts by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from collsec.core.auth.model import Clearance

if TYPE_CHECKING:  # the charter is registry data; core only carries it
    from collsec.core.auth.service import Actor


@dataclass(frozen=True)
class Context:
    """Who acts (`actor`, and what the decision point clears them for: `clearance`), in
    which organization and under which charter, at which moment, in which language."""

    org: str
    charter: Any  # registry.charter.Charter of `org` (core knows no feature's types)
    actor: Actor
    clearance: Clearance
    now: dt.datetime  # zoned UTC
    # the date the clearance holds on: the clock's day, which COLLSEC_TODAY may pin apart
    # from `now` (a demonstration on a day of the data)
    today: dt.date
    lang: str = "en"

    def parts(self) -> dict[str, Any]:
        """The parameters a service may name, each taken from this context."""
        return {"ctx": self, "c": self.clearance, "actor": self.actor, "now": self.now,
                "org": self.org, "lang": self.lang, "charter": self.charter,
                "today": self.today}
