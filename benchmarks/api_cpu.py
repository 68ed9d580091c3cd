"""CPU per request of the plate search, measured in-process: no HTTP, no concurrency, no other tenant.

    python benchmarks/api_cpu.py --url sqlite:///var/bench/api.db --events 1000000

Runs on a database that ``api_bench.py`` loaded (same ``--events`` and ``--seed``). It times
``--requests`` lookups one after the other, exact and fuzzy, two ways: the repository call alone
(``db.repositories.events.events_by_plate`` in its own session) and the whole app (the ASGI app called
directly, with API-key auth, the route, serialisation and the audit queue). The difference is the
web stack's share. CPU time of this process (``time.process_time``) is the figure to compare between
code versions; on PostgreSQL, wall time also counts the server's work and the round trips.

Prints one JSON document; milliseconds per request, best of ``--rounds``. ``--profile FILE`` also writes
cProfile stats of the app's exact lookups (read them with ``python -m pstats FILE``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from api_bench import paths  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402
from storage_bench import Fleet  # noqa: E402

from api.services.apikeys import create_api_key  # noqa: E402
from api.services.identifiers import plate_query  # noqa: E402
from db.config import DbSettings  # noqa: E402
from db.repositories import events as repo  # noqa: E402
from db.session import build_engine  # noqa: E402


def best(run: Callable[[], int], rounds: int) -> dict[str, float]:
    """CPU and wall milliseconds per call of the fastest of ``rounds`` runs (``run`` returns its count)."""
    out: dict[str, float] = {}
    for _ in range(rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        n = run()
        cpu_ms, wall_ms = (time.process_time() - cpu) * 1000 / n, (time.perf_counter() - wall) * 1000 / n
        if not out or cpu_ms < out["cpu_ms"]:
            out = {"cpu_ms": round(cpu_ms, 3), "wall_ms": round(wall_ms, 3)}
    return out


async def call(app: Any, path: str, key: str) -> int:
    """One GET through the ASGI app; the status code."""
    route, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": unquote(route), "raw_path": route.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {key}".encode())],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", type=Path, help="Also profile the app's exact lookups (cProfile) and write the stats here."
    )
    args = parser.parse_args(argv)

    os.environ.update(DATABASE_URL=args.url, ANPR_API_WEBHOOKS_ENABLED="false", ANPR_API_MIGRATE_ON_START="false")
    from api.main import create_app  # after the environment: the app reads its settings from it

    work = paths(Fleet(args.events, args.seed), args.requests, 0.2, args.seed + 4)
    by_kind = {kind: [p for k, p in work if k == kind] for kind in ("exact", "fuzzy")}
    engine = build_engine(args.url, DbSettings(database_url=args.url))
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions() as session:
        key = create_api_key(session, "officer", "api cpu bench").secret
        session.commit()

    def repository(kind: str) -> int:
        for path in by_kind[kind]:
            text = unquote(path.split("/")[4].split("?")[0])
            with sessions() as session:
                repo.events_by_plate(
                    session, plate_query(text, raw=kind == "fuzzy"), repo.EventQuery(), fuzzy=kind == "fuzzy"
                )
                session.commit()
        return len(by_kind[kind])

    report: dict[str, Any] = {"url": args.url.split("@")[-1], "events": args.events, "requests": args.requests}
    for kind in by_kind:
        report[f"repository_{kind}"] = best(lambda kind=kind: repository(kind), args.rounds)
    app = create_app()

    async def requests(batch: list[str]) -> int:
        for path in batch:
            if await call(app, path, key) != 200:
                raise SystemExit(f"GET {path} failed")
        return len(batch)

    # One event loop for the app's whole life (its lifespan opens the engine and the audit writer);
    # each timed round runs on it, so the app is measured exactly like the repository.
    with asyncio.Runner() as loop:
        lifespan = app.router.lifespan_context(app)
        loop.run(lifespan.__aenter__())
        try:
            loop.run(requests([p for _, p in work[:200]]))  # warm-up: imports, statement caches, the key cache
            for kind, batch in by_kind.items():
                report[f"app_{kind}"] = best(lambda batch=batch: loop.run(requests(batch)), args.rounds)
            if args.profile:
                profiler = cProfile.Profile()
                profiler.runcall(loop.run, requests(by_kind["exact"]))
                profiler.dump_stats(args.profile)
                report["profile"] = str(args.profile)
        finally:
            loop.run(lifespan.__aexit__(None, None, None))
    engine.dispose()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
