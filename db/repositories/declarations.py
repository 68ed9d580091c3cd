"""Declaration queries for the API, and the discrepancy queue. Nothing here commits."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from anpr.errors import InvalidInputError, NotFoundError
from db.models import CrosscheckResultRow, DeclarationRow, GateEventRow
from db.repositories.events import check_limit
from db.views import DeclarationDetail, DeclarationView, Discrepancy, declaration_view, finding_view

EVENT_DISCREPANCIES = ("undeclared", "plate_mismatch")
DECLARATION_DISCREPANCIES = ("missing", "partial")
DECLARATION_STATUSES = ("pending", "complete", *DECLARATION_DISCREPANCIES)
_DIGITS = re.compile(r"[0-9]{11,12}")

_WITH_ITEMS = (selectinload(DeclarationRow.plates), selectinload(DeclarationRow.containers))


def _clean_number(number: str) -> str:
    text = number.strip().replace("-", "").replace(" ", "") if isinstance(number, str) else ""
    if not _DIGITS.fullmatch(text):
        raise InvalidInputError(f"a declaration number has 11 or 12 digits, got {number!r}")
    return text


def get_declaration(session: Session, number: str) -> DeclarationDetail:
    """A declaration by its 12-digit number (that version) or its 11-digit base (the current version),
    with its cross-check findings and all versions of the same base number."""
    text = _clean_number(number)
    where = (
        (DeclarationRow.base_number == text, DeclarationRow.is_current)
        if len(text) == 11
        else (DeclarationRow.number == text,)
    )
    row = session.scalar(select(DeclarationRow).where(*where).options(*_WITH_ITEMS))
    if row is None:
        raise NotFoundError(f"no declaration {text}")
    versions = session.scalars(
        select(DeclarationRow)
        .where(DeclarationRow.base_number == row.base_number)
        .options(*_WITH_ITEMS)
        .order_by(DeclarationRow.amendment.desc())
    )
    findings = session.scalars(
        select(CrosscheckResultRow).where(CrosscheckResultRow.declaration_id == row.id).order_by(CrosscheckResultRow.id)
    )
    return DeclarationDetail(
        declaration=declaration_view(row),
        findings=tuple(finding_view(f) for f in findings),
        history=tuple(declaration_view(v) for v in versions),
    )


def list_declarations(
    session: Session,
    *,
    status: str | None = None,
    active_at: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[DeclarationView]:
    """Current declarations, newest window end first; ``active_at`` keeps those open at that time."""
    check_limit(limit)
    if status is not None and status not in DECLARATION_STATUSES:
        raise InvalidInputError(f"status must be one of {list(DECLARATION_STATUSES)}")
    if offset < 0:
        raise InvalidInputError("offset must not be negative")
    stmt = select(DeclarationRow).where(DeclarationRow.is_current).options(*_WITH_ITEMS)
    if status is not None:
        stmt = stmt.where(DeclarationRow.status == status)
    if active_at is not None:
        stmt = stmt.where(DeclarationRow.valid_from <= active_at, DeclarationRow.valid_to >= active_at)
    stmt = stmt.order_by(DeclarationRow.valid_to.desc(), DeclarationRow.id.desc()).limit(limit).offset(offset)
    return [declaration_view(r) for r in session.scalars(stmt)]


def list_discrepancies(
    session: Session,
    *,
    statuses: tuple[str, ...] = EVENT_DISCREPANCIES + DECLARATION_DISCREPANCIES,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Discrepancy]:
    """The discrepancy queue, newest first: events undeclared or with a plate mismatch, and current
    declarations whose window closed with containers unseen. ``unreadable`` may be asked for too."""
    check_limit(limit)
    allowed = (*EVENT_DISCREPANCIES, "unreadable", *DECLARATION_DISCREPANCIES)
    if not statuses or any(s not in allowed for s in statuses):
        raise InvalidInputError(f"statuses must be among {list(allowed)}")
    if offset < 0:
        raise InvalidInputError("offset must not be negative")
    wanted = offset + limit
    items: list[Discrepancy] = []
    event_statuses = [s for s in statuses if s in (*EVENT_DISCREPANCIES, "unreadable")]
    if event_statuses:
        stmt = select(GateEventRow).where(GateEventRow.status.in_(event_statuses))
        if start is not None:
            stmt = stmt.where(GateEventRow.first_seen >= start)
        if end is not None:
            stmt = stmt.where(GateEventRow.first_seen <= end)
        stmt = stmt.order_by(GateEventRow.first_seen.desc(), GateEventRow.id.desc()).limit(wanted)
        items += [
            Discrepancy("event", r.id, r.event_id, r.status, r.first_seen, r.status_reason)
            for r in session.scalars(stmt)
        ]
    decl_statuses = [s for s in statuses if s in DECLARATION_DISCREPANCIES]
    if decl_statuses:
        dstmt = select(DeclarationRow).where(DeclarationRow.is_current, DeclarationRow.status.in_(decl_statuses))
        if start is not None:
            dstmt = dstmt.where(DeclarationRow.valid_to >= start)
        if end is not None:
            dstmt = dstmt.where(DeclarationRow.valid_to <= end)
        dstmt = dstmt.order_by(DeclarationRow.valid_to.desc(), DeclarationRow.id.desc()).limit(wanted)
        items += [
            Discrepancy("declaration", r.id, r.number, r.status, r.valid_to, r.status_reason)
            for r in session.scalars(dstmt)
        ]
    items.sort(key=lambda d: (d.at, d.kind, d.id), reverse=True)
    return items[offset:wanted]
