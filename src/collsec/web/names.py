"""The names pages show for the keys the software keeps, in the page's language.

- Principals by their registry names: a delegation by its state (`delegation:KZ`:
  Kazakhstan), an organ by its body (`organ:CRC`: the Crisis Response Centre), an
  external organization by its abbreviation (`external:SCO`: SCO); bodies and states by
  code. Read once per read unit, however many times a page asks.
- A clearance's reason, its template worded with those names.
- Roles and actions of core/auth/policy.yaml, the kinds of audit entries and the
  interfaces an act came through: policy.yaml and the audit name them by key only, so
  their labels are here, English msgids with their Russian in messages.po. An action's
  label is its key in words (`action_words`: "request assistance"), as a refusal names
  it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from collsec.core.auth.model import Clearance, action_words
from collsec.core.commands import Reading
from collsec.core.i18n import gettext_for
from collsec.registry import service as registry

ROLES = {
    "viewer": "Viewer",
    "analyst": "Analyst",
    "duty_officer": "Duty officer",
    "representative": "Representative",
    "editor": "Editor",
    "admin": "Administrator",
    "reporting_analyst": "Reporting analyst",
    "verifier": "Verifier",
    "releasing_officer": "Releasing officer",
    "national_coordinator": "National coordinator",
}
AUDIT_KINDS = {
    "read": "read",
    "read_refused": "read refused",
    "login": "sign-in",
    "login_failed": "failed sign-in",
    "login_held_back": "sign-in held back",
    "sign_in_held_back": "sign-in held back for the address",
}
INTERFACES = {"web": "web pages", "api": "API", "cli": "command line"}
# The kinds of marked object the audit and a refusal name ("unknown {kind} {id}").
OBJECT_KINDS = ("document", "incident", "request", "session", "agenda item", "token",
                "report")


@dataclass(frozen=True)
class Names:
    """A page's names of keys in its language; what the registry does not name (a
    principal it does not know) is shown as its key."""

    lang: str
    principals: Mapping[str, str] = field(default_factory=dict)
    bodies: Mapping[str, str] = field(default_factory=dict)
    organizations: Mapping[str, str] = field(default_factory=dict)  # code: abbreviation
    statuses: Mapping[str, str] = field(default_factory=dict)  # membership statuses

    def _word(self, text: str) -> str:
        return str(gettext_for(self.lang)(text))

    def principal(self, key: str | None) -> str:
        return self.principals.get(key or "", key or "")

    def state(self, code: str) -> str:
        return self.principals.get(f"delegation:{code}", code)

    def body(self, code: str) -> str:
        return self.bodies.get(code, code)

    def role(self, code: str) -> str:
        return self._word(ROLES[code]) if code in ROLES else code

    def action(self, code: str) -> str:
        return self._word(action_words(code))

    def audit_kind(self, code: str) -> str:
        return self._word(AUDIT_KINDS[code]) if code in AUDIT_KINDS else code

    def interface(self, code: str) -> str:
        return self._word(INTERFACES[code]) if code in INTERFACES else code

    def object_kind(self, code: str) -> str:
        return self._word(code) if code in OBJECT_KINDS else code

    def reason(self, c: Clearance) -> str:
        """Why `c` reads what it reads, in words: its reason's template with the codes it
        names (state, organ, organization, status) given by name."""
        if not c.reason_template:
            return c.reason
        prefix = {"state": "delegation:", "organ": "organ:", "external": "external:"}
        params: dict[str, Any] = {}
        for name, value in c.reason_params.items():
            text = str(value)
            if name in prefix:
                params[name] = self.principal(prefix[name] + text)
            elif name == "status":
                params[name] = self.statuses.get(text, text)
            elif name == "org":
                params[name] = self.organizations.get(text, text)
            else:
                params[name] = text
        template = self._word(c.reason_template)
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):  # a wording naming what is not given
            return c.reason_template.format(**params)


_PER_READ: WeakKeyDictionary[Reading, dict[tuple[str, str], Names]] = WeakKeyDictionary()


def for_page(read: Reading, org: str, lang: str) -> Names:
    """The names a page of `org` shows in `lang`, read once per read unit."""
    made = _PER_READ.setdefault(read, {})
    if (org, lang) not in made:
        made[(org, lang)] = _read_names(read, org, lang)
    return made[(org, lang)]


def _read_names(read: Reading, org: str, lang: str) -> Names:
    def named(row: Any, field: str = "name") -> str:
        return str(getattr(row, f"{field}_{lang}", "") or getattr(row, f"{field}_en"))

    charter = registry.charter_for(org)
    organs = set(charter.raw.get("access", {}).get("organs", []))
    bodies = {b.code: named(b) for b in read(registry.bodies, org)}
    organizations = {o.code: named(o, "abbr") for o in read(registry.list_organizations)}
    principals = {f"delegation:{st.code}": named(st) for st in read(registry.list_states)}
    principals |= {f"organ:{code}": name for code, name in bodies.items() if code in organs}
    principals |= {f"external:{code}": abbr for code, abbr in organizations.items()}
    statuses = {code: named(rule) for code, rule in charter.statuses.items()}
    return Names(lang, principals, bodies, organizations, statuses)
