"""Retention: only expired evidence goes, shared and leased files stay, missing files are fine."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from db_builders import T0, make_event, write_evidence
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anpr.errors import InvalidInputError, NotFoundError
from db.config import DbSettings
from db.models import EvidenceRow
from db.repositories.events import get_event_detail
from db.retention import (
    acquire_export_lease,
    add_months,
    clear_expired_leases,
    evidence_path,
    purge,
    release_export_lease,
)
from db.services import store_event

OLD = T0 - timedelta(days=400)  # captured more than 12 months before T0


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (datetime(2026, 1, 31, 12, tzinfo=UTC), 1, datetime(2026, 2, 28, 12, tzinfo=UTC)),  # clamped to February
        (datetime(2024, 1, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),  # leap year
        (datetime(2026, 3, 2, tzinfo=UTC), 12, datetime(2027, 3, 2, tzinfo=UTC)),
        (datetime(2026, 11, 15, tzinfo=UTC), 3, datetime(2027, 2, 15, tzinfo=UTC)),  # over the year end
        (datetime(2026, 5, 1, tzinfo=UTC), 120, datetime(2036, 5, 1, tzinfo=UTC)),
    ],
)
def test_add_months(start: datetime, months: int, end: datetime) -> None:
    assert add_months(start, months) == end


def _rows(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(EvidenceRow)) or 0
    session.rollback()
    return count


def test_purge_deletes_only_expired_files_and_rows(session: Session, settings: DbSettings, tmp_path: Path) -> None:
    old, new = make_event("old", at=OLD, evidence=2), make_event("new", at=T0, evidence=2)
    old_files, new_files = write_evidence(tmp_path, old), write_evidence(tmp_path, new)
    for event in (old, new):
        store_event(session, event, settings=settings, now=T0)
    report = purge(session, tmp_path, T0)
    assert (report.rows_deleted, report.files_deleted, report.files_missing, report.errors) == (2, 2, 0, 0)
    assert report.bytes_freed == sum(len(b"\xff\xd8" + e.sha256.encode() + b"\xff\xd9") for e in old.evidence)
    assert not any(p.exists() for p in old_files) and all(p.exists() for p in new_files)
    assert _rows(session) == 2
    detail = get_event_detail(session, "old")  # the event and its reads stay; only the images go
    assert detail.evidence == () and detail.summary.plate == "51C12345"
    assert purge(session, tmp_path, T0).rows_deleted == 0  # idempotent


def test_purge_of_a_missing_file_is_fine(session: Session, settings: DbSettings, tmp_path: Path) -> None:
    store_event(session, make_event("old", at=OLD), settings=settings, now=T0)
    report = purge(session, tmp_path, T0)
    assert (report.rows_deleted, report.files_missing, report.errors) == (1, 1, 0)


def test_file_shared_with_a_live_row_is_kept(session: Session, settings: DbSettings, tmp_path: Path) -> None:
    old = make_event("old", at=OLD)
    shared = replace(make_event("new", at=T0), evidence=(replace(old.evidence[0], taken_at=T0),))
    (path,) = write_evidence(tmp_path, old)
    store_event(session, old, settings=settings, now=T0)
    store_event(session, shared, settings=settings, now=T0)
    report = purge(session, tmp_path, T0)
    assert (report.rows_deleted, report.files_shared_kept, report.files_deleted) == (1, 1, 0)
    assert path.exists() and _rows(session) == 1


def test_export_lease_protects_its_range(session: Session, settings: DbSettings, tmp_path: Path) -> None:
    old = make_event("old", at=OLD)
    (path,) = write_evidence(tmp_path, old)
    store_event(session, old, settings=settings, now=T0)
    lease = acquire_export_lease(session, "export-1", OLD - timedelta(hours=1), OLD + timedelta(hours=1), T0, 30)
    report = purge(session, tmp_path, T0)
    assert (report.rows_deleted, report.rows_leased) == (0, 1) and path.exists()
    assert purge(session, tmp_path, T0 + timedelta(minutes=31)).rows_deleted == 1  # the lease ran out
    assert not path.exists()
    release_export_lease(session, lease)
    with pytest.raises(NotFoundError):
        release_export_lease(session, lease)


def test_released_and_expired_leases(session: Session) -> None:
    first = acquire_export_lease(session, "a", T0, T0, T0, 10)
    acquire_export_lease(session, "b", T0, T0, T0, 60)
    release_export_lease(session, first)
    assert clear_expired_leases(session, T0 + timedelta(minutes=61)) == 1
    with pytest.raises(InvalidInputError):
        acquire_export_lease(session, "c", T0, T0 - timedelta(seconds=1), T0)


def test_path_outside_the_evidence_dir_is_never_deleted(session: Session, settings: DbSettings, tmp_path: Path) -> None:
    evidence_dir, outside = tmp_path / "evidence", tmp_path / "keep.jpg"
    evidence_dir.mkdir()
    outside.write_bytes(b"precious")
    (evidence_dir / "link").symlink_to(tmp_path)
    event = make_event("old", at=OLD)
    store_event(
        session, replace(event, evidence=(replace(event.evidence[0], path="link/keep.jpg"),)), settings=settings, now=T0
    )
    report = purge(session, evidence_dir, T0)
    assert (report.rows_deleted, report.errors, report.files_deleted) == (1, 1, 0)
    assert outside.read_bytes() == b"precious"


def test_purge_needs_an_aware_time(session: Session, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        purge(session, tmp_path, T0.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("relative", "inside"),
    [
        ("2026/03/02/a.jpg", True),
        ("../a.jpg", False),  # climbs out
        ("/etc/passwd", False),  # absolute paths replace the root
        ("link/keep.jpg", False),  # a symlink pointing outside
        (".", False),  # the folder itself is not a file
    ],
)
def test_evidence_path_stays_inside_the_folder(tmp_path: Path, relative: str, inside: bool) -> None:
    root = tmp_path / "evidence"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    found = evidence_path(root, relative)
    assert (found is not None) == inside
    if found is not None:
        assert found.is_relative_to(root.resolve())
