"""A member's request for collective assistance, pure: its basis, what it needs, its course.

The charter data (`crisis_response` in charter.yaml) names the bases a request may
invoke (Treaty Art. 4, a peacekeeping operation), the matter the Council decides
for each, and the kinds of need a request may name. A request moves
submitted → on_agenda → granted | not_granted; a state may withdraw it before the
Council decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from collsec.core.errors import Conflict, InvalidInput, OneOf

REQUEST_TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "submitted": ("on_agenda", "withdrawn"),
    "on_agenda": ("granted", "not_granted", "withdrawn"),
    "granted": (),
    "not_granted": (),
    "withdrawn": (),
}
MAX_NEEDS = 20
MAX_NOTE = 2000


@dataclass(frozen=True)
class Basis:
    code: str
    name: Mapping[str, str]
    matter: str  # the matter of the decision that answers it


@dataclass(frozen=True)
class Need:
    kind: str
    personnel: int | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "personnel": self.personnel, "note": self.note}


@dataclass(frozen=True)
class CrisisRules:
    consultation_body: str
    consultation_article: Mapping[str, str]
    assistance_body: str
    bases: Mapping[str, Basis]
    needs: Mapping[str, Mapping[str, str]]  # need kind → names in en/ru


def load_rules(data: Mapping[str, Any]) -> CrisisRules:
    """Read the `crisis_response` part of the charter data."""
    if not data:
        raise InvalidInput("the charter defines no crisis response (crisis_response)")
    cons = data.get("consultations", {})
    assist = data.get("assistance", {})
    bases = {code: Basis(code, dict(spec["name"]), str(spec["matter"]))
             for code, spec in assist.get("bases", {}).items()}
    if not bases:
        raise InvalidInput("the charter names no basis for a request for assistance")
    return CrisisRules(str(cons.get("body", "CSC")), dict(cons.get("article", {})),
                       str(assist.get("body", "CSC")), bases,
                       {k: dict(v) for k, v in assist.get("needs", {}).items()})


def check_basis(rules: CrisisRules, code: str) -> Basis:
    if code not in rules.bases:
        raise InvalidInput("unknown basis '{code}' for a request; bases: {bases}",
                           code=code, bases=", ".join(rules.bases))
    return rules.bases[code]


def check_needs(rules: CrisisRules, needs: Sequence[Mapping[str, Any]]) -> tuple[Need, ...]:
    """A request must name at least one need, each of a kind the charter data knows."""
    if not needs:
        raise InvalidInput("a request for assistance must name what it needs; kinds: {kinds}",
                           kinds=", ".join(rules.needs))
    if len(needs) > MAX_NEEDS:
        raise InvalidInput("a request names at most {most} needs", most=MAX_NEEDS)
    out = []
    for i, need in enumerate(needs, 1):
        if not isinstance(need, Mapping):
            raise InvalidInput("need {index} must be an object with a kind", index=i)
        unknown = set(need) - {"kind", "personnel", "note"}
        if unknown:
            raise InvalidInput("need {index}: unknown field(s) {fields}", index=i,
                               fields=", ".join(sorted(unknown)))
        kind = need.get("kind")
        if kind not in rules.needs:
            raise InvalidInput("need {index}: unknown kind {kind!r}; kinds: {kinds}", index=i,
                               kind=kind, kinds=", ".join(rules.needs))
        people = need.get("personnel")
        if people is not None and (isinstance(people, bool) or not isinstance(people, int)
                                   or not 0 < people < 2**31):
            raise InvalidInput("need {index}: personnel must be a positive whole number, "
                               "got {people!r}", index=i, people=people)
        note = need.get("note") or ""
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise InvalidInput("need {index}: the note must be text of at most {most} "
                               "characters", index=i, most=MAX_NOTE)
        out.append(Need(str(kind), people, note.strip()))
    return tuple(out)


def advance(current: str, new: str) -> str:
    """The request's next status, or a Conflict saying why not."""
    if new not in REQUEST_TRANSITIONS[current]:
        if not REQUEST_TRANSITIONS[current]:
            raise Conflict("the request is {current}; that is final", current=current)
        raise Conflict("a request cannot go from {current} to {new}; from {current} it may "
                       "go to {allowed}", current=current, new=new,
                       allowed=OneOf(REQUEST_TRANSITIONS[current]))
    return new


@dataclass(frozen=True)
class MissionTerms:
    """What the decision that answers a request defines: a mission of the collective forces."""

    code: str
    title_en: str
    title_ru: str = ""
    mandate_en: str = ""
    mandate_ru: str = ""
    area: Mapping[str, Any] | None = None  # GeoJSON geometry
    ends_on: dt.date | None = None
    end_condition_en: str = ""
    end_condition_ru: str = ""

    def __post_init__(self) -> None:
        if not self.code.strip() or not self.title_en.strip():
            raise InvalidInput("a mission needs a code and a title")
        if not self.mandate_en.strip():
            raise InvalidInput("mission {code} needs a mandate", code=self.code)
        if self.ends_on is None and not self.end_condition_en.strip():
            raise InvalidInput("mission {code} needs an end date or an end condition",
                               code=self.code)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MissionTerms:
        fields = set(cls.__dataclass_fields__)
        unknown = set(data) - fields
        if unknown:
            raise InvalidInput("unknown mission term(s): {unknown}; terms: {terms}",
                               unknown=", ".join(sorted(unknown)),
                               terms=", ".join(sorted(fields)))
        values = dict(data)
        ends = values.get("ends_on")
        if isinstance(ends, str):
            try:
                values["ends_on"] = dt.date.fromisoformat(ends)
            except ValueError:
                raise InvalidInput("ends_on '{ends}' is not a date (YYYY-MM-DD)",
                                   ends=ends[:20]) from None
        elif ends is not None and not isinstance(ends, dt.date):
            raise InvalidInput("ends_on must be a date (YYYY-MM-DD)")
        for key in fields - {"area", "ends_on"}:
            if key in values and not isinstance(values[key], str):
                raise InvalidInput("the mission's {key} must be text", key=key)
        if values.get("area") is not None and not isinstance(values["area"], Mapping):
            raise InvalidInput("the mission's area must be a GeoJSON geometry object")
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "title_en": self.title_en, "title_ru": self.title_ru,
                "mandate_en": self.mandate_en, "mandate_ru": self.mandate_ru,
                "area": dict(self.area) if self.area is not None else None,
                "ends_on": self.ends_on.isoformat() if self.ends_on else None,
                "end_condition_en": self.end_condition_en,
                "end_condition_ru": self.end_condition_ru}
