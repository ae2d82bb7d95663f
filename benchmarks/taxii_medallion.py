"""collsec's TAXII 2.1 server against medallion 3.0.0 (the OASIS reference server, memory
backend), both serving the same indicators on loopback in the same run, each in its own
process, driven by one httpx harness (HTTP Basic, `Accept: application/taxii+json;version=2.1`):

- GET: the collection paged with `limit` (1,000) following `next`, the first page timed
  apart from the later ones (medallion's first page is quadratic in the collection's size:
  docs/research/taxii-misp.md §1.5, hence `--medallion-max`);
- POST: envelopes of 1,000 new indicators, each the same bytes to both, then a GET of the
  status resource. collsec journals every POST (one import, one journal entry); medallion
  keeps it in memory.

Rounds alternate which server goes first. Before any figure is reported the answers are
compared: each side paged exactly the ids it holds (medallion's are the first
`--medallion-max` of collsec's), and each status lists every posted id as a success. Also
recorded: the conformance differences seen (envelope keys, headers, status fields, the
401/406/415 answers, a `next` reused or sent with other filters, a POST of objects held).

    python -m benchmarks.taxii_medallion [--objects 10000] [--medallion-max 2000] \
        [--rounds 4] [--posts 4] [--db postgresql --url ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from benchmarks import databases, servers
from collsec import startup
from collsec.core import clock, db
from collsec.core.auth import service as auth
from collsec.exchange import stix
from collsec.exchange.tables import StixObjectRow

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"  # TLP 1.0: members
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NS = uuid.UUID("4f6d9a52-2d8e-4c59-9a53-6b1c3e0d7a21")
ORG, USER, PRINCIPAL = "CSTO", "bench-taxii", "delegation:KZ"
MEDALLION_PASSWORD = "bench-password"
ROOT = "collsec"  # medallion's API root, as ours is called
COLLECTION = stix.stix_id("collection", ORG, "members").split("--", 1)[1]
WORKDIR = databases.CACHE / "taxii_medallion"


def _ms(at: dt.datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z"


def indicator(k: int, kind: str) -> dict[str, Any]:
    """Indicator `k` of a kind ("held" or "posted"): its own id and pattern, created and
    modified `k` ms after the start of 2025, marked TLP:AMBER (collsec's members level)."""
    at = _ms(START + dt.timedelta(milliseconds=k))
    octets = f"{k // 65536 % 256}.{k // 256 % 256}.{k % 256}"
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid5(NS, f'{kind}-{k}')}", "created": at,
            "modified": at, "valid_from": at, "pattern_type": "stix",
            "pattern": f"[ipv4-addr:value = '{10 if kind == 'held' else 11}.{octets}']",
            "object_marking_refs": [AMBER]}


def held(n: int) -> list[dict[str, Any]]:
    return [indicator(k, "held") for k in range(n)]


def envelopes(count: int, size: int) -> list[list[dict[str, Any]]]:
    return [[indicator(j * size + k, "posted") for k in range(size)] for j in range(count)]


# -- the two servers' data --------------------------------------------------------------

def load_collsec(url: str, objects: list[dict[str, Any]]) -> str:
    """A releasing officer of Kazakhstan with an API token (reads and writes the members
    collection), and the objects as members-level rows it shared, as
    tests/exchange/test_taxii.py sets them up; returns the token."""
    startup.wire()
    engine = db.engine_for(url)
    with db.write_session(engine) as s:
        auth.add_user(s, *auth.installer(), username=USER, principal=PRINCIPAL,
                      roles=["releasing_officer"], now=clock.now(), password=uuid.uuid4().hex)
    with db.write_session(engine) as s:
        token = str(auth.create_token(s, *auth.installer(), username=USER, name="taxii-bench",
                                      now=clock.now())[1])
    now = clock.now()
    rows = [{"org": ORG, "stix_id": o["id"], "stix_type": o["type"], "version": o["modified"],
             "content": json.dumps(o), "owner": PRINCIPAL, "visibility": "members",
             "report_id": None, "added_at": now, "added_by": USER} for o in objects]
    with db.write_session(engine) as s:
        for at in range(0, len(rows), 5000):
            s.execute(insert(StixObjectRow), rows[at:at + 5000])
    engine.dispose()
    return token


def write_medallion(workdir: Path, port: int, objects: list[dict[str, Any]], page: int
                    ) -> Path:
    """medallion's data file (discovery with the real port, one API root, one collection
    with a manifest entry per object) and its config; returns the config's path."""
    base = f"http://127.0.0.1:{port}/{ROOT}/"
    manifest = []
    for k, o in enumerate(objects):
        added = START + dt.timedelta(milliseconds=k)
        manifest.append({"id": o["id"], "date_added": f"{added:%Y-%m-%dT%H:%M:%S.%f}Z",
                         "version": o["modified"], "media_type": STIX})
    data = {
        "/discovery": {"title": "bench", "description": "medallion beside collsec",
                       "default": base, "api_roots": [base]},
        ROOT: {"information": {"title": "bench root", "versions": [TAXII],
                               "max_content_length": 100 * 1024 * 1024},
               "status": [],
               "collections": [{"id": COLLECTION, "title": "Members", "can_read": True,
                                "can_write": True, "media_types": [STIX],
                                "objects": objects, "manifest": manifest}]}}
    data_path, config_path = workdir / "medallion-data.json", workdir / "medallion.json"
    data_path.write_text(json.dumps(data), encoding="utf-8")
    config_path.write_text(json.dumps({
        "backend": {"module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend", "filename": str(data_path),
                    "session_timeout": 3600, "check_interval": 10},
        "users": {USER: MEDALLION_PASSWORD},
        "taxii": {"max_page_size": page}}), encoding="utf-8")
    return config_path


# -- serving ----------------------------------------------------------------------------

def serving(argv: list[str], env: dict[str, str], discovery: str, credentials: tuple[str, str],
            log: Path) -> contextlib.AbstractContextManager[None]:
    """A server in its own process, its output to `log`, until its discovery answers 200."""
    return servers.running(argv, env, lambda: httpx.get(
        discovery, auth=credentials, headers={"Accept": TAXII}, timeout=2).status_code == 200,
        log=log)


# -- the harness ------------------------------------------------------------------------

@dataclass
class Side:
    name: str
    discovery: str
    root: str  # the API root's URL, ending in /
    client: httpx.Client

    @property
    def objects(self) -> str:
        return f"{self.root}collections/{COLLECTION}/objects/"


def _ok(r: httpx.Response, side: Side, code: int = 200) -> Any:
    if r.status_code != code:
        raise AssertionError(f"{side.name}: {r.request.method} {r.request.url} answered "
                             f"{r.status_code}: {r.text[:500]}")
    return r.json()


def page_through(side: Side, page: int, probe: bool = False) -> dict[str, Any]:
    """Every page of the collection, `limit=page` following `next`; each request timed
    (the answer read, not decoded). With `probe`, untimed extra requests between and
    after: the second page asked with another filter, the first `next` sent again."""
    started = time.perf_counter()
    r = side.client.get(side.objects, params={"limit": page})
    first_s = time.perf_counter() - started
    body = _ok(r, side)
    seen: dict[str, Any] = {"first_keys": sorted(body), "headers": _taxii_headers(r)}
    ids = [o["id"] for o in body.get("objects", [])]
    first_next = body.get("next")
    probes: dict[str, Any] = {}
    if probe and first_next:
        probes["next_with_other_filter"] = _answer(side.client.get(side.objects, params={
            "limit": page, "next": first_next, "match[type]": "indicator"}))
    later: list[float] = []
    second: list[str] = []
    while body.get("more"):
        started = time.perf_counter()
        r = side.client.get(side.objects, params={"limit": page, "next": body["next"]})
        later.append(time.perf_counter() - started)
        body = _ok(r, side)
        got = [o["id"] for o in body.get("objects", [])]
        second = second or got
        ids += got
    seen["last_keys"] = sorted(body)
    if probe and first_next:
        again = side.client.get(side.objects, params={"limit": page, "next": first_next})
        probes["next_sent_again"] = {**_answer(again), "same_page": again.status_code == 200
                                     and [o["id"] for o in again.json().get("objects", [])]
                                     == second}
    return {"first_s": first_s, "later_s": later, "ids": ids, "seen": seen, "probes": probes}


def post(side: Side, body: bytes) -> dict[str, Any]:
    started = time.perf_counter()
    r = side.client.post(side.objects, content=body, headers={"Content-Type": TAXII})
    post_s = time.perf_counter() - started
    status = _ok(r, side, 202)
    started = time.perf_counter()
    again = _ok(side.client.get(f"{side.root}status/{status['id']}/"), side)
    return {"post_s": post_s, "status_s": time.perf_counter() - started, "status": status,
            "polled": again}


def _taxii_headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items()
            if k.lower().startswith("x-taxii") or k.lower() == "content-type"}


def _answer(r: httpx.Response) -> dict[str, Any]:
    """What an answer says, for the conformance table: its code, and the parts of an
    error body or the size of a page."""
    out: dict[str, Any] = {"status": r.status_code,
                           "content_type": r.headers.get("content-type", "")}
    try:
        body = r.json()
    except ValueError:
        return out
    if isinstance(body, dict) and "objects" in body:
        out["objects"] = len(body["objects"])
    elif isinstance(body, dict):
        out["keys"] = sorted(body)
        out["description"] = str(body.get("description", body.get("title", "")))[:140]
    return out


def conformance(side: Side, dupes: list[dict[str, Any]]) -> dict[str, Any]:
    """The refusals both should give, and a POST of objects already held."""
    plain = httpx.Client(timeout=30)
    try:
        no_credentials = plain.get(side.discovery, headers={"Accept": TAXII})
        out: dict[str, Any] = {
            "no_credentials": {**_answer(no_credentials), "www_authenticate":
                               no_credentials.headers.get("www-authenticate", "")},
            "accept_json": _answer(side.client.get(side.objects, params={"limit": 1},
                                                   headers={"Accept": "application/json"})),
            "content_type_stix": _answer(side.client.post(
                side.objects, content=json.dumps({"objects": dupes}).encode(),
                headers={"Content-Type": STIX})),
        }
    finally:
        plain.close()
    r = side.client.post(side.objects, content=json.dumps({"objects": dupes}).encode(),
                         headers={"Content-Type": TAXII})
    status = r.json()
    out["post_of_objects_held"] = {
        "status": r.status_code, "success_count": status.get("success_count"),
        "failure_count": status.get("failure_count"),
        "messages": sorted({d.get("message", "") for key in ("successes", "failures")
                            for d in status.get(key, [])})}
    return out


# -- the run ----------------------------------------------------------------------------

def _rate(n: int, seconds: float) -> int:
    return round(n / seconds) if seconds > 0 else 0


def run(url: str, objects: int = 10_000, medallion_max: int = 2000, rounds: int = 4,
        posts_n: int = 4, page: int = 1000, envelope: int = 1000,
        workdir: Path = WORKDIR) -> dict[str, Any]:
    """Both servers up, the rounds run, the answers compared, the figures. `url` is a
    migrated database with the CSTO loaded and no STIX objects (the collsec side)."""
    workdir.mkdir(parents=True, exist_ok=True)
    ours = held(objects)
    theirs = ours[:min(objects, medallion_max)]
    token = load_collsec(url, ours)
    collsec_port, medallion_port = servers.free_port(), servers.free_port()
    config = write_medallion(workdir, medallion_port, theirs, page)
    c_base, m_base = f"http://127.0.0.1:{collsec_port}", f"http://127.0.0.1:{medallion_port}"
    collsec_cmd = servers.collsec_command(collsec_port)
    medallion_cmd = [sys.executable, "-m", "medallion.scripts.run", "--host", "127.0.0.1",
                     "--port", str(medallion_port), "--log-level", "WARN", str(config)]
    posting = envelopes(posts_n, envelope)
    with contextlib.ExitStack() as stack:
        stack.enter_context(serving(collsec_cmd, {"COLLSEC_DATABASE_URL": url},
                                    f"{c_base}/taxii2/", (USER, token), workdir / "collsec.log"))
        stack.enter_context(serving(medallion_cmd, {}, f"{m_base}/taxii2/",
                                    (USER, MEDALLION_PASSWORD), workdir / "medallion.log"))
        sides = [Side("collsec", f"{c_base}/taxii2/", f"{c_base}/taxii2/{ROOT}/",
                      stack.enter_context(httpx.Client(auth=(USER, token),
                                                       headers={"Accept": TAXII}, timeout=900))),
                 Side("medallion", f"{m_base}/taxii2/", f"{m_base}/{ROOT}/",
                      stack.enter_context(httpx.Client(auth=(USER, MEDALLION_PASSWORD),
                                                       headers={"Accept": TAXII}, timeout=900)))]
        passes: dict[str, list[dict[str, Any]]] = {s.name: [] for s in sides}
        for r in range(rounds):  # GET first, so medallion's collection keeps its size
            for side in (sides if r % 2 == 0 else sides[::-1]):
                passes[side.name].append(page_through(side, page, probe=r == 0))
        posts: dict[str, list[dict[str, Any]]] = {s.name: [] for s in sides}
        for j, batch in enumerate(posting):  # each to both, alternating which is first
            body = json.dumps({"objects": batch}).encode()
            for side in (sides if j % 2 == 0 else sides[::-1]):
                posts[side.name].append(post(side, body))
        conform = {s.name: conformance(s, posting[0][:3]) for s in sides}
    compared = compare(ours, theirs, passes, posts, posting)
    return {"objects": {"collsec": len(ours), "medallion": len(theirs)}, "page": page,
            "envelope": envelope, "rounds": rounds, "envelopes": len(posting),
            "compared": compared,
            "get": get_figures(passes, len(ours), len(theirs), page),
            "post": post_figures(posts, envelope),
            "conformance": conformance_table(passes, posts, conform)}


def compare(ours: list[dict[str, Any]], theirs: list[dict[str, Any]],
            passes: dict[str, list[dict[str, Any]]], posts: dict[str, list[dict[str, Any]]],
            posting: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Stop unless each side paged exactly what it holds, once each, and each status
    names every posted object as a success (the first posting also polled again)."""
    expected = {"collsec": [o["id"] for o in ours], "medallion": [o["id"] for o in theirs]}
    same_order = True
    for name, runs in passes.items():
        for p in runs:
            if len(p["ids"]) != len(set(p["ids"])) or set(p["ids"]) != set(expected[name]):
                raise AssertionError(f"{name} paged {len(p['ids'])} ids "
                                     f"({len(set(p['ids']))} distinct), not the "
                                     f"{len(expected[name])} it holds")
            same_order = same_order and p["ids"] == expected[name]
    m = len(theirs)
    if set(passes["collsec"][0]["ids"][:m]) != set(passes["medallion"][0]["ids"]):
        same_order = False
    for name, done in posts.items():
        for sent, d in zip(posting, done, strict=True):
            for status in (d["status"], d["polled"]):
                got = {x["id"] for x in status.get("successes", [])}
                if status["status"] != "complete" or status["success_count"] != len(sent) \
                        or status.get("failure_count") or got != {o["id"] for o in sent}:
                    raise AssertionError(f"{name}: a status does not list the "
                                         f"{len(sent)} posted ids as successes: "
                                         f"{json.dumps(status)[:400]}")
    return {"pages": sum(len(runs) for runs in passes.values()),
            "posts": sum(len(done) for done in posts.values()),
            "ids_paged": {k: len(v) for k, v in expected.items()},
            "ids_posted": sum(len(b) for b in posting), "same_order": same_order}


def get_figures(passes: dict[str, list[dict[str, Any]]], n_ours: int, n_theirs: int,
                page: int) -> dict[str, Any]:
    """Best of the rounds per side: the whole collection, its first page, its later
    pages; the ratios over the same objects (collsec's first pages holding medallion's)."""
    def best(runs: list[dict[str, Any]], n: int, pages: int | None = None) -> dict[str, Any]:
        first = min(p["first_s"] for p in runs)
        later = min(sum(p["later_s"][:pages]) for p in runs)
        whole = min(p["first_s"] + sum(p["later_s"][:pages]) for p in runs)
        later_n = min(n, (1 + len(runs[0]["later_s"][:pages])) * page) - min(n, page)
        return {"objects": n, "first_page_s": round(first, 4), "later_pages_s": round(later, 4),
                "all_s": round(whole, 4), "per_s": _rate(n, whole),
                "later_per_s": _rate(later_n, later) if later_n else None}

    pages_same = max(0, -(-n_theirs // page) - 1)
    c_all = best(passes["collsec"], n_ours)
    c_same = best(passes["collsec"], n_theirs, pages_same)
    med = best(passes["medallion"], n_theirs)
    return {"collsec": c_all, "collsec_same_objects": c_same, "medallion": med,
            "ratio": round(c_same["per_s"] / med["per_s"], 1) if med["per_s"] else None,
            "ratio_first_page": round(med["first_page_s"] / c_same["first_page_s"], 1),
            "ratio_later_pages": round(c_same["later_per_s"] / med["later_per_s"], 2)
            if c_same["later_per_s"] and med["later_per_s"] else None}


def post_figures(posts: dict[str, list[dict[str, Any]]], envelope: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, done in posts.items():
        seconds = [d["post_s"] for d in done]
        out[name] = {"per_s": _rate(envelope * len(done), sum(seconds)),
                     "post_s": [round(s, 4) for s in seconds],
                     "status_ms": round(1000 * sum(d["status_s"] for d in done) / len(done), 2)}
    out["ratio"] = round(out["collsec"]["per_s"] / out["medallion"]["per_s"], 2) \
        if out["medallion"]["per_s"] else None
    return out


def conformance_table(passes: dict[str, list[dict[str, Any]]],
                      posts: dict[str, list[dict[str, Any]]],
                      probes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What each side answered, side by side; `differences` names the rows that differ."""
    rows: dict[str, dict[str, Any]] = {}
    for name in passes:
        first = passes[name][0]
        status = posts[name][0]["status"]
        for key, value in {
            "envelope_keys_first_page": first["seen"]["first_keys"],
            "envelope_keys_last_page": first["seen"]["last_keys"],
            "page_headers": sorted(first["seen"]["headers"]),
            "content_type": first["seen"]["headers"].get("content-type", ""),
            "date_added_header": first["seen"]["headers"].get("x-taxii-date-added-first", ""),
            "status_keys": sorted(status),
            "status_detail_keys": sorted(status["successes"][0]) if status.get("successes")
            else [],
            "status_at_once": status["status"],
            **first["probes"], **probes[name],
        }.items():
            rows.setdefault(key, {})[name] = value
    def shape(value: Any) -> str:  # what is compared: not the wording of a description
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k != "description"}
        return json.dumps(value, sort_keys=True)

    differences = sorted(k for k, v in rows.items()
                         if k != "date_added_header" and len({shape(x) for x in v.values()}) > 1)
    return {"rows": rows, "differences": differences}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=10_000,
                        help="indicators collsec holds (default 10,000)")
    parser.add_argument("--medallion-max", type=int, default=2000,
                        help="medallion holds the first this many (its first page is "
                             "quadratic: about 20 s at 2,000)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="GET passes of the whole collection per side")
    parser.add_argument("--posts", type=int, default=4,
                        help="envelopes POSTed to each side (each of --envelope new objects)")
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--envelope", type=int, default=1000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=databases.DEFAULT_PG)
    parser.add_argument("--json", type=str, default=None)
    args = parser.parse_args(argv)
    if importlib.util.find_spec("medallion") is None:
        sys.stdout.write("note: medallion is not installed (requirements/test.txt); "
                         "benchmarks.taxii_medallion skipped\n")
        return
    databases.CACHE.mkdir(parents=True, exist_ok=True)
    url = databases.url_for(args.db, "taxii_medallion", args.url)
    databases.create(url)
    try:
        result = run(url, args.objects, args.medallion_max, args.rounds, args.posts,
                     args.page, args.envelope)
    finally:
        databases.drop(url)
        (WORKDIR / "medallion-data.json").unlink(missing_ok=True)
    text = json.dumps({"db": args.db, **result}, indent=2)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text)
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
