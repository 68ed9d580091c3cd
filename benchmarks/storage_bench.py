"""Storage benchmark: bulk-load synthetic gate events, then time lookups and sustained ingest.

    python benchmarks/storage_bench.py --url sqlite:///var/bench/anpr.db --events 1000000 --reset
    python benchmarks/storage_bench.py --url postgresql://postgres@127.0.0.1/bench --events 1000000 --reset

The target run is 1,000,000 events on both SQLite and PostgreSQL; targets:
p99 under 50 ms for lookup by plate (exact and fuzzy) and by container, and
at least 300 events/s sustained ingest through :func:`db.services.store_event`.

1. The schema is migrated (``--reset`` first drops every table of the database).
2. ``--declarations`` declarations (a fleet plate and two pool containers each,
   open for the days of the ingest run, a year after the bulk history) are
   imported through the real import service.
3. ``--events`` events are bulk-loaded with Core ``executemany`` in batches: a
   fleet of ``events/10`` trucks, 70 % of passes carrying one or two containers
   from a pool of ``events/3``, 8 % of plates misread with a look-alike swap;
   each event has a plate read, its container reads and one evidence row.
4. Lookups go through the repositories the API uses (50 results a page):
   exact plate, fuzzy plate (a misread query with a look-alike swap and, in
   half the queries, one plain edit), container number.
5. Ingest stores fresh full events (reads, observations, evidence, cross-check)
   through ``store_event`` (one event per transaction, the headline figure that
   ``targets.ingest_ok`` judges) with 1 writer and with ``--writers`` threads,
   then through ``store_events`` in batches of ``--ingest-batch`` events per
   transaction (reported apart, as ``ingest_batched``; ``--ingest-batch 0`` skips it).

Prints one JSON document; latencies in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from anpr.containers import random_container
from anpr.events import (
    ContainerResult,
    Direction,
    EvidenceImage,
    EvidenceKind,
    GateEvent,
    ObservedRead,
    PlateResult,
)
from anpr.plates import CONFUSABLE_PAIRS, PlateKind, random_plate
from anpr.types import BBox
from db.config import DbSettings
from db.declaration_service import import_declarations
from db.declarations import parse_json
from db.fuzzy_index import register as register_plates
from db.migrate import upgrade
from db.models import Base, ContainerReadRow, EvidenceRow, GateEventRow, PlateReadRow
from db.plate_keys import fold
from db.repositories.events import container_movements, events_by_plate
from db.retention import add_months
from db.services import store_event, store_events
from db.session import build_engine

START = datetime(2025, 1, 1, tzinfo=UTC)
INGEST_AT = START + timedelta(days=400)
"""Bulk history starts at START; ingested passes and the declarations' windows sit at INGEST_AT."""
SWAPS: dict[str, list[str]] = {}
for _pair in CONFUSABLE_PAIRS:
    _a, _b = sorted(_pair)
    SWAPS.setdefault(_a, []).append(_b)
    SWAPS.setdefault(_b, []).append(_a)


def misread(rng: random.Random, text: str, plain_edit: bool = False) -> str:
    """``text`` with one look-alike swap (and optionally one plain substitution)."""
    spots = [i for i, c in enumerate(text) if c in SWAPS]
    if spots:
        i = rng.choice(spots)
        text = text[:i] + rng.choice(SWAPS[text[i]]) + text[i + 1 :]
    if plain_edit:
        i = rng.randrange(len(text))
        text = text[:i] + rng.choice("ACEHKMNPTUVXY379") + text[i + 1 :]
    return text


class Fleet:
    """Deterministic synthetic trucks and containers."""

    def __init__(self, events: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.plates = [random_plate(self.rng, PlateKind.CAR) for _ in range(max(10, events // 10))]
        self.containers = [random_container(self.rng).number for _ in range(max(10, events // 3))]

    def boxes(self) -> list[str]:
        roll = self.rng.random()
        count = 0 if roll < 0.3 else (1 if roll < 0.85 else 2)
        return self.rng.sample(self.containers, count)


def _bulk_event(fleet: Fleet, pk: int, months: int) -> dict[str, list[dict[str, Any]]]:
    """The rows of one synthetic event: event, evidence, plate read, container reads."""
    rng = fleet.rng
    at = START + timedelta(seconds=pk * 20 + rng.randrange(20))
    plate = rng.choice(fleet.plates)
    text = misread(rng, plate.text) if rng.random() < 0.08 else plate.text
    event = {
        "id": pk,
        "event_id": f"bulk-{pk}",
        "lane": f"lane-{pk % 4}",
        "direction": "in" if pk % 2 else "out",
        "first_seen": at,
        "last_seen": at + timedelta(seconds=6),
        "status": rng.choice(["matched", "undeclared"]),
        "status_reason": "",
        "has_valid_read": True,
        "cameras": ["cam-a"],
        "stored_at": at,
        # The review list's columns (anpr.review.plate_trust): the misreads fail the grammar here.
        "plate_trust": 0.995 if text == plate.text else -1.0,
        "container_unverified": False,
    }
    evidence = {
        "id": pk,
        "event_pk": pk,
        "position": 0,
        "camera": "cam-a",
        "kind": "frame",
        "path": f"{at:%Y/%m/%d}/bulk-{pk}.jpg",
        "sha256": f"{pk:064x}",
        "size_bytes": 150_000,
        "taken_at": at,
        "retain_until": add_months(at, months),
        "width": 1920,
        "height": 1080,
        "boxes": [],
    }
    read = {
        "id": pk,
        "event_pk": pk,
        "slot": "plate",
        "role": "truck",
        "text": text,
        "folded": fold(text),
        "formatted": plate.formatted,
        "confidence": 0.995 if text == plate.text else 0.9,
        "valid": text == plate.text,
        "rows": plate.rows,
        "seen_at": at,
        "camera": "cam-a",
        "bbox": None,
        "evidence_id": pk,
    }
    containers = [
        {
            "event_pk": pk,
            "position": i,
            "number": number,
            "check_digit_ok": True,
            "confidence": 0.9,
            "size_type": "45G1",
            "orientation": "horizontal",
            "seen_at": at,
            "camera": "cam-c",
            "bbox": None,
            "evidence_id": pk,
        }
        for i, number in enumerate(fleet.boxes())
    ]
    return {"events": [event], "evidence": [evidence], "plates": [read], "containers": containers}


def _bulk_rows(fleet: Fleet, first: int, count: int, months: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"events": [], "plates": [], "containers": [], "evidence": []}
    for pk in range(first, first + count):
        for key, rows in _bulk_event(fleet, pk, months).items():
            out[key] += rows
    return out


def bulk_load(engine: Engine, fleet: Fleet, events: int, batch: int, months: int) -> dict[str, float]:
    """Insert ``events`` synthetic events with Core executemany; returns rows and seconds."""
    tables = [
        ("events", GateEventRow),
        ("evidence", EvidenceRow),
        ("plates", PlateReadRow),
        ("containers", ContainerReadRow),
    ]
    rows, started = 0, time.perf_counter()
    for first in range(1, events + 1, batch):
        chunk = _bulk_rows(fleet, first, min(batch, events + 1 - first), months)
        with engine.begin() as conn:
            for key, model in tables:
                if chunk[key]:
                    conn.execute(insert(model), chunk[key])
                    rows += len(chunk[key])
            register_plates(conn, (p["folded"] for p in chunk["plates"]))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("gate_events", "evidence_images", "plate_reads", "container_reads"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
        conn.execute(text("ANALYZE"))
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds)}


def timed(calls: Iterator[Callable[[], object]]) -> dict[str, float]:
    samples = []
    for call in calls:
        t = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t) * 1000)
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "n": len(samples),
        "p50": round(q[49], 2),
        "p95": round(q[94], 2),
        "p99": round(q[98], 2),
        "max": round(max(samples), 2),
    }


def lookups(factory: sessionmaker[Session], fleet: Fleet, count: int) -> dict[str, dict[str, float]]:
    """Latencies of the three lookups through the repositories, each on a clean session state."""
    rng = random.Random(7)
    plates = [rng.choice(fleet.plates).text for _ in range(count)]
    fuzzy = [misread(rng, p, plain_edit=i % 2 == 1) for i, p in enumerate(plates)]
    boxes = [rng.choice(fleet.containers) for _ in range(count)]
    with factory() as s:

        def run(fn: Callable[..., object], *args: object, **kwargs: object) -> Callable[[], object]:
            def call() -> object:
                result = fn(s, *args, limit=50, **kwargs)
                s.rollback()
                s.expunge_all()
                return result

            return call

        return {
            "plate_exact": timed(run(events_by_plate, p) for p in plates),
            "plate_fuzzy": timed(run(events_by_plate, p, fuzzy=True) for p in fuzzy),
            "container": timed(run(container_movements, c) for c in boxes),
        }


def full_event(rng: random.Random, fleet: Fleet, n: int, at: datetime) -> GateEvent:
    plate = rng.choice(fleet.plates)
    evidence = EvidenceImage(
        "cam-a",
        EvidenceKind.FRAME,
        f"ingest/{n}.jpg",
        f"{n:064x}",
        150_000,
        at,
        1920,
        1080,
        (BBox(100, 200, 300, 260),),
    )
    read = ObservedRead("cam-a", at, plate.text, 0.93, True, BBox(100, 200, 300, 260), evidence.sha256)
    boxes = tuple(
        ContainerResult(c, True, 0.9, "45G1", reads=(ObservedRead("cam-c", at, c, 0.9, True),)) for c in fleet.boxes()
    )
    return GateEvent(
        f"ingest-{n}",
        "lane-1",
        Direction.IN,
        at,
        at + timedelta(seconds=5),
        PlateResult(plate.text, plate.formatted, 0.93, True, reads=(read, read)),
        None,
        boxes,
        (evidence,),
        ("cam-a", "cam-c"),
    )


def ingest(
    factory: sessionmaker[Session],
    fleet: Fleet,
    settings: DbSettings,
    count: int,
    writers: int,
    offset: int,
    batch: int = 1,
) -> dict[str, float]:
    """Store ``count`` fresh events with ``writers`` threads: one per transaction through
    ``store_event`` when ``batch`` is 1, else ``batch`` per transaction through ``store_events``."""
    rng = random.Random(offset)
    now = INGEST_AT
    events = [full_event(rng, fleet, offset + i, now + timedelta(seconds=i)) for i in range(count)]
    shares = [events[i::writers] for i in range(writers)]

    def work(share: list[GateEvent]) -> None:
        with factory() as s:
            if batch > 1:
                for first in range(0, len(share), batch):
                    store_events(s, share[first : first + batch], settings=settings, now=now)
                return
            for event in share:
                store_event(s, event, settings=settings, now=now)

    threads = [threading.Thread(target=work, args=(share,)) for share in shares]
    started, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # Client CPU per event: on a shared machine wall-clock rates understate what one free core does
    # (for SQLite this is all the work; for PostgreSQL the server's share comes on top).
    return {
        "writers": writers,
        "events_per_transaction": batch,
        "events": count,
        "seconds": round(seconds, 2),
        "events_per_s": round(count / seconds),
        "client_cpu_ms_per_event": round(cpu / count * 1000, 2),
    }


def declare(factory: sessionmaker[Session], fleet: Fleet, settings: DbSettings, count: int) -> dict[str, Any]:
    rng = random.Random(3)
    rows = [
        {
            "number": f"{100_000_000_000 + i * 10}",
            "type_code": rng.choice(["C11", "C12", "A11"]),
            "office_code": "02CI",
            "location_code": "02CIOZZ",
            "plates": [rng.choice(fleet.plates).formatted],
            "containers": rng.sample(fleet.containers, 2),
            "valid_from": INGEST_AT.date().isoformat(),
            "valid_to": (INGEST_AT + timedelta(days=2)).date().isoformat(),
        }
        for i in range(count)
    ]
    started = time.perf_counter()
    with factory() as s:
        report = import_declarations(s, parse_json(rows, ZoneInfo("UTC")), settings=settings, now=START)
    return {"count": count, "seconds": round(time.perf_counter() - started, 2), **report.counts()}


def reset(engine: Engine) -> None:
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="sqlite:///path or postgresql://user@host/db")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500, help="Lookups of each kind.")
    parser.add_argument("--ingest", type=int, default=2000, help="Events stored through store_event per run.")
    parser.add_argument("--writers", type=int, default=4, help="Threads for the concurrent ingest run.")
    parser.add_argument(
        "--ingest-batch", type=int, default=50, help="Events per transaction of the batched run (0: skip it)."
    )
    parser.add_argument("--declarations", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", action="store_true", help="Drop every table first.")
    parser.add_argument(
        "--synchronous-commit",
        choices=["on", "off"],
        default="on",
        help="PostgreSQL synchronous_commit (ANPR_DB_PG_SYNCHRONOUS_COMMIT).",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Skip the load: time a database loaded before with the same --events and --seed.",
    )
    args = parser.parse_args(argv)
    settings = DbSettings(database_url=args.url, pg_synchronous_commit=args.synchronous_commit)
    engine = build_engine(args.url, settings)
    if args.reset:
        reset(engine)
    upgrade(engine=engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    fleet = Fleet(args.events, args.seed)
    result: dict[str, Any] = {
        "dialect": engine.dialect.name,
        "events": args.events,
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    if not args.reuse:
        result["declarations"] = declare(factory, fleet, settings, args.declarations)
        result["bulk_load"] = bulk_load(engine, fleet, args.events, args.batch, settings.retention_months)
    result["lookups_ms"] = lookups(factory, fleet, args.queries)
    run = time.time_ns() // 1000 % 10**12 * 100  # fresh event ids on every run, also with --reuse
    result["ingest"] = [
        ingest(factory, fleet, settings, args.ingest, 1, run),
        ingest(factory, fleet, settings, args.ingest, args.writers, run + 10 * args.ingest),
    ]
    if args.ingest_batch > 0:
        result["ingest_batched"] = [
            ingest(factory, fleet, settings, args.ingest, 1, run + 20 * args.ingest, args.ingest_batch),
            ingest(factory, fleet, settings, args.ingest, args.writers, run + 30 * args.ingest, args.ingest_batch),
        ]
    p99 = max(v["p99"] for v in result["lookups_ms"].values())
    result["targets"] = {
        "lookup_p99_ms": 50,
        "ingest_events_per_s": 300,
        "lookup_ok": p99 < 50,
        "ingest_ok": max(r["events_per_s"] for r in result["ingest"]) >= 300,
    }
    if "ingest_batched" in result:
        result["targets"]["ingest_batched_ok"] = max(r["events_per_s"] for r in result["ingest_batched"]) >= 300
    engine.dispose()
    result["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
