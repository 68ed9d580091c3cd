"""Evidence exports: a zip of the events asked for, their images, ``events.csv`` and ``manifest.json``.

This meets the duty to export the stored images of vehicles entering and
leaving. The zip holds:

* ``events.csv`` - one row per event (times, lane, direction, plate,
  containers, cross-check status and reason, the image files);
* ``events.json`` - the events in the pipeline's JSON form, every read included;
* ``images/<event>/<id>-<camera>-<kind>.jpg`` - the evidence images;
* ``manifest.json`` - who exported what and when, and the SHA-256 and size of
  every other file in the zip, plus any image that was missing on disk or no
  longer matches the SHA-256 stored at capture.

An export lease (:func:`db.retention.acquire_export_lease`) on the time range
is taken before the rows are listed, so a purge running meanwhile never
deletes a file the export still has to copy.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from anpr.errors import InvalidInputError, NotFoundError
from anpr.review import DEFAULT_REVIEW_BELOW, review_reasons
from api.services.evidence import evidence_file
from db.repositories import events as repo
from db.retention import acquire_export_lease, release_export_lease
from db.views import EventDetail, EventSummary, Page

FORMAT = "anpr-export/1"
CSV_COLUMNS = (
    "event_id", "lane", "direction", "first_seen", "last_seen", "status", "status_reason", "plate",
    "plate_formatted", "trailer_plate", "containers", "has_valid_read", "images", "review",
    "officer_review",
)  # fmt: skip
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LEASE_MARGIN = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ExportQuery:
    """What to export: a time range and at most one of plate or container (already normalised)."""

    start: datetime | None = None
    end: datetime | None = None
    plate: str | None = None
    container: str | None = None

    def __post_init__(self) -> None:
        if self.plate and self.container:
            raise InvalidInputError("export by plate or by container, not both")

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "plate": self.plate,
            "container": self.container,
        }


@dataclass(slots=True)
class ExportResult:
    """A finished zip in a temporary file (read it with :meth:`chunks`, which closes it)."""

    file: IO[bytes]
    events: int
    files: int
    problems: list[dict[str, Any]] = field(default_factory=list)

    def chunks(self, size: int = 64 * 1024) -> Iterator[bytes]:
        try:
            self.file.seek(0)
            while block := self.file.read(size):
                yield block
        finally:
            self.file.close()


def _page(session: Session, query: ExportQuery, cursor: str | None) -> Page[EventSummary]:
    filters = repo.EventQuery(start=query.start, end=query.end)
    if query.plate:
        return repo.events_by_plate(session, query.plate, filters, limit=repo.MAX_LIMIT, cursor=cursor)
    if query.container:
        return repo.container_movements(session, query.container, filters, limit=repo.MAX_LIMIT, cursor=cursor)
    return repo.list_events(session, filters, limit=repo.MAX_LIMIT, cursor=cursor)


def select_events(session: Session, query: ExportQuery, max_events: int) -> list[int]:
    """Row ids of the events to export, newest first; more than ``max_events`` is refused."""
    ids: list[int] = []
    cursor: str | None = None
    while True:
        page = _page(session, query, cursor)
        ids.extend(s.id for s in page.items)
        if len(ids) > max_events:
            raise InvalidInputError(f"more than {max_events} events match; narrow the time range")
        if page.next_cursor is None:
            return list(dict.fromkeys(ids))
        cursor = page.next_cursor


def _image_name(detail: EventDetail, evidence_id: int, camera: str, kind: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{detail.event.event_id}")
    cam = "".join(c if c.isalnum() or c in "._-" else "_" for c in camera)
    return f"images/{safe}/{evidence_id}-{cam}-{kind}.jpg"


class _Writer:
    """Adds files to the zip and remembers the SHA-256 and size of each."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: list[dict[str, Any]] = []

    def add(self, name: str, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.archive.writestr(name, data)
        self.files.append({"path": name, "sha256": digest, "size": len(data)})
        return digest


def _add_images(writer: _Writer, detail: EventDetail, evidence_dir: Path, problems: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for image in detail.evidence:
        name = _image_name(detail, image.id, image.camera, image.kind)
        try:
            data = evidence_file(evidence_dir, image.path).read_bytes()
        except (NotFoundError, OSError) as exc:
            problems.append({"event_id": detail.event.event_id, "evidence_id": image.id, "problem": str(exc)})
            continue
        if writer.add(name, data) != image.sha256:
            problems.append(
                {
                    "event_id": detail.event.event_id,
                    "evidence_id": image.id,
                    "path": name,
                    "problem": "sha256 differs from the value stored at capture",
                }
            )
        names.append(name)
    return names


def _latest_review(detail: EventDetail) -> str:
    """The look that counts, as one cell: ``corrected 51C-123.45 MSCU1234566``, ``confirmed``, or empty."""
    if not detail.reviews:
        return ""
    last = detail.reviews[-1]
    return " ".join(
        [last.verdict, *([last.plate_formatted] if last.plate_formatted else []), *(n for n, _ in last.containers)]
    )


def _review_json(detail: EventDetail) -> list[dict[str, Any]]:
    return [
        {"reviewed_at": r.reviewed_at.isoformat(), "reviewer": r.reviewer, "verdict": r.verdict, "plate": r.plate,
         "plate_formatted": r.plate_formatted,
         "containers": [{"number": n, "check_digit_ok": ok} for n, ok in r.containers], "note": r.note}
        for r in detail.reviews
    ]  # fmt: skip


def _csv_row(detail: EventDetail, images: list[str], review: list[str]) -> list[str]:
    s = detail.summary
    return [
        s.event_id, s.lane, s.direction, s.first_seen.isoformat(), s.last_seen.isoformat(), s.status,
        s.status_reason, s.plate or "", s.plate_formatted or "", s.trailer_plate or "", ";".join(s.containers),
        "true" if s.has_valid_read else "false", ";".join(images), ";".join(review), _latest_review(detail),
    ]  # fmt: skip


def write_zip(
    target: IO[bytes],
    details: list[EventDetail],
    evidence_dir: Path,
    meta: dict[str, Any],
    review_below: float = DEFAULT_REVIEW_BELOW,
) -> tuple[int, list[dict[str, Any]]]:
    """Write the export of ``details`` into ``target``; returns (files listed, problems). Each event
    carries why it needs an officer's review at ``review_below`` (:mod:`anpr.review`; empty: no need)."""
    problems: list[dict[str, Any]] = []
    table = io.StringIO()
    rows = csv.writer(table, lineterminator="\n")
    rows.writerow(CSV_COLUMNS)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        writer = _Writer(archive)
        review = {d.summary.id: [str(r) for r in review_reasons(d.event, review_below)] for d in details}
        for detail in details:
            images = _add_images(writer, detail, evidence_dir, problems)
            rows.writerow(_csv_row(detail, images, review[detail.summary.id]))
        writer.add("events.csv", table.getvalue().encode("utf-8"))
        events = [
            d.event.to_json()
            | {
                "status": d.summary.status,
                "status_reason": d.summary.status_reason,
                "review": review[d.summary.id],
                "officer_reviews": _review_json(d),
            }
            for d in details
        ]
        writer.add("events.json", json.dumps(events, indent=1, ensure_ascii=False).encode("utf-8"))
        manifest = {"format": FORMAT, **meta, "events": len(details), "files": writer.files, "problems": problems}
        archive.writestr("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False))
    return len(writer.files), problems


def build_export(
    session: Session,
    query: ExportQuery,
    *,
    evidence_dir: Path,
    actor: str,
    now: datetime,
    max_events: int,
    lease_minutes: int = 60,
    review_below: float = DEFAULT_REVIEW_BELOW,
) -> ExportResult:
    """Lease, select, copy: the zip of every event matching ``query`` (see the module docstring)."""
    lease = acquire_export_lease(
        session, actor, (query.start or EARLIEST) - LEASE_MARGIN, (query.end or now) + LEASE_MARGIN, now,
        minutes=lease_minutes,
    )  # fmt: skip
    try:
        ids = select_events(session, query, max_events)
        details = [d for i in range(0, len(ids), 200) for d in repo.event_details(session, ids[i : i + 200])]
        meta = {"generated_at": now.isoformat(), "generated_by": actor, "query": query.as_dict()}
        spool: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - the response streams it, then closes it
        try:
            files, problems = write_zip(spool, details, evidence_dir, meta, review_below)
        except BaseException:
            spool.close()
            raise
        return ExportResult(spool, len(details), files, problems)
    finally:
        session.rollback()
        release_export_lease(session, lease)


def verify_zip(data: bytes) -> list[str]:
    """Problems found re-reading an export: files missing from, or differing from, its manifest."""
    problems: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            listed = {f["path"]: f for f in manifest.get("files", [])}
            for name in archive.namelist():
                if name != "manifest.json" and name not in listed:
                    problems.append(f"{name} is not in the manifest")
            for name, entry in listed.items():
                blob = archive.read(name)
                if hashlib.sha256(blob).hexdigest() != entry["sha256"] or len(blob) != entry["size"]:
                    problems.append(f"{name} does not match its manifest entry")
            problems += [f"{p.get('event_id')}: {p.get('problem')}" for p in manifest.get("problems", [])]
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        problems.append(f"the export cannot be read back: {exc}")
    return problems
