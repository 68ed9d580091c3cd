"""End-to-end fixtures: the real app served by uvicorn on loopback, driven by Debian's chromium.

Skipped, with the reason, when the ``playwright`` package or ``/usr/bin/chromium``
is missing (``make`` installs both: ``apt-get install -y chromium`` and
``pip install playwright``; ``playwright install`` is never run, nothing is
downloaded). The store is a fresh SQLite file seeded through the HTTP API.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from e2e_support import CHROMIUM, CHROMIUM_ARGS, Site, free_port, seed
from sqlalchemy.orm import Session

from anpr.config import AnprSettings
from api.config import ApiSettings
from api.main import create_app
from api.services.apikeys import create_api_key
from db.config import DbSettings
from db.migrate import upgrade
from db.session import build_engine


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (pip install playwright)"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    root = tmp_path_factory.mktemp("e2e")
    evidence_dir = root / "evidence"
    evidence_dir.mkdir()
    url = f"sqlite:///{root / 'anpr.db'}"
    db_settings = DbSettings(database_url=url)
    engine = build_engine(url, db_settings)
    upgrade(engine=engine)
    with Session(engine) as session:
        keys = {
            role: create_api_key(session, role, f"e2e {role}").secret
            for role in ("officer", "operator", "integration", "admin")
        }
        session.commit()
    engine.dispose()
    app = create_app(
        ApiSettings(webhooks_enabled=False),
        db_settings=db_settings,
        anpr_settings=AnprSettings(evidence_dir=evidence_dir),
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    found = Site(f"http://127.0.0.1:{port}", keys, evidence_dir)
    try:
        seed(found)
        yield found
    finally:
        server.should_exit = True
        thread.join(10)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.goto(site.url + "/")
    try:
        yield tab
    finally:
        context.close()
