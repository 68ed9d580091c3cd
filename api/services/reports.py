"""The quarterly camera compliance check: uptime, frames, legibility, retention and an export self-test.

Per camera, over one calendar quarter in the site's time zone:

* uptime - share of heartbeats that reported the camera up, frames processed
  in the quarter and the last frame time;
* legibility - the share of passes the camera read something in that have a
  valid read (a grammar-valid plate or a check-digit-valid container), and how
  many passes through the camera's lane officers reviewed and found illegible on
  the evidence (the latest look of each, :mod:`db.review_service`);
* retention - the oldest image still stored against the retention period:
  ``ok`` when images go back to the start of the period (or to the camera's
  registration when it is younger), ``gap`` when they start later, and a
  count of images kept past ``retain_until`` (purge not running);
* export self-test - the camera's latest event is exported to memory and
  read back: every file must match its manifest digest and every image the
  digest stored at capture.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anpr.errors import InvalidInputError
from api.services.exports import verify_zip, write_zip
from db.models import EvidenceRow
from db.repositories import cameras as cams
from db.repositories import events as repo
from db.retention import add_months

_QUARTER = re.compile(r"([0-9]{4})-?Q([1-4])")


@dataclass(frozen=True, slots=True)
class Quarter:
    label: str
    start: datetime
    end: datetime


def parse_quarter(text: str, zone: ZoneInfo) -> Quarter:
    """``2026Q4`` (or ``2026-Q4``) as its first and last instant in ``zone``."""
    match = _QUARTER.fullmatch(text.strip().upper()) if isinstance(text, str) else None
    if match is None or not 2000 <= int(match.group(1)) <= 2200:
        raise InvalidInputError(f"quarter must look like 2026Q4 (year 2000-2200, Q1-Q4), got {text!r}")
    year, q = int(match.group(1)), int(match.group(2))
    start = datetime(year, 3 * q - 2, 1, tzinfo=zone)
    end = add_months(start, 3) - timedelta(microseconds=1)
    return Quarter(f"{year}Q{q}", start, end)


@dataclass(frozen=True, slots=True)
class SelfTest:
    ok: bool
    event_id: str | None
    files: int
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CameraCompliance:
    camera_id: int
    name: str
    lane: str
    direction: str
    enabled: bool
    uptime: float | None
    heartbeats: int
    frames_in_quarter: int
    frames_total: int
    last_frame_at: datetime | None
    passes: int
    legible_passes: int
    legibility: float | None
    reviewed_passes: int
    illegible_by_officers: int
    oldest_image_at: datetime | None
    retention_from: datetime
    retention_status: str
    overdue_images: int
    export_self_test: SelfTest


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    quarter: Quarter
    generated_at: datetime
    retention_months: int
    cameras: tuple[CameraCompliance, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return all(
            c.retention_status != "gap" and c.overdue_images == 0 and c.export_self_test.ok for c in self.cameras
        )


def self_test(session: Session, camera: str, evidence_dir: Path, now: datetime) -> SelfTest:
    """Export the camera's latest event with an image to memory and read it back."""
    event_pk = session.scalar(
        select(EvidenceRow.event_pk).where(EvidenceRow.camera == camera).order_by(EvidenceRow.taken_at.desc()).limit(1)
    )
    if event_pk is None:
        return SelfTest(True, None, 0, ("no stored image to export yet",))
    details = repo.event_details(session, [event_pk])
    buffer = io.BytesIO()
    files, _ = write_zip(buffer, details, evidence_dir, {"generated_at": now.isoformat(), "generated_by": "self-test"})
    problems = verify_zip(buffer.getvalue())
    return SelfTest(not problems, details[0].event.event_id if details else None, files, tuple(problems))


def _retention(
    session: Session, camera: cams.CameraView, months: int, now: datetime
) -> tuple[datetime | None, datetime, str, int]:
    oldest = cams.oldest_evidence(session, camera.name)
    period_start = add_months(now, -months)
    expected = max(period_start, camera.created_at)
    overdue = (
        session.scalar(
            select(func.count(EvidenceRow.id)).where(EvidenceRow.camera == camera.name, EvidenceRow.retain_until < now)
        )
        or 0
    )
    if oldest is None:
        return None, period_start, "no_images", int(overdue)
    status = "ok" if oldest <= expected + timedelta(days=1) else "gap"
    return oldest, period_start, status, int(overdue)


def camera_row(
    session: Session, camera: cams.CameraView, quarter: Quarter, months: int, evidence_dir: Path, now: datetime
) -> CameraCompliance:
    health = cams.camera_health(session, camera.id, quarter.start, quarter.end)
    passes, legible = cams.legibility(session, camera.name, quarter.start, quarter.end)
    reviewed, illegible = cams.officer_looks(session, camera.lane, quarter.start, quarter.end)
    oldest, period_start, status, overdue = _retention(session, camera, months, now)
    return CameraCompliance(
        camera_id=camera.id, name=camera.name, lane=camera.lane, direction=camera.direction, enabled=camera.enabled,
        uptime=health.uptime, heartbeats=health.samples, frames_in_quarter=health.frames,
        frames_total=camera.frames_processed, last_frame_at=camera.last_frame_at, passes=passes,
        legible_passes=legible, legibility=(legible / passes) if passes else None, reviewed_passes=reviewed,
        illegible_by_officers=illegible, oldest_image_at=oldest,
        retention_from=period_start, retention_status=status, overdue_images=overdue,
        export_self_test=self_test(session, camera.name, evidence_dir, now),
    )  # fmt: skip


def compliance_report(
    session: Session, quarter: Quarter, *, retention_months: int, evidence_dir: Path, now: datetime
) -> ComplianceReport:
    rows = tuple(
        camera_row(session, c, quarter, retention_months, evidence_dir, now) for c in cams.list_cameras(session)
    )
    return ComplianceReport(quarter, now, retention_months, rows)
