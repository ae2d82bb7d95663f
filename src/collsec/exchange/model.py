"""The exchange's rules, pure: how far a report may travel, how it moves from draft to
release, and whether a change of its releasability widens or withdraws it.

A report has a TLP 2.0 label and a releasability (a scope, and for `states` the states
named). The charter data says which marking level each scope gives and the widest scope
each TLP label allows (`exchange` in charter.yaml), so no scope or label is decided here.
Until it is released, a report reaches its originator alone, whatever it will reach.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from collsec.core.auth.model import MARKINGS, Marking
from collsec.core.errors import CollsecError, Conflict, InvalidInput, Phrase
from collsec.exchange.files import Policy

STATUSES = ("draft", "submitted", "verified", "released")
# The words of the exchange, which a charter maps and may leave out but never adds to (the
# API declares them): FIRST's TLP 2.0 labels, the releasabilities, the classifications.
TLP_LABELS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
SCOPES = ("originator", "states", "members", "members_and_partners", "observers", "public")
CLASSIFICATIONS = ("unclassified", "official_use", "confidential", "secret")
# The triage (what MISP's publishing and Ushahidi's review teach): an analyst writes, a
# verifier of the same service checks, a releasing officer releases; a verifier may send
# a report back to its author.
STEPS: Mapping[str, tuple[str, str]] = {
    "submit": ("draft", "submitted"),
    "return": ("submitted", "draft"),
    "verify": ("submitted", "verified"),
    "release": ("verified", "released"),
}
# The policy action each step needs (the roles holding it are charter data).
STEP_ACTIONS: Mapping[str, str] = {"submit": "draft_report", "return": "verify_report",
                                   "verify": "verify_report", "release": "release_report"}
# Steps its author may not take on their own report: the second pair of eyes.
NOT_BY_AUTHOR = frozenset({"verify", "release"})
# The live stream of reports (`collsec.exchange.live`): a report is announced when it is
# released or imported, when an import brings a later version, and when its releasability
# is widened or narrowed (a withdrawal, of which those it was taken from are told).
LIVE_TOPIC = "report"
LIVE_KINDS = ("released", "updated", "widened", "narrowed")
# How far each marking level reaches, widest first: public reaches every reader, a
# restricted object only its originator and those it is released to.
REACH = {level: n for n, level in enumerate(reversed(MARKINGS))}


class AuthorMayNot(CollsecError):
    """The step needs an officer other than the report's author (403, as a refusal of the
    decision point is)."""

    status = 403
    title = "Not entitled"
    type_slug = "not-entitled"


@dataclass(frozen=True)
class Scope:
    """A releasability: the marking level it gives; `named`: the states are named."""

    code: str
    level: str
    named: bool
    name_en: str
    name_ru: str

    def name(self, lang: str) -> str:
        return self.name_ru if lang == "ru" else self.name_en


@dataclass(frozen=True)
class Label:
    """A TLP 2.0 label, the widest scope it allows and its STIX marking definition."""

    code: str
    widest: str
    stix_id: str
    name_en: str
    name_ru: str


@dataclass(frozen=True)
class Rules:
    scopes: tuple[Scope, ...]  # narrowest first
    labels: tuple[Label, ...]
    classifications: tuple[str, ...]
    default_classification: str
    attachments: Policy = Policy(10 * 1024 * 1024, 20, ("application/pdf", "text/plain"))

    def scope(self, code: str) -> Scope:
        for s in self.scopes:
            if s.code == code:
                return s
        raise InvalidInput("unknown releasability '{scope}'; one of: {scopes}", scope=code,
                           scopes=", ".join(s.code for s in self.scopes))

    def label(self, code: str) -> Label:
        for t in self.labels:
            if t.code == code.upper():
                return t
        raise InvalidInput("unknown TLP label '{label}'; one of: {labels}", label=code,
                           labels=", ".join(t.code for t in self.labels))

    def rank(self, scope: str) -> int:
        return [s.code for s in self.scopes].index(self.scope(scope).code)


def rules_from(raw: Mapping[str, Any]) -> Rules:
    """The `exchange` section of a charter, checked: a level the access rules do not know,
    a label allowing a scope that does not exist, is a broken charter (ValueError)."""
    scopes = []
    for code, spec in raw.get("releasability", {}).items():
        if code not in SCOPES:
            raise ValueError(f"exchange.releasability.{code}: not a releasability ({SCOPES})")
        if spec.get("level") not in MARKINGS:
            raise ValueError(f"exchange.releasability.{code}: unknown level {spec.get('level')!r}")
        name = spec.get("name", {})
        scopes.append(Scope(code, spec["level"], bool(spec.get("named", False)),
                            name.get("en", code), name.get("ru", name.get("en", code))))
    codes = [s.code for s in scopes]
    labels = []
    for code, spec in raw.get("tlp", {}).items():
        if code not in TLP_LABELS:
            raise ValueError(f"exchange.tlp.{code}: not a TLP 2.0 label")
        if spec.get("widest") not in codes:
            raise ValueError(f"exchange.tlp.{code}: unknown scope {spec.get('widest')!r}")
        name = spec.get("name", {})
        labels.append(Label(code, spec["widest"], str(spec.get("stix", "")),
                            name.get("en", f"TLP:{code}"), name.get("ru", f"TLP:{code}")))
    classes = tuple(raw.get("classifications", ()))
    if set(classes) - set(CLASSIFICATIONS):
        raise ValueError(f"exchange.classifications: only {CLASSIFICATIONS}")
    if not scopes or not labels or not classes:
        raise ValueError("exchange: releasability, tlp and classifications are all needed")
    return Rules(tuple(scopes), tuple(labels), classes,
                 str(raw.get("default_classification", classes[0])),
                 _attachments(raw.get("attachments")))


def _attachments(raw: Mapping[str, Any] | None) -> Policy:
    if raw is None:
        return Rules.attachments
    most, per, types = raw.get("max_bytes"), raw.get("max_per_report"), raw.get("types")
    if not isinstance(most, int) or most < 1 or not isinstance(per, int) or per < 0:
        raise ValueError("exchange.attachments: max_bytes and max_per_report are whole numbers")
    if not isinstance(types, list) or not all(isinstance(t, str) and "/" in t for t in types):
        raise ValueError("exchange.attachments.types: a list of media types")
    return Policy(most, per, tuple(types))


def check_release(rules: Rules, tlp: str, scope: str, states: Iterable[str]
                  ) -> tuple[str, tuple[str, ...]]:
    """The label's code and the states named, once the releasability fits the label: a
    scope that names states names at least one, the others none, and none is wider than
    the label allows."""
    label, s = rules.label(tlp), rules.scope(scope)
    named = tuple(sorted({st.strip().upper() for st in states if st.strip()}))
    if s.named and not named:
        raise InvalidInput("a report released to named states names at least one")
    if not s.named and named:
        raise InvalidInput("only a report released to named states names states; "
                           "'{scope}' reaches its readers by their status", scope=s.code)
    if rules.rank(s.code) > rules.rank(label.widest):
        raise InvalidInput("TLP:{label} allows at most '{widest}', not '{scope}'",
                           label=label.code, widest=label.widest, scope=s.code)
    return label.code, named


def marking_of(rules: Rules, scope: str, states: Iterable[str], owner: str,
               released: bool) -> Marking:
    """The marking a report carries: its originator's alone until released, then its
    scope's level and, for named states, their delegations."""
    if not released:
        return Marking("restricted", owner, frozenset())
    s = rules.scope(scope)
    to = frozenset(f"delegation:{st}" for st in states) if s.named else frozenset()
    return Marking(s.level, owner, to)


def narrows(old: Marking, new: Marking) -> bool:
    """Does going from `old` to `new` take the report from anyone? A narrower level, a
    named state left out, or a level given up for named states does; a wider level, more
    states, or named states given up for a level does not (the states the service names
    as withdrawn are those that read it and can no longer)."""
    if old.level == "restricted" and new.level == "restricted":
        return bool(old.released_to - new.released_to)
    if old.level == "restricted":
        return False
    if new.level == "restricted":
        return True
    return REACH[new.level] < REACH[old.level]


def step(status: str, move: str, *, author: str, user: str | None) -> str:
    """The status a triage step leads to, or the refusal in words."""
    if move not in STEPS:
        raise InvalidInput("unknown step '{step}'; one of: {steps}", step=move,
                           steps=", ".join(STEPS))
    source, target = STEPS[move]
    if status != source:
        raise Conflict("{step}: not possible for a report that is {status}; only for one "
                       "that is {source}", step=Phrase(move), status=Phrase(status),
                       source=Phrase(source))
    if move in NOT_BY_AUTHOR and user == author:
        raise AuthorMayNot("{user} wrote this report and may not take the step '{step}' on "
                           "it: another officer of the service must", user=user,
                           step=Phrase(move))
    return target

