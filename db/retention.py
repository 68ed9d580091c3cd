"""Evidence retention: images and their rows are kept until ``retain_until``, then purged.

``retain_until`` is set at ingestion to ``taken_at`` plus the site's
``ANPR_DB_RETENTION_MONTHS`` (default 12) and never moves afterwards, so a
later change of the setting applies to new captures only.

How purge keeps exports whole:

1. An export first takes a lease (:func:`acquire_export_lease`, committed at
   once) on the capture-time range it covers, then lists rows and copies the
   files into its zip, then releases the lease (or lets it expire).
2. :func:`purge` deletes, in one transaction, only rows that are expired and
   not covered by a live lease, and commits.
3. Only then does it unlink files, one by one, skipping any file that a
   remaining row still refers to (two rows may share a path) and any file a
   lease taken meanwhile now covers. A lease committed after that check
   belongs to an export that lists rows after the purge committed, so it never
   sees the deleted rows.

A missing file is counted and otherwise ignored; a path that resolves outside
the evidence directory is never touched.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.orm import Session

from anpr.errors import InvalidInputError, NotFoundError
from db.models import EvidenceRow, ExportLeaseRow

log = logging.getLogger(__name__)


def add_months(when: datetime, months: int) -> datetime:
    """``when`` plus ``months`` calendar months; the day is clamped (31 Jan + 1 month = 28/29 Feb)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


@dataclass(slots=True)
class PurgeReport:
    """Counts of one purge run (JSON-ready through :meth:`as_dict`)."""

    rows_deleted: int = 0
    files_deleted: int = 0
    files_missing: int = 0
    files_shared_kept: int = 0
    files_leased_kept: int = 0
    rows_leased: int = 0
    bytes_freed: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _leased(now: datetime) -> ColumnElement[bool]:
    return exists().where(
        ExportLeaseRow.expires_at > now,
        ExportLeaseRow.range_from <= EvidenceRow.taken_at,
        ExportLeaseRow.range_to >= EvidenceRow.taken_at,
    )


def _is_leased(session: Session, taken_at: datetime, now: datetime) -> bool:
    query = select(ExportLeaseRow.id).where(
        ExportLeaseRow.expires_at > now, ExportLeaseRow.range_from <= taken_at, ExportLeaseRow.range_to >= taken_at
    )
    return session.execute(query.limit(1)).first() is not None


def evidence_path(evidence_dir: Path, relative: str) -> Path | None:
    """The file a stored evidence ``path`` names, resolved (symlinks too); ``None`` when it would
    lie outside ``evidence_dir``. Use it before serving or exporting a file as well."""
    root = evidence_dir.resolve()
    target = (root / relative).resolve()
    return target if target.is_relative_to(root) and target != root else None


def _unlink(session: Session, root: Path, path: str, taken_at: datetime, now: datetime, report: PurgeReport) -> None:
    if session.execute(select(EvidenceRow.id).where(EvidenceRow.path == path).limit(1)).first() is not None:
        report.files_shared_kept += 1
        return
    if _is_leased(session, taken_at, now):
        report.files_leased_kept += 1
        return
    target = evidence_path(root, path)
    if target is None:
        log.error("evidence path %r resolves outside %s; not deleted", path, root)
        report.errors += 1
        return
    try:
        size = target.stat().st_size
        target.unlink()
    except FileNotFoundError:
        report.files_missing += 1
    except OSError as exc:
        log.error("cannot delete evidence %s: %s", target, exc)
        report.errors += 1
    else:
        report.files_deleted += 1
        report.bytes_freed += size


def purge(session: Session, evidence_dir: Path, now: datetime, *, batch: int = 1000) -> PurgeReport:
    """Delete expired evidence rows and their files; see the module docstring for the guarantees."""
    if now.tzinfo is None:
        raise InvalidInputError("now must be timezone-aware")
    report = PurgeReport()
    expired = EvidenceRow.retain_until <= now
    report.rows_leased = session.scalar(select(func.count(EvidenceRow.id)).where(expired, _leased(now))) or 0
    while True:
        rows = session.execute(
            select(EvidenceRow.id, EvidenceRow.path, EvidenceRow.taken_at)
            .where(expired, ~_leased(now))
            .order_by(EvidenceRow.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        session.execute(delete(EvidenceRow).where(EvidenceRow.id.in_([r.id for r in rows])))
        session.commit()
        report.rows_deleted += len(rows)
        for path, taken_at in {r.path: r.taken_at for r in rows}.items():
            _unlink(session, evidence_dir, path, taken_at, now, report)
        session.rollback()
    session.rollback()
    return report


def acquire_export_lease(
    session: Session, holder: str, range_from: datetime, range_to: datetime, now: datetime, minutes: int = 60
) -> int:
    """Protect evidence captured in ``[range_from, range_to]`` from purge for ``minutes``; commits."""
    if range_to < range_from:
        raise InvalidInputError("lease range ends before it starts")
    lease = ExportLeaseRow(
        holder=holder[:128],
        range_from=range_from,
        range_to=range_to,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    session.add(lease)
    session.commit()
    return lease.id


def release_export_lease(session: Session, lease_id: int) -> None:
    """End a lease early (the export finished); commits."""
    result = session.execute(delete(ExportLeaseRow).where(ExportLeaseRow.id == lease_id))
    session.commit()
    if not getattr(result, "rowcount", 0):
        raise NotFoundError(f"no export lease {lease_id}")


def clear_expired_leases(session: Session, now: datetime) -> int:
    """Drop leases past their expiry; commits; returns how many went."""
    result = session.execute(delete(ExportLeaseRow).where(ExportLeaseRow.expires_at <= now))
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
