"""The API against its own OpenAPI document, by schemathesis: for every operation, requests
generated from the document (valid and invalid), sent as each persona; every answer must
be a documented status with a documented body, never a 5xx; an operation that asks for
credentials must refuse a request without them, and a request the document allows must
be taken.

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
# Every check of schemathesis, `positive_data_acceptance` among them: a request the
# document allows is taken (a 401, 403, 404 or 409 is fine: the caller may not, the object
# may not exist, its state may refuse it). Where a refusal turns on what no schema can say,
# that check alone is left out, for these operations (a 422 naming the field is right):
STATEFUL = {
    "POST /api/v1/me/tokens": "the expiry must lie in the future",
    "POST /api/v1/documents": "each principal it is released to must exist, and only a "
                              "restricted document is released to any",
    "POST /api/v1/agreements": "each source must exist, a signatory is listed once and signs "
                               "on or after the agreement, nth_instrument needs its n",
    "POST /api/v1/contingents": "each source must exist",
    "POST /api/v1/missions": "the decision must be an adopted one of the kind that opens a "
                             "mission, on a day not in the future; the area a valid GeoJSON "
                             "geometry (a closed ring, ...)",
    "POST /api/v1/stix/bundles": "each object must be valid STIX 2.1, its id its type and a "
                                 "UUID, its markings known",
    "GET /api/v1/unified-list/search": "the query must hold two letters or digits, whatever "
                                       "else it holds",
    "POST /api/v1/exercises": "a start in the exercise's own year, an end not before it, a "
                              "known host and known states",
    "POST /api/v1/exercise-scenarios": "each inject's team a principal the registry holds, "
                                       "an incident inject's incident a valid report, the "
                                       "injects in the order of their minutes, no text "
                                       "blank",
    "POST /api/v1/exercise-runs": "the run's name not blank, nor holding a right-to-left "
                                  "override",
    "POST /api/v1/exercise-runs/{run_id}/reactions": "the reaction's text not blank",
    "POST /api/v1/exercise-runs/{run_id}/scores": "an inject and an expectation the scenario "
                                                  "has, the points within the expectation's",
    "POST /api/v1/exercise-runs/{run_id}/lessons": "the lesson's text not blank",
    "GET /api/v1/simulation": "the place a longitude and a latitude in range, the need within "
                              "the personnel of the composition",
    "POST /api/v1/simulation/sweeps": "each case's place in range and need within the "
                                      "composition's personnel, a parameter set of known "
                                      "sections, the cases times the runs within the budget",
    # Until crisis/incidents/api.py declares the statuses its `status` filter takes:
    "GET /api/v1/incidents": "the status filter",
    "GET /api/v1/incidents/summary": "the status filter",
    "GET /api/v1/incidents/map": "the status filter",
}
ACCEPTANCE = [schemathesis.checks.positive_data_acceptance]
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
# The live streams are left out: each answers with an event stream that stays open as long
# as its caller holds it (tests/crisis/test_live.py and tests/exchange/test_live.py walk
# them); a generated request to one held the whole run for its stream's lifetime.
STREAMS = ["/api/v1/incidents/stream", "/api/v1/report-stream"]
schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app()).exclude(
    path=STREAMS)
# A request too long to read is refused before it is read (413, 414: web.limits), as the
# document says; that refuses invalid data as well as a 422 does.
_rejection = schema.config.checks.negative_data_rejection
_rejection.expected_statuses = [*_rejection.expected_statuses, "413", "414"]


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
    # A cursor is one this API gave (as a token is): a generated one is refused.
    stateful = case.operation.label in STATEFUL or "cursor" in (case.query or {})
    for token in (None, *_database.values()):
        case.call_and_validate(headers=bearer(token) if token else {},
                               excluded_checks=ACCEPTANCE if stateful else [])


def test_the_walk_covers_every_operation() -> None:
    documented = {(op.method.upper(), op.path) for op in (
        result.ok() for result in schema.get_all_operations())}
    assert len(documented) >= 40, sorted(documented)
    assert ("POST", "/api/v1/incidents") in documented
    assert not any(path in STREAMS for _, path in documented)
    assert set(STATEFUL) <= {f"{method} {path}" for method, path in documented}


