"""Declarations, their cross-check, import reports and the discrepancy queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import FromData
from api.schemas.events import EventSummaryOut, FindingOut
from db.views import DeclarationDetail, DeclarationView, Discrepancy


class _FromTuple(BaseModel):
    """Also built from a tuple of its fields in order, as :class:`~db.views.DeclarationView` keeps them."""

    @model_validator(mode="before")
    @classmethod
    def _from_tuple(cls, data: Any) -> Any:
        return dict(zip(cls.model_fields, data, strict=True)) if isinstance(data, tuple) else data


class DeclaredContainerOut(_FromTuple):
    number: str
    seal: str | None


class DeclaredPlateOut(_FromTuple):
    text: str
    formatted: str


class DeclarationOut(FromData):
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
        return cls.model_validate(d)


class DeclarationDetailOut(FromData):
    declaration: DeclarationOut
    findings: list[FindingOut]
    history: list[DeclarationOut] = Field(description="Every version of the same base number, newest first.")

    @classmethod
    def of(cls, d: DeclarationDetail) -> DeclarationDetailOut:
        return cls.model_validate(d)


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


class DiscrepancyOut(FromData):
    kind: str = Field(description="event or declaration.")
    id: int
    ref: str = Field(description="event_id, or the 12-digit declaration number.")
    status: str
    at: datetime = Field(description="The pass time, or the end of the declaration's window.")
    reason: str

    @classmethod
    def of(cls, d: Discrepancy) -> DiscrepancyOut:
        return cls.model_validate(d)


class DiscrepancyPageOut(BaseModel):
    items: list[DiscrepancyOut]
    next_offset: int | None = Field(None, description="Pass back as `offset` for the next page.")
