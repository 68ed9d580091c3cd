"""Declarations, their cross-check, import reports and the discrepancy queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.events import EventSummaryOut, FindingOut
from db.views import DeclarationDetail, DeclarationView, Discrepancy


class DeclaredContainerOut(BaseModel):
    number: str
    seal: str | None


class DeclaredPlateOut(BaseModel):
    text: str
    formatted: str


class DeclarationOut(BaseModel):
    number: str = Field(description="12-digit VNACCS number; the first 11 are the identity, the 12th the amendment.")
    base_number: str
    amendment: int
    type_code: str
    direction: str
    office_code: str
    location_code: str
    valid_from: datetime
    valid_to: datetime
    is_current: bool
    superseded_at: datetime | None
    status: str = Field(description="pending, complete, partial or missing.")
    status_reason: str
    checked_at: datetime | None
    plates: list[DeclaredPlateOut]
    containers: list[DeclaredContainerOut]
    source: str
    imported_at: datetime

    @classmethod
    def of(cls, d: DeclarationView) -> DeclarationOut:
        return cls(
            number=d.number, base_number=d.base_number, amendment=d.amendment, type_code=d.type_code,
            direction=d.direction, office_code=d.office_code, location_code=d.location_code,
            valid_from=d.valid_from, valid_to=d.valid_to, is_current=d.is_current, superseded_at=d.superseded_at,
            status=d.status, status_reason=d.status_reason, checked_at=d.checked_at,
            plates=[DeclaredPlateOut(text=t, formatted=f) for t, f in d.plates],
            containers=[DeclaredContainerOut(number=n, seal=s) for n, s in d.containers], source=d.source,
            imported_at=d.imported_at,
        )  # fmt: skip


class DeclarationDetailOut(BaseModel):
    declaration: DeclarationOut
    findings: list[FindingOut]
    history: list[DeclarationOut] = Field(description="Every version of the same base number, newest first.")

    @classmethod
    def of(cls, d: DeclarationDetail) -> DeclarationDetailOut:
        return cls(
            declaration=DeclarationOut.of(d.declaration),
            findings=[FindingOut.of(f) for f in d.findings],
            history=[DeclarationOut.of(v) for v in d.history],
        )


class CrosscheckOut(BaseModel):
    number: str
    status: str
    status_reason: str
    checked_at: datetime | None
    findings: list[FindingOut]
    events: list[EventSummaryOut] = Field(description="The gate events that fulfilled part of the declaration.")


class RowOutcomeOut(BaseModel):
    row: int = Field(description="1-based row (JSON list item or CSV data line).")
    outcome: str = Field(description="created, amended, unchanged or error.")
    number: str | None
    reason: str
    status: str | None


class ImportReportOut(BaseModel):
    ok: bool = Field(description="False when any row failed; good rows are stored all the same.")
    counts: dict[str, int]
    rows: list[RowOutcomeOut]

    @classmethod
    def of(cls, report: dict[str, Any]) -> ImportReportOut:
        return cls.model_validate(report)


class DiscrepancyOut(BaseModel):
    kind: str = Field(description="event or declaration.")
    id: int
    ref: str = Field(description="event_id, or the 12-digit declaration number.")
    status: str
    at: datetime = Field(description="The pass time, or the end of the declaration's window.")
    reason: str

    @classmethod
    def of(cls, d: Discrepancy) -> DiscrepancyOut:
        return cls(kind=d.kind, id=d.id, ref=d.ref, status=d.status, at=d.at, reason=d.reason)


class DiscrepancyPageOut(BaseModel):
    items: list[DiscrepancyOut]
    next_offset: int | None = Field(None, description="Pass back as `offset` for the next page.")
