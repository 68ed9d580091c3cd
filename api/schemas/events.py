"""Events, reads, evidence and findings as the API returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from anpr.review import DEFAULT_REVIEW_BELOW, review_reasons
from api.config import API_PREFIX as API
from api.schemas.common import FromData, Input
from db.views import EventDetail, EventSummary, EvidenceView, FindingView, ReviewView


class EventSummaryOut(FromData):
    id: int = Field(description="Row id.")
    event_id: str
    lane: str
    direction: str
    first_seen: datetime
    last_seen: datetime
    status: str = Field(description="unchecked, matched, plate_mismatch, undeclared or unreadable.")
    status_reason: str
    plate: str | None
    plate_formatted: str | None
    trailer_plate: str | None
    containers: list[str]
    has_valid_read: bool
    distance: float | None = Field(None, description="Confusion-aware distance to the query (fuzzy search).")
    matched_plate: str | None = None

    @classmethod
    def of(cls, s: EventSummary) -> EventSummaryOut:
        return cls.model_validate(s)


class EvidenceOut(BaseModel):
    id: int
    camera: str
    kind: str = Field(description="frame or crop.")
    sha256: str
    size_bytes: int
    taken_at: datetime
    retain_until: datetime
    width: int
    height: int
    boxes: list[list[float]] = Field(description="Boxes of the reads, [x1, y1, x2, y2] in image pixels.")
    url: str = Field(description="Where the JPEG is served (needs the same Authorization header).")

    @classmethod
    def of(cls, e: EvidenceView) -> EvidenceOut:
        return cls(
            id=e.id, camera=e.camera, kind=e.kind, sha256=e.sha256, size_bytes=e.size_bytes, taken_at=e.taken_at,
            retain_until=e.retain_until, width=e.width, height=e.height, boxes=[b.as_list() for b in e.boxes],
            url=f"{API}/events/{e.event_id}/images/{e.id}",
        )  # fmt: skip


class FindingOut(FromData):
    status: str
    rule: str
    ok: bool
    fields: list[str]
    reason: str
    declaration_number: str | None
    event_ref: str | None
    created_at: datetime

    @classmethod
    def of(cls, f: FindingView) -> FindingOut:
        return cls.model_validate(f)


class ReviewIn(Input):
    verdict: Literal["confirmed", "corrected", "illegible"] = Field(
        description="confirmed: the reads are right; corrected: the truck's plate is `plate` and/or the containers "
        "are `containers`; illegible: the evidence does not show them."
    )
    plate: str | None = Field(
        None, max_length=64, description="The plate as the officer reads it (any spelling); only with corrected."
    )
    containers: list[str] | None = Field(
        None,
        max_length=2,
        description="The pass's container numbers as the officer reads them, in order (at most two); only with "
        "corrected. A number failing its check digit is kept as read and marked so.",
    )
    note: str = Field("", max_length=2000, description="Why, for the record.")


class ReviewedContainerOut(BaseModel):
    number: str
    check_digit_ok: bool


class ReviewOut(BaseModel):
    id: int
    event_id: str
    reviewed_at: datetime
    reviewer: str = Field(description="Who looked: the officer's API key, as `key:<id>:<name>`.")
    verdict: str
    plate: str | None
    plate_formatted: str | None
    plate_valid: bool | None = Field(description="Whether the corrected plate follows the plate rules.")
    containers: list[ReviewedContainerOut] = Field(description="Corrected container numbers (a correction only).")
    note: str

    @classmethod
    def of(cls, r: ReviewView) -> ReviewOut:
        return cls(
            id=r.id, event_id=r.event_id, reviewed_at=r.reviewed_at, reviewer=r.reviewer, verdict=r.verdict,
            plate=r.plate, plate_formatted=r.plate_formatted, plate_valid=r.plate_valid,
            containers=[ReviewedContainerOut(number=n, check_digit_ok=ok) for n, ok in r.containers], note=r.note,
        )  # fmt: skip


class EventDetailOut(BaseModel):
    summary: EventSummaryOut
    event: dict[str, Any] = Field(description="The gate event in the pipeline's JSON form, with every read.")
    evidence: list[EvidenceOut]
    findings: list[FindingOut] = Field(description="Why the cross-check gave its status: rule, fields, reason.")
    checked_at: datetime | None
    review: list[str] = Field(
        description="Why an officer should look at this event's reads (empty: no need): no_plate, plate_invalid, "
        "plate_unsure (a plate read under the server's review threshold), container_unverified. It describes "
        "the cameras' reads and stays after a review; `reviews` says who looked."
    )
    reviews: list[ReviewOut] = Field(
        description="Officers' looks at this event, oldest first; the last counts (a correction stands in for "
        "the cameras' truck plate or container numbers in the cross-check and in searches)."
    )

    @classmethod
    def of(cls, d: EventDetail, review_below: float = DEFAULT_REVIEW_BELOW) -> EventDetailOut:
        return cls(
            summary=EventSummaryOut.of(d.summary), event=d.event.to_json(),
            evidence=[EvidenceOut.of(e) for e in d.evidence], findings=[FindingOut.of(f) for f in d.findings],
            checked_at=d.checked_at, review=[str(r) for r in review_reasons(d.event, review_below)],
            reviews=[ReviewOut.of(r) for r in d.reviews],
        )  # fmt: skip


class StoredEventOut(BaseModel):
    id: int
    event_id: str
    status: str
    created: bool = Field(description="False when the event was already stored (an idempotent retry).")


class PlateReadOut(BaseModel):
    text: str
    formatted: str
    confidence: float
    bbox: list[float] | None
    rows: int
    valid: bool


class ContainerReadOut(BaseModel):
    number: str
    check_digit_ok: bool
    size_type: str | None
    bbox: list[float] | None
    orientation: str
    confidence: float


class RecognizeOut(BaseModel):
    """Exactly the object ``anpr recognize --json`` prints for one image."""

    image: str
    plates: list[PlateReadOut]
    containers: list[ContainerReadOut]


class SuggestionOut(BaseModel):
    plate: str
    distance: float
    passes: int
