"""The API against its own OpenAPI document, by schemathesis: for every operation, requests
generated from the document (valid and invalid), sent as each persona; every answer must
be a documented status with a documented body, never a 5xx, and an operation that asks for
credentials must refuse a request without them.

Personas: nobody (no credentials), a viewer of a member state, a duty officer of a member
state, a representative of a suspended state, and the Secretariat's admin. The database
is a copy of the embedded CSTO data the test owns, so generated writes land nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from collsec.core import db
from collsec.web.app import create_app
from tests.conftest import bearer, drop_database, isolated_database, make_user, pointing_at

PERSONAS = {
    "kz-viewer": ("delegation:KZ", ["viewer"]),
    "kz-duty": ("delegation:KZ", ["duty_officer"]),
    "uz-representative": ("delegation:UZ", ["representative"]),
    "sec-admin": ("organ:SEC", ["admin"]),
}
# Every check of schemathesis but one: that any request the document allows is taken.
# The document cannot say everything a route checks (a minimum not above its maximum, an
# expiry in the future, a cursor this API gave, a source that exists, a text that is not
# empty), and such a request is refused with a 422 naming the field, as it should be.
NOT_CHECKED = [schemathesis.checks.positive_data_acceptance]
EXAMPLES = 10  # per operation, each sent as every caller (about a minute in all)


@pytest.fixture(scope="module")
def _database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    url = isolated_database(tmp_path_factory.mktemp("schemathesis"))
    try:
        with pointing_at(url):
            yield {name: make_user(name, principal, roles)
                   for name, (principal, roles) in PERSONAS.items()}
    finally:
        db.engine_for(url).dispose()
        drop_database(url)


# Loaded as the module is: the app reads its database from the settings at each request,
# so the module's database (`_database`) is the one the generated requests reach. (The
# lazy `from_fixture` loader does not run under pytest 9.)
# The live stream is left out: it answers with an event stream that stays open as long as
# its caller holds it (tests/crisis/test_live.py walks it).
STREAM = "/api/v1/incidents/stream"
schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app()).exclude(
    path=STREAM)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
def test_the_api_answers_as_its_document_says(case: Any, _database: dict[str, str]) -> None:
    # Each generated request goes out once per caller (the lazy schema takes no
    # parametrized fixture): anonymous first, then each persona's token. The generated
    # Idempotency-Key is dropped: random keys collide across different bodies, and a key
    # reused with another body is refused by design (tests/web/test_idempotency.py).
    if case.headers:
        case.headers.pop("Idempotency-Key", None)
    for token in (None, *_database.values()):
        case.call_and_validate(headers=bearer(token) if token else {},
                               excluded_checks=NOT_CHECKED)


def test_the_walk_covers_every_operation() -> None:
    documented = {(op.method.upper(), op.path) for op in (
        result.ok() for result in schema.get_all_operations())}
    assert len(documented) >= 40, sorted(documented)
    assert ("POST", "/api/v1/incidents") in documented
    assert not any(path == STREAM for _, path in documented)


