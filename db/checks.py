"""Cross-check service: runs :mod:`db.crosscheck` on candidates from :mod:`db.candidates` and
stores the findings, the statuses and any webhook notifications.

Nothing here commits; :mod:`db.services`, :mod:`db.declaration_service` and
the CLI commit around these calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from anpr.errors import NotFoundError
from db.candidates import (
    candidate_declarations,
    candidate_event_pks,
    declaration_facts,
    event_facts,
    stored_facts,
)
from db.config import DbSettings, get_db_settings
from db.crosscheck import (
    DeclarationCheck,
    EventCheck,
    EventFacts,
    EventStatus,
    Finding,
    check_declaration,
    check_event,
)
from db.models import CrosscheckResultRow, DeclarationRow, GateEventRow
from db.repositories.admin import enqueue_deliveries

MAX_REASON = 4000
NOTIFIED = frozenset({"undeclared", "plate_mismatch", "unreadable", "missing", "partial"})
"""Statuses that queue a webhook delivery when a check turns a target into them."""


def _summary(findings: Sequence[Finding]) -> str:
    failed = [f.reason for f in findings if not f.ok]
    return "; ".join(failed or [f.reason for f in findings])[:MAX_REASON]


def _store_findings(
    session: Session,
    status: str,
    findings: Sequence[Finding],
    *,
    event_pk: int | None = None,
    declaration_id: int | None = None,
    now: datetime,
    fresh: bool = False,
) -> None:
    """Replace the target's findings (Core statements: no ORM objects for rows nobody reads back here);
    ``fresh``: the target was inserted in this transaction, so it has none to delete."""
    conn = session.connection()
    if not fresh:
        column = CrosscheckResultRow.event_pk if event_pk is not None else CrosscheckResultRow.declaration_id
        target = event_pk if event_pk is not None else declaration_id
        conn.execute(delete(CrosscheckResultRow).where(column == target))
    rows = [
        {
            "event_pk": event_pk,
            "declaration_id": declaration_id,
            "status": status,
            "rule": f.rule.value,
            "ok": f.ok,
            "fields": list(f.fields),
            "reason": f.reason[:MAX_REASON],
            "declaration_number": f.declaration,
            "event_ref": f.event_id,
            "created_at": now,
        }
        for f in findings
    ]
    if rows:
        conn.execute(insert(CrosscheckResultRow), rows)


def _check(session: Session, facts: EventFacts, settings: DbSettings) -> EventCheck:
    threshold = settings.plate_match_threshold
    candidates = candidate_declarations(session, [p.text for p in facts.plates], facts.valid_containers, threshold)
    return check_event(
        facts,
        candidates,
        threshold=threshold,
        slack=timedelta(minutes=settings.window_slack_minutes),
    )


def _notify_event(session: Session, facts: EventFacts, status: str, reason: str, now: datetime) -> None:
    payload = {
        "kind": "event",
        "ref": facts.event_id,
        "status": status,
        "reason": reason,
        "at": facts.at.isoformat(),
        "direction": facts.direction,
    }
    enqueue_deliveries(session, status, payload, now)


def recheck_event(session: Session, event_pk: int, settings: DbSettings, now: datetime) -> EventCheck:
    """Cross-check one stored event against the current declarations and store the result."""
    row = session.get(
        GateEventRow,
        event_pk,
        populate_existing=True,
        options=[
            selectinload(GateEventRow.plates),
            selectinload(GateEventRow.containers),
            selectinload(GateEventRow.reviews),
        ],
    )
    if row is None:
        raise NotFoundError(f"no event with row id {event_pk}")
    facts = event_facts(row)
    check = _check(session, facts, settings)
    _store_findings(session, check.status.value, check.findings, event_pk=row.id, now=now)
    previous = row.status
    row.status, row.status_reason, row.checked_at = check.status.value, _summary(check.findings), now
    if row.status != previous and row.status in NOTIFIED:
        _notify_event(session, facts, row.status, row.status_reason, now)
    return check


def recheck_declaration(session: Session, declaration_id: int, settings: DbSettings, now: datetime) -> DeclarationCheck:
    """Cross-check one declaration version against the events in its window and store the result."""
    row = session.get(
        DeclarationRow,
        declaration_id,
        populate_existing=True,
        options=[selectinload(DeclarationRow.plates), selectinload(DeclarationRow.containers)],
    )
    if row is None:
        raise NotFoundError(f"no declaration with row id {declaration_id}")
    slack = timedelta(minutes=settings.window_slack_minutes)
    threshold = settings.plate_match_threshold
    events = stored_facts(session, candidate_event_pks(session, [row], slack, threshold))
    check = check_declaration(declaration_facts(row), events, now=now, threshold=threshold, slack=slack)
    _store_findings(session, check.status.value, check.findings, declaration_id=row.id, now=now)
    previous = row.status
    row.status, row.status_reason, row.checked_at = check.status.value, _summary(check.findings), now
    if row.status != previous and row.status in NOTIFIED:
        payload = {
            "kind": "declaration",
            "ref": row.number,
            "status": row.status,
            "reason": row.status_reason,
            "at": row.valid_to.isoformat(),
        }
        enqueue_deliveries(session, row.status, payload, now)
    return check


def after_event_stored(
    session: Session, event_pk: int, *, settings: DbSettings, now: datetime, facts: EventFacts | None = None
) -> EventStatus:
    """Check an unchecked event (``facts`` of one inserted in this transaction spare reading it back
    and deleting findings it cannot have), then the pending declarations it fulfils (they may now be
    complete)."""
    if facts is None:
        check = recheck_event(session, event_pk, settings, now)
    else:
        check = _check(session, facts, settings)
        reason = _summary(check.findings)
        _store_findings(session, check.status.value, check.findings, event_pk=event_pk, now=now, fresh=True)
        session.connection().execute(
            update(GateEventRow)
            .where(GateEventRow.id == event_pk)
            .values(status=check.status.value, status_reason=reason, checked_at=now)
        )
        if check.status.value in NOTIFIED:
            _notify_event(session, facts, check.status.value, reason, now)
    if check.declarations:  # only a pending declaration can change: complete stays, closed ones are final
        ids = session.scalars(
            select(DeclarationRow.id).where(
                DeclarationRow.number.in_(check.declarations), DeclarationRow.status == "pending"
            )
        )
        for declaration_id in list(ids):
            recheck_declaration(session, declaration_id, settings, now)
    return check.status


def after_declaration_stored(
    session: Session, declaration_id: int, previous_id: int | None, *, settings: DbSettings, now: datetime
) -> int:
    """Check a new declaration version and re-check every event it, or the version it replaced, may
    concern. Returns the number of events re-checked."""
    ids = [declaration_id] + ([previous_id] if previous_id is not None else [])
    rows = list(
        session.scalars(
            select(DeclarationRow)
            .where(DeclarationRow.id.in_(ids))
            .options(selectinload(DeclarationRow.plates), selectinload(DeclarationRow.containers))
        )
    )
    pks = candidate_event_pks(
        session, rows, timedelta(minutes=settings.window_slack_minutes), settings.plate_match_threshold
    )
    recheck_declaration(session, declaration_id, settings, now)
    for pk in sorted(pks):
        recheck_event(session, pk, settings, now)
    return len(pks)


def recheck_due(
    session: Session, now: datetime, *, settings: DbSettings | None = None, batch: int = 500
) -> dict[str, int]:
    """Check events left ``unchecked``, declarations never checked, and pending declarations whose
    window has ended; commits after every batch. Run it periodically (``anpr db recheck``)."""
    settings = settings or get_db_settings()
    done = {"events": 0, "declarations": 0}
    while pks := list(
        session.scalars(
            select(GateEventRow.id)
            .where(GateEventRow.status == EventStatus.UNCHECKED.value)
            .order_by(GateEventRow.id)
            .limit(batch)
        )
    ):
        for pk in pks:
            after_event_stored(session, pk, settings=settings, now=now)
        session.commit()
        done["events"] += len(pks)
    cutoff = now - timedelta(minutes=settings.window_slack_minutes)
    due = or_(
        DeclarationRow.checked_at.is_(None),
        and_(DeclarationRow.status == "pending", DeclarationRow.valid_to < cutoff),
    )
    while ids := list(
        session.scalars(
            select(DeclarationRow.id).where(DeclarationRow.is_current, due).order_by(DeclarationRow.id).limit(batch)
        )
    ):
        for declaration_id in ids:
            recheck_declaration(session, declaration_id, settings, now)
        session.commit()
        done["declarations"] += len(ids)
    return done
