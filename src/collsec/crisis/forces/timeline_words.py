"""What a mission's timeline says beside each event, in the reader's language.

The timeline keeps English notes, as the journal has them; the notes the service
writes itself (a request, an offer, the opening and the release) are worded here from
the event's kind and number, so the page and `collsec crisis timeline --lang ru` say
the same thing. A note a person typed (the withdrawal's basis) shows as written.
"""

from __future__ import annotations

from collsec.core import i18n
from collsec.crisis.forces.model import TimelineEvent
from collsec.crisis.forces.tables import MissionRow

OFFER_KINDS = ("response_to_request", "commit")


def event_note(e: TimelineEvent, mission: MissionRow, lang: str) -> str:
    _ = i18n.gettext_for(lang)
    if e.kind == "decision":
        return (mission.title_ru if lang == "ru" else "") or mission.title_en
    if e.kind == "assistance_request" and e.ref is not None:
        return _("request {id} for assistance").format(id=e.ref)
    if e.kind in OFFER_KINDS and e.ref is not None:
        return _("offer {id}").format(id=e.ref)
    if e.kind == "request_resource":
        return _("mission {code} opened").format(code=mission.code)
    if e.kind == "release":
        return _("mission {code} closed").format(code=mission.code)
    return e.note
