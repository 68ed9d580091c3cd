"""The quarterly camera compliance report, as JSON or a printable HTML page."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.deps import AuditNote, SessionDep, State, require
from api.roles import Permission
from api.schemas.common import ERRORS
from api.schemas.reports import ComplianceReportOut
from api.services.reports import compliance_report, parse_quarter
from db.models import utcnow

router = APIRouter(prefix="/reports", tags=["reports"], responses=ERRORS)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


@router.get(
    "/camera-compliance",
    response_model=ComplianceReportOut,
    responses={200: {"content": {"text/html": {}}, "description": "JSON, or HTML with format=html."}},
)
def camera_compliance(
    session: SessionDep,
    state: State,
    audit: Annotated[AuditNote, Depends(require(Permission.READ, Permission.CAMERAS))],
    quarter: Annotated[str, Query(max_length=8, description="Calendar quarter, e.g. 2026Q4 (site time zone).")],
    format: Annotated[Literal["json", "html"], Query(description="json, or html for printing.")] = "json",
) -> JSONResponse | HTMLResponse:
    """Per camera: uptime, frames processed and last frame, legibility, oldest retained image against
    the retention period, and an export self-test."""
    period = parse_quarter(quarter, state.db_settings.zone)
    report = compliance_report(
        session, period, retention_months=state.db_settings.retention_months,
        evidence_dir=state.anpr_settings.evidence_dir, now=utcnow(),
    )  # fmt: skip
    audit.note(quarter=period.label, cameras=len(report.cameras), ok=report.ok)
    if format == "html":
        return HTMLResponse(_templates().get_template("compliance.html").render(report=report))
    body = ComplianceReportOut.model_validate(report)
    return JSONResponse(body.model_dump(mode="json"))
