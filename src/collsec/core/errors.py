"""Domain errors, raised anywhere below the interfaces and mapped once at the edge.

Each error carries an HTTP status and a short title so the API can answer with
problem+json (RFC 9457) and the CLI can print one line and exit 2.
"""

from __future__ import annotations


class CollsecError(Exception):
    """Base of every error a user can cause; never a bug."""

    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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


class JournalBroken(CollsecError):
    status = 500
    title = "Journal chain broken"
    type_slug = "journal-broken"
