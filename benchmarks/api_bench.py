"""API benchmark: ``GET /api/v1/vehicles/{plate}/entries`` under 50 concurrent clients on loopback.

    python benchmarks/api_bench.py --url sqlite:///var/bench/api.db --events 1000000 --reset
    python benchmarks/api_bench.py --url postgresql://postgres@127.0.0.1/bench_api --events 1000000 --reset

Target: p99 under 100 ms with 50 concurrent clients, on SQLite and PostgreSQL, with 1,000,000 events.

1. The database is migrated; with ``--reset`` (or when it is empty) it is emptied and
   ``--events`` synthetic events are bulk-loaded with the storage benchmark's generator
   (``benchmarks/storage_bench.py``: a fleet of events/10 trucks, 8 % look-alike misreads).
2. An officer key is created and the real app is served on 127.0.0.1 by ``anpr serve --workers N``
   in a separate process: API-key auth, the query, and an audit row per request.
3. ``--clients`` asyncio clients each send requests back to back (a closed loop, no think time) for
   ``--requests`` requests in all: exact plate lookups, and ``--fuzzy-share`` of fuzzy ones with a
   look-alike misread query. Latency is measured at the client, from send to last byte.
4. ``machine_cpu_ms_per_request`` is the busy time of all cores during the run divided by the
   requests: the API, the client and, where it runs here, the database server together.
5. ``server_cpu_ms_per_request`` is the CPU time of the server processes (all workers) during the
   measured run divided by the requests: on a shared machine, where wall-clock latency mostly says
   how busy the other tenants were, this is the figure to compare between code versions.

Prints one JSON document; latencies in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from storage_bench import Fleet, bulk_load, misread, reset  # noqa: E402

from api.services.apikeys import create_api_key  # noqa: E402
from db.config import DbSettings  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import GateEventRow  # noqa: E402
from db.session import build_engine  # noqa: E402


def prepare(url: str, events: int, seed: int, force: bool, batch: int) -> tuple[Fleet, dict[str, Any], str]:
    """Migrate, (re)load events when needed, and create an officer key."""
    settings = DbSettings(database_url=url)
    engine = build_engine(url, settings)
    try:
        stored = 0
        if not force:
            upgrade(engine=engine)
            with Session(engine) as session:
                stored = session.scalar(select(func.count(GateEventRow.id))) or 0
        fleet = Fleet(events, seed)
        load: dict[str, Any] = {"reused": stored}
        if stored and stored != events and not force:
            raise SystemExit(f"the database holds {stored} events, not {events}: pass --reset to reload it")
        if force or stored < events:
            reset(engine)
            upgrade(engine=engine)
            load = bulk_load(engine, fleet, events, batch, settings.retention_months)
        with Session(engine) as session:
            key = create_api_key(session, "officer", "api bench").secret
            session.commit()
        return fleet, load, key
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "ANPR_API_WEBHOOKS_ENABLED": "false",
           "ANPR_API_MIGRATE_ON_START": "false"}  # fmt: skip
    command = [sys.executable, "-c", "from anpr.cli import main; main()", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT.parent, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the API server did not start within 60 s")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children (Linux ``/proc``; 0 elsewhere)."""
    try:
        import psutil
    except ImportError:
        return 0.0
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            continue
    return total


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (``psutil.cpu_times``; 0 without psutil)."""
    try:
        import psutil
    except ImportError:
        return 0.0
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def paths(fleet: Fleet, count: int, fuzzy_share: float, seed: int) -> list[tuple[str, str]]:
    """``(kind, path)`` of every request, drawn from the fleet's plates."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        plate = rng.choice(fleet.plates)
        if rng.random() < fuzzy_share:
            out.append(("fuzzy", f"/api/v1/vehicles/{misread(rng, plate.text)}/entries?fuzzy=true&raw=true"))
        else:
            out.append(("exact", f"/api/v1/vehicles/{plate.formatted}/entries"))
    return out


Get = Callable[[str], Awaitable[int]]
"""Sends one GET of a path and returns the status code (0 for a transport error)."""


async def closed_loop(work: list[tuple[str, str]], clients: int, connect: Callable[[], Any]) -> dict[str, list[float]]:
    """Run ``work`` with ``clients`` concurrent closed-loop clients, each with its own ``connect()``
    (an async context manager giving a :data:`Get`); latencies (ms) by kind."""
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)
    results: dict[str, list[float]] = {"exact": [], "fuzzy": [], "errors": []}

    async def worker() -> None:
        async with connect() as get:
            while not queue.empty():
                kind, path = queue.get_nowait()
                started = time.perf_counter()
                status = await get(path)
                elapsed = (time.perf_counter() - started) * 1000
                results[kind if status == 200 else "errors"].append(elapsed)

    await asyncio.gather(*(worker() for _ in range(clients)))
    return results


async def load(base: str, key: str, work: list[tuple[str, str]], clients: int) -> dict[str, list[float]]:
    """:func:`closed_loop` over one shared ``httpx.AsyncClient``."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, limits=limits,
                                 timeout=30) as client:  # fmt: skip

        async def get(path: str) -> int:
            try:
                return (await client.get(path)).status_code
            except httpx.HTTPError:
                return 0

        @asynccontextmanager
        async def connect() -> AsyncIterator[Get]:
            yield get

        return await closed_loop(work, clients, connect)


async def _raw_get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One keep-alive HTTP/1.1 GET; the status code (the body is read and dropped)."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" not in headers:
        raise ConnectionError("response without content-length")
    await reader.readexactly(int(headers["content-length"]))
    return status


async def raw_load(base: str, key: str, work: list[tuple[str, str]], clients: int) -> dict[str, list[float]]:
    """:func:`closed_loop` with a minimal keep-alive HTTP/1.1 connection per client: the benchmark
    process shares the two cores with the server, and httpx costs about as much CPU per request as
    the server does, which would measure the client rather than the API."""
    host, port = base.removeprefix("http://").split(":")

    @asynccontextmanager
    async def connect() -> AsyncIterator[Get]:
        reader, writer = await asyncio.open_connection(host, int(port))

        async def get(path: str) -> int:
            nonlocal reader, writer
            target = quote(path, safe="/?&=")
            request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n".encode()
            try:
                return await _raw_get(reader, writer, request)
            except (OSError, ValueError, asyncio.IncompleteReadError):
                writer.close()
                reader, writer = await asyncio.open_connection(host, int(port))
                return 0

        try:
            yield get
        finally:
            writer.close()

    return await closed_loop(work, clients, connect)


def summary(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"n": 0}
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {
        "n": len(ordered), "p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": round(ordered[-1], 1),
        "mean": round(statistics.fmean(ordered), 1),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="sqlite:///path or postgresql://user@host/db")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--fuzzy-share", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=2, help="Worker processes of anpr serve.")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", action="store_true", help="Drop every table and reload the events.")
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw",
        help="raw: a minimal keep-alive HTTP/1.1 client (cheap: the server gets the cores); httpx: httpx.AsyncClient.",
    )  # fmt: skip
    args = parser.parse_args(argv)
    run = raw_load if args.client == "raw" else load

    fleet, loaded, key = prepare(args.url, args.events, args.seed, args.reset, args.batch)
    port = _free_port()
    server = start_server(args.url, port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}"
        asyncio.run(run(base, key, paths(fleet, args.warmup, args.fuzzy_share, args.seed + 1), args.clients))
        work = paths(fleet, args.requests, args.fuzzy_share, args.seed + 2)
        cpu = _cpu_seconds(server.pid)
        busy = _machine_busy_seconds()
        client_cpu = time.process_time()
        started = time.perf_counter()
        results = asyncio.run(run(base, key, work, args.clients))
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds(server.pid) - cpu
        busy = _machine_busy_seconds() - busy
        client_cpu = time.process_time() - client_cpu
    finally:
        server.terminate()
        server.wait(30)
    report = {
        "url": args.url.split("@")[-1], "events": args.events, "load": loaded, "clients": args.clients,
        "workers": args.workers, "requests": args.requests, "seconds": round(seconds, 1),
        "requests_per_s": round(args.requests / seconds), "exact": summary(results["exact"]),
        "fuzzy": summary(results["fuzzy"]), "all": summary(results["exact"] + results["fuzzy"]),
        "errors": len(results["errors"]), "target_p99_ms": 100,
        "server_cpu_ms_per_request": round(cpu / args.requests * 1000, 2), "client": args.client,
        "client_cpu_ms_per_request": round(client_cpu / args.requests * 1000, 2),
        "machine_cpu_ms_per_request": round(busy / args.requests * 1000, 2),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }  # fmt: skip
    report["meets_target"] = bool(report["all"].get("p99", 1e9) < 100 and not report["errors"])
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
