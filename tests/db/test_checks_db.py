"""The cross-check service on real databases: statuses, stored reasons, window closing, webhooks."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from db_builders import C1, C2, T0, declaration, make_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from anpr.events import Direction, GateEvent
from db.checks import recheck_due
from db.config import DbSettings
from db.declaration_service import import_declarations
from db.declarations import parse_json
from db.models import CrosscheckResultRow, GateEventRow, WebhookDeliveryRow
from db.repositories.admin import create_webhook
from db.repositories.declarations import get_declaration
from db.repositories.events import get_event_detail
from db.services import StoredEvent, store_event

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def _declare(session: Session, settings: DbSettings, *rows: dict[str, object], now: datetime = T0) -> None:
    report = import_declarations(session, parse_json(list(rows), ZONE), settings=settings, now=now)
    assert report.ok, report.as_dict()


def _store(session: Session, settings: DbSettings, event: GateEvent) -> StoredEvent:
    return store_event(session, event, settings=settings, now=T0 + timedelta(hours=3))


EVENTS = [
    # (note, event, expected status, text that the stored reason must contain)
    ("plate and container declared", make_event("e", containers=((C1, True),)), "matched", "declared on 100000000010"),
    (
        "plate read with a confusable swap",
        make_event("e", plate="5IC12345", containers=((C1, True),)),
        "matched",
        "matches",
    ),
    (
        "other truck carries the container",
        make_event("e", plate="29H67890", containers=((C1, True),)),
        "plate_mismatch",
        "29H67890",
    ),
    ("container on no declaration", make_event("e", containers=((C2, True),)), "undeclared", C2),
    (
        "wrong direction",
        make_event("e", containers=((C1, True),), direction=Direction.OUT),
        "undeclared",
        "direction in",
    ),
    ("after the window", make_event("e", containers=((C1, True),), at=T0 + timedelta(days=2)), "undeclared", "expired"),
    (
        "nothing valid read",
        make_event("e", plate="X1", plate_valid=False, containers=((C1[:-1] + "0", False),)),
        "unreadable",
        "no valid plate",
    ),
    ("vehicle-only pass of a declared truck", make_event("e"), "matched", "vehicle 51C12345 declared"),
    ("vehicle-only pass of an unknown truck", make_event("e", plate="29H67890"), "undeclared", "no open declaration"),
]


@pytest.mark.parametrize(("note", "event", "status", "reason"), EVENTS, ids=[e[0] for e in EVENTS])
def test_event_status_is_stored_with_its_reasons(
    session: Session, settings: DbSettings, note: str, event: GateEvent, status: str, reason: str
) -> None:
    _declare(session, settings, declaration("100000000010"))
    stored = _store(session, settings, event)
    assert stored.status.value == status, note
    detail = get_event_detail(session, "e")
    assert detail.summary.status == status and reason in detail.summary.status_reason
    assert detail.checked_at is not None
    assert detail.findings and all(f.rule and f.fields and f.reason for f in detail.findings)


def test_declaration_completes_when_every_container_passed(session: Session, settings: DbSettings) -> None:
    _declare(session, settings, declaration("100000000010", containers=[C1, C2]))
    _store(session, settings, make_event("e1", containers=((C1, True),)))
    assert get_declaration(session, "100000000010").declaration.status == "pending"
    _store(session, settings, make_event("e2", containers=((C2, True),), at=T0 + timedelta(hours=2)))
    detail = get_declaration(session, "100000000010")
    assert detail.declaration.status == "complete"
    assert {f.event_ref for f in detail.findings} == {"e1", "e2"}


@pytest.mark.parametrize(("passes", "status"), [((C1,), "partial"), ((), "missing"), ((C1, C2), "complete")])
def test_recheck_due_closes_windows(
    session: Session, settings: DbSettings, passes: tuple[str, ...], status: str
) -> None:
    _declare(session, settings, declaration("100000000010", containers=[C1, C2]))
    for i, number in enumerate(passes):
        _store(session, settings, make_event(f"e{i}", containers=((number, True),)))
    assert recheck_due(session, T0 + timedelta(hours=1), settings=settings)["declarations"] == 0  # still open
    done = recheck_due(session, T0 + timedelta(days=2), settings=settings)
    assert done["declarations"] == (0 if status == "complete" else 1)
    detail = get_declaration(session, "100000000010")
    assert detail.declaration.status == status
    if status != "complete":
        assert "before the window closed" in detail.declaration.status_reason


def test_recheck_due_checks_unchecked_events(session: Session, settings: DbSettings) -> None:
    _store(session, settings, make_event("e1", containers=((C1, True),)))
    session.execute(GateEventRow.__table__.update().values(status="unchecked"))
    session.execute(CrosscheckResultRow.__table__.delete())
    session.commit()
    assert recheck_due(session, T0, settings=settings) == {"events": 1, "declarations": 0}
    assert get_event_detail(session, "e1").summary.status == "undeclared"


def test_recheck_replaces_findings_instead_of_piling_them_up(session: Session, settings: DbSettings) -> None:
    _store(session, settings, make_event("e1", containers=((C1, True),)))
    for n in range(3):
        _declare(session, settings, declaration(f"10000000001{n}", plates=["51C-123.45", f"29H-678.9{n}"]))
    findings = session.scalars(select(CrosscheckResultRow).join(GateEventRow)).all()
    assert len(findings) == 2  # container_declared + plate_match, from the latest check only
    assert {f.declaration_number for f in findings} == {"100000000012"}


def test_discrepancies_queue_webhook_deliveries(session: Session, settings: DbSettings) -> None:
    create_webhook(
        session, url="https://customs.example/hook", secret="s" * 32, events=["undeclared"], actor="admin", now=T0
    )
    create_webhook(
        session, url="https://other.example/hook", secret="t" * 32, events=["missing"], actor="admin", now=T0
    )
    session.commit()
    _store(session, settings, make_event("e1", containers=((C2, True),)))
    _store(session, settings, make_event("e2", containers=((C2, True),), at=T0 + timedelta(minutes=1)))
    _declare(session, settings, declaration("100000000010"))
    recheck_due(session, T0 + timedelta(days=3), settings=settings)
    deliveries = session.scalars(select(WebhookDeliveryRow).order_by(WebhookDeliveryRow.id)).all()
    assert [(d.event_type, d.payload["ref"]) for d in deliveries] == [
        ("undeclared", "e1"),
        ("undeclared", "e2"),
        ("missing", "100000000010"),
    ]
    assert deliveries[0].payload["kind"] == "event" and C2 in deliveries[0].payload["reason"]
