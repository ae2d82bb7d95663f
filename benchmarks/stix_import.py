"""Importing a STIX bundle against the raw insert of the same rows: N indicators (TLP:GREEN)
taken by `stix_store.import_bundle` (the reading and checking of each object, the lookup
of versions held, the rows, one journal entry naming every object, one transaction) and,
as the baseline, the same stix_objects rows written by one `executemany` in one
transaction on the same engine, in the same run. Reported: objects per second of each and
the ratio (issue 13's target: at least 2,000 objects/s on SQLite).

    python -m benchmarks.stix_import --objects 10000 [--db postgresql --url ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import uuid
from typing import Any

from sqlalchemy import Engine, delete, insert

from benchmarks import databases
from collsec import startup
from collsec.core import db
from collsec.core.auth import service as auth
from collsec.core.auth.model import Principal
from collsec.exchange import stix_store
from collsec.exchange.tables import StixObjectRow

GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"  # TLP 1.0 GREEN
NOW = dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC)


def bundle(n: int) -> dict[str, Any]:
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
         "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
         "pattern": f"[ipv4-addr:value = '10.{k // 65536}.{k // 256 % 256}.{k % 256}']",
         "pattern_type": "stix", "valid_from": "2025-01-01T00:00:00Z",
         "object_marking_refs": [GREEN]} for k in range(n)]}


def journaled(engine: Engine, data: dict[str, Any]) -> float:
    officer = auth.Actor(None, "bench-rel", Principal.parse("delegation:KZ"),
                         frozenset({"releasing_officer"}), "api")
    with db.read_session(engine) as s:
        c = auth.clearance(s, officer, NOW.date(), "CSTO")
    start = time.perf_counter()
    with db.write_session(engine) as s:
        stix_store.import_bundle(s, c, officer, bundle=data, now=NOW)
    return time.perf_counter() - start


def raw(engine: Engine, data: dict[str, Any]) -> float:
    rows = [{"org": "CSTO", "stix_id": o["id"], "stix_type": o["type"],
             "version": o["modified"], "content": json.dumps(o, ensure_ascii=False),
             "owner": "delegation:KZ", "visibility": "observers", "report_id": None,
             "added_at": NOW, "added_by": "bench-raw"} for o in data["objects"]]
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(StixObjectRow), rows)
    return time.perf_counter() - start


def run(engine: Engine, n: int, rounds: int = 2) -> dict[str, Any]:
    ours, theirs = [], []
    for _ in range(rounds):  # alternate, so neither side gets the quieter disk
        ours.append(journaled(engine, bundle(n)))
        theirs.append(raw(engine, bundle(n)))
        with engine.begin() as conn:
            conn.execute(delete(StixObjectRow).where(StixObjectRow.added_by == "bench-raw"))
    best_ours, best_raw = min(ours), min(theirs)
    return {"objects": n, "imported_per_s": round(n / best_ours),
            "raw_per_s": round(n / best_raw), "ratio": round(best_raw / best_ours, 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=databases.DEFAULT_PG)
    args = parser.parse_args(argv)
    startup.wire()
    url = databases.url_for(args.db, "stix_import", args.url)
    engine = databases.create(url)
    try:
        result = run(engine, args.objects)
    finally:
        databases.drop(url)
    sys.stdout.write(json.dumps({"db": args.db, **result}, indent=2) + "\n")


if __name__ == "__main__":
    main()
