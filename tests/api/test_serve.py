"""``anpr serve``: workers serve, a dead worker is replaced, SIGTERM stops them all, bad set-ups fail clearly.

These start the real server in a child process (uvicorn, the app, a SQLite file), as an
operator would, and talk to it over loopback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from anpr.cli import main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, port: int, workers: int, **env_vars: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "ANPR_API_WEBHOOKS_ENABLED": "false", **env_vars}
    command = [sys.executable, "-c", "from anpr.cli import main; main()", "serve", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _workers(server: subprocess.Popen[bytes]) -> set[int]:
    """PIDs of the worker processes (the spawn helper's resource tracker is not one)."""
    found = set()
    for child in psutil.Process(server.pid).children():
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                found.add(child.pid)
        except psutil.Error:
            continue
    return found


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def stop_after() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for server in started:
        if server.poll() is None:
            for child in psutil.Process(server.pid).children(recursive=True):
                child.kill()
            server.kill()
            server.wait(10)


def test_two_workers_serve_a_dead_one_is_replaced_and_sigterm_stops_them(
    tmp_path: Path, stop_after: list[subprocess.Popen[bytes]]
) -> None:
    port = _free_port()
    server = _serve(f"sqlite:///{tmp_path / 'serve.db'}", port, 2)
    stop_after.append(server)
    _wait(lambda: len(_workers(server)) == 2 and _answers(port), 90, "two workers serving")
    first = _workers(server)
    os.kill(min(first), signal.SIGKILL)
    _wait(lambda: len(_workers(server) - first) == 1 and len(_workers(server)) == 2, 90, "a replacement worker")
    _wait(lambda: all(_answers(port) for _ in range(20)), 60, "every connection answered again")
    workers = _workers(server)
    server.send_signal(signal.SIGTERM)
    assert server.wait(30) == 0
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in workers)


def test_workers_that_cannot_start_stop_the_server_with_an_error(
    tmp_path: Path, stop_after: list[subprocess.Popen[bytes]]
) -> None:
    # nothing migrates first, so only the workers find out that the database folder cannot be made
    server = _serve("sqlite:////proc/no-such-folder/anpr.db", _free_port(), 2, ANPR_API_MIGRATE_ON_START="false")
    stop_after.append(server)
    assert server.wait(90) == 3
    assert b"failed to start" in (server.stderr.read() if server.stderr else b"")


def test_an_unreachable_database_stops_the_server_before_any_worker_starts(
    stop_after: list[subprocess.Popen[bytes]],
) -> None:
    # nothing listens on port 9 of loopback
    server = _serve("postgresql://postgres@127.0.0.1:9/nowhere", _free_port(), 2)
    stop_after.append(server)
    assert server.wait(60) == 3
    assert b"error: cannot bring the database up to date" in (server.stderr.read() if server.stderr else b"")


def test_bad_settings_stop_the_server_with_their_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANPR_API_PAGE_LIMIT_DEFAULT", "0")
        with pytest.raises(SystemExit) as exit_info:
            main(["serve", "--port", str(_free_port())])
    assert exit_info.value.code == 3
    err = capsys.readouterr().err
    assert "invalid settings" in err and "page_limit_default" in err


def test_an_unknown_log_level_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--log-level", "loud"])
    assert exit_info.value.code != 0
    assert "--log-level must be one of" in capsys.readouterr().err
