"""The quarterly camera compliance report."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.common import FromData


class QuarterOut(FromData):
    label: str
    start: datetime
    end: datetime


class SelfTestOut(FromData):
    ok: bool
    event_id: str | None = Field(description="The event exported and read back.")
    files: int
    problems: list[str]


class CameraComplianceOut(FromData):
    camera_id: int
    name: str
    lane: str
    direction: str
    enabled: bool
    uptime: float | None = Field(description="Share of heartbeats in the quarter that were up.")
    heartbeats: int
    frames_in_quarter: int
    frames_total: int
    last_frame_at: datetime | None
    passes: int
    legible_passes: int
    legibility: float | None = Field(description="Share of the camera's passes with a valid read.")
    reviewed_passes: int = Field(description="Passes of the quarter through the camera's lane an officer reviewed.")
    illegible_by_officers: int = Field(
        description="Of those, the passes whose latest review found the evidence illegible."
    )
    oldest_image_at: datetime | None
    retention_from: datetime = Field(description="Start of the retention period that must still be stored.")
    retention_status: str = Field(description="ok, gap (images missing at the start) or no_images.")
    overdue_images: int = Field(description="Images kept past retain_until (purge not running).")
    export_self_test: SelfTestOut


class ComplianceReportOut(FromData):
    quarter: QuarterOut
    generated_at: datetime
    retention_months: int
    ok: bool
    cameras: list[CameraComplianceOut]
