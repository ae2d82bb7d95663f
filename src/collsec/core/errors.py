"""Domain errors, raised anywhere below the interfaces and mapped once at the edge.

Each error carries an HTTP status and a short title so the API can answer with
problem+json (RFC 9457) and the CLI can print one line and exit 2. Its message is a
template in English with named parameters (`InvalidInput("severity {severity} is not on
the scale", severity=9)`): the template is the gettext message id, so the edge words it
in the reader's language (`core.i18n.worded`) and the API also hands the parameters
over as they are. A message given already formatted (an f-string) is its own template
and has no parameters; it shows in English until it is written as a template.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class Phrase:
    """Part of a message worded on its own, in the reader's language: a template and its
    parameters, as an error has them ("{matter} (decided by the {body})")."""

    def __init__(self, template: str, /, **params: object) -> None:
        self.template, self.params = template, params

    def __format__(self, spec: str) -> str:  # English, as `detail` is
        return format(self.template.format(**self.params) if self.params
                      else self.template, spec)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Phrase) and (self.template, dict(self.params))
                == (other.template, dict(other.params)))

    def __hash__(self) -> int:
        return hash(self.template)


class Named:
    """A name the charter data gives in each language (a matter, a body): the reader's
    language's, else English."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)

    def __format__(self, spec: str) -> str:
        return format(self.names.get("en", ""), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Named) and self.names == other.names

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.names.items())))


class OneOf(tuple[object, ...]):
    """Alternatives a message names ("from reported it may go to assessed or closed"),
    joined with "or" in the reader's language; each a code shown as it is, a Phrase or a
    Named."""

    def __new__(cls, items: Iterable[object]) -> OneOf:
        return super().__new__(cls, tuple(items))

    def __format__(self, spec: str) -> str:
        return format(" or ".join(format(item) for item in self), spec)


class CollsecError(Exception):
    """Base of every error a user can cause; never a bug."""

    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    inner: CollsecError | None = None  # the error this one places (`within`)

    def __init__(self, detail: str, /, **params: object) -> None:
        self.template = detail
        self.params: Mapping[str, object] = params
        self.detail = detail.format(**params) if params else detail
        super().__init__(self.detail)

    def within(self, template: str, /, **params: object) -> CollsecError:
        """This error said of a part of the input ("report {index}"): the same class, its
        message after the part's, each worded on its own at the edge."""
        out = type(self)(template, **params)
        out.inner = self
        out.detail = f"{out.detail}: {self.detail}"
        out.args = (out.detail,)
        return out


class InvalidInput(CollsecError):
    status = 422
    title = "Invalid input"
    type_slug = "invalid-input"


class InvalidDate(InvalidInput):
    title = "Invalid date"
    type_slug = "invalid-date"


class UnknownStatus(InvalidInput):
    title = "Unknown status"
    type_slug = "unknown-status"


class NotFound(CollsecError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class UnknownState(NotFound):
    title = "Unknown state"
    type_slug = "unknown-state"


class UnknownOrganization(NotFound):
    title = "Unknown organization"
    type_slug = "unknown-organization"


class UnknownBody(NotFound):
    title = "Unknown body"
    type_slug = "unknown-body"


class Conflict(CollsecError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class IntervalOverlap(Conflict):
    title = "Overlapping validity intervals"
    type_slug = "interval-overlap"


class Unavailable(CollsecError):
    """Something the platform was configured to use does not answer (a cluster)."""

    status = 503
    title = "Unavailable"
    type_slug = "unavailable"


class JournalBroken(CollsecError):
    status = 500
    title = "Journal chain broken"
    type_slug = "journal-broken"
