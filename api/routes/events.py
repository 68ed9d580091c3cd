"""Gate events: list, detail with reads and findings, evidence images, and ingest from edge workers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response
from fastapi.responses import FileResponse

from anpr.errors import InvalidInputError
from anpr.event_json import event_from_json
from api.deps import AuditNote, Paging, SessionDep, State, Window, require
from api.roles import Permission
from api.schemas.common import ERRORS, PageOut
from api.schemas.events import EventDetailOut, EventSummaryOut, ReviewIn, ReviewOut, StoredEventOut
from api.services.evidence import evidence_file
from db.repositories import events as repo
from db.review_service import record_review
from db.services import store_event

router = APIRouter(prefix="/events", tags=["events"], responses=ERRORS)
Reader = Annotated[AuditNote, Depends(require(Permission.READ))]
Ingester = Annotated[AuditNote, Depends(require(Permission.EVENTS))]
Reviewer = Annotated[AuditNote, Depends(require(Permission.REVIEW))]
EVENT_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
EventId = Annotated[str, Path(pattern=EVENT_ID, description="The event's id (1-128 of A-Z a-z 0-9 . _ : -).")]

EXAMPLE = {
    "event_id": "lane1-20261015T083000Z-0001",
    "lane": "lane1",
    "direction": "in",
    "first_seen": "2026-10-15T08:30:00+07:00",
    "last_seen": "2026-10-15T08:30:06+07:00",
    "plate": {"text": "51C12345", "formatted": "51C-123.45", "confidence": 0.97, "valid": True, "reads": []},
    "containers": [{"number": "MSKU1234565", "check_digit_ok": True, "confidence": 0.93, "reads": []}],
    "evidence": [],
    "cameras": ["plate-front", "container-side"],
}


@router.get("", response_model=PageOut[EventSummaryOut])
def list_events(
    session: SessionDep,
    state: State,
    audit: Reader,
    window: Window,
    page: Paging,
    direction: Annotated[str | None, Query(pattern="^(in|out|unknown)$")] = None,
    status: Annotated[str | None, Query(pattern="^(unchecked|matched|plate_mismatch|undeclared|unreadable)$")] = None,
    lane: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    needs_review: Annotated[
        bool,
        Query(
            description="Only the events an officer should review: no plate read, a plate read that is invalid "
            "or under the server's review threshold (ANPR_API_REVIEW_BELOW), or a container number failing its "
            "check digit. The event detail's `review` says which."
        ),
    ] = False,
) -> PageOut[EventSummaryOut]:
    """Events, newest first, filtered by time (``from``/``to``), direction, status, lane and review."""
    query = repo.EventQuery(
        start=window.start,
        end=window.end,
        direction=direction,
        status=status,
        lane=lane,
        review_below=state.settings.review_below if needs_review else None,
    )
    found = repo.list_events(session, query, limit=page.limit, cursor=page.cursor)
    audit.note(results=len(found.items))
    return PageOut(items=[EventSummaryOut.of(s) for s in found.items], next_cursor=found.next_cursor)


@router.get("/{event_id}", response_model=EventDetailOut)
def get_event(event_id: EventId, session: SessionDep, state: State, audit: Reader) -> EventDetailOut:
    """One event with every read, its evidence images (and boxes), the cross-check findings and
    why it needs an officer's review, if it does."""
    return EventDetailOut.of(repo.get_event_detail(session, event_id), review_below=state.settings.review_below)


@router.get(
    "/{event_id}/images/{image_id}",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}, "description": "The evidence JPEG."}},
)
def get_image(
    event_id: EventId,
    image_id: Annotated[int, Path(ge=1, le=2**62, description="Evidence id from the event detail.")],
    session: SessionDep,
    state: State,
    audit: Reader,
) -> FileResponse:
    """An evidence image of the event (only that event's images; only files inside the evidence folder)."""
    view = repo.get_evidence(session, event_id, image_id)
    path = evidence_file(state.anpr_settings.evidence_dir, view.path)
    audit.note(sha256=view.sha256)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.post("", response_model=StoredEventOut, status_code=201, responses={200: {"model": StoredEventOut}})
def post_event(
    payload: Annotated[dict[str, Any], Body(openapi_examples={"pass": {"value": EXAMPLE}})],
    response: Response,
    session: SessionDep,
    state: State,
    audit: Ingester,
    idempotency_key: Annotated[
        str | None,
        Header(pattern=EVENT_ID, description="Optional; must equal event_id, or stands in for a missing one."),
    ] = None,
) -> StoredEventOut:
    """Store a gate event from an edge worker (the ``anpr watch`` JSON). A retry with the same
    ``event_id`` returns the stored event with 200 and changes nothing; a new event answers 201."""
    body = dict(payload)
    if idempotency_key is not None:
        if body.get("event_id") is None:
            body["event_id"] = idempotency_key
        elif body["event_id"] != idempotency_key:
            raise InvalidInputError("Idempotency-Key and event_id differ; send the same value in both")
    stored = store_event(session, event_from_json(body), settings=state.db_settings)
    if not stored.created:
        response.status_code = 200
    audit.note(event_id=stored.event_id, created=stored.created, status=stored.status.value)
    return StoredEventOut(id=stored.id, event_id=stored.event_id, status=stored.status.value, created=stored.created)


@router.post("/{event_id}/reviews", response_model=ReviewOut, status_code=201)
def post_review(event_id: EventId, body: ReviewIn, session: SessionDep, state: State, audit: Reviewer) -> ReviewOut:
    """Record an officer's look at the event's reads against its evidence. The event leaves the
    review list; a correction stands in for the cameras' truck plate or container numbers from now
    on (the cross-check runs again at once, and searches find the event by the corrected plate or
    number). The stored reads never change: every look is kept, and the latest counts."""
    review = record_review(
        session, event_id, body.verdict, reviewer=audit.actor, plate=body.plate, containers=body.containers,
        note=body.note, settings=state.db_settings,
    )  # fmt: skip
    audit.note(verdict=review.verdict, plate=review.plate, containers=[n for n, _ in review.containers])
    return ReviewOut.of(review)
