"""Customs declarations: submit (JSON or CSV), read with history, cross-check, and the discrepancy queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request, Response

from anpr.errors import InvalidInputError
from api.deps import AuditNote, SessionDep, State, Window, require
from api.roles import Permission
from api.schemas.common import ERRORS, ErrorOut
from api.schemas.declarations import (
    CrosscheckOut,
    DeclarationDetailOut,
    DiscrepancyOut,
    DiscrepancyPageOut,
    ImportReportOut,
)
from api.schemas.events import EventSummaryOut, FindingOut
from db import declarations as parsing
from db.declaration_service import ImportReport, import_declarations
from db.repositories import declarations as repo
from db.repositories import events as events_repo

router = APIRouter(tags=["declarations"], responses=ERRORS)
Writer = Annotated[AuditNote, Depends(require(Permission.DECLARATIONS))]
Reader = Annotated[AuditNote, Depends(require(Permission.READ, Permission.DECLARATIONS))]
Number = Annotated[str, Path(pattern=r"^[0-9]{11,12}$", description="12 digits (a version) or 11 (the current one).")]
IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": ImportReportOut, "description": "Every row stored (or identical to what is stored)."},
    207: {"model": ImportReportOut, "description": "Some rows failed (see rows); the good ones are stored."},
    422: {"model": ErrorOut, "description": "No row could be stored; the report is in detail."},
}
EXAMPLE = {
    "number": "106012345670",
    "type_code": "C11",
    "office_code": "02CI",
    "location_code": "02CIKNQ01",
    "plates": ["51C-123.45"],
    "containers": ["MSKU1234565:SEAL001"],
    "valid_from": "2026-10-15",
    "valid_to": "2026-10-20",
}


async def csv_body(request: Request) -> str:
    """The request body as CSV text (415 for another content type, 422 when it is not UTF-8)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("text/csv", "application/csv"):
        raise HTTPException(415, "send the CSV with Content-Type: text/csv")
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError("the CSV is not UTF-8 text") from exc


def _answer(report: ImportReport, response: Response, audit: AuditNote) -> ImportReportOut:
    counts = report.counts()
    audit.note(**counts)
    if counts["error"] and counts["error"] == len(report.rows):
        raise InvalidInputError("; ".join(f"row {r.row}: {r.reason}" for r in report.rows)[:4000])
    response.status_code = 200 if report.ok else 207
    return ImportReportOut.of(report.as_dict())


@router.post("/declarations", response_model=ImportReportOut, responses=IMPORT_RESPONSES)
def post_declarations(
    payload: Annotated[dict[str, Any] | list[Any], Body(openapi_examples={"one": {"value": EXAMPLE}})],
    response: Response,
    session: SessionDep,
    state: State,
    audit: Writer,
) -> ImportReportOut:
    """One declaration (an object) or many (a list). Each row is validated and stored on its own; an
    amendment (same first 11 digits, higher 12th) replaces the current version and keeps the history."""
    if isinstance(payload, list) and len(payload) > parsing.MAX_ROWS:
        raise InvalidInputError(f"at most {parsing.MAX_ROWS} declarations per request")
    parsed = parsing.parse_json(payload, state.db_settings.zone)
    report = import_declarations(session, parsed, source="api", settings=state.db_settings)
    return _answer(report, response, audit)


@router.post(
    "/declarations/import",
    response_model=ImportReportOut,
    responses=IMPORT_RESPONSES,
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def import_csv(
    audit: Writer, text: Annotated[str, Depends(csv_body)], response: Response, session: SessionDep, state: State
) -> ImportReportOut:
    """Declarations as CSV (``Content-Type: text/csv``, UTF-8, a header naming the columns; plates and
    containers ``;``-separated, ``NUMBER:SEAL``)."""
    parsed = parsing.parse_csv_text(text, state.db_settings.zone)
    report = import_declarations(session, parsed, source="csv", settings=state.db_settings)
    return _answer(report, response, audit)


@router.get("/declarations/{number}", response_model=DeclarationDetailOut)
def get_declaration(number: Number, session: SessionDep, audit: Reader) -> DeclarationDetailOut:
    """A declaration version with its findings and every version of the same base number."""
    return DeclarationDetailOut.of(repo.get_declaration(session, number))


@router.get("/declarations/{number}/crosscheck", response_model=CrosscheckOut)
def get_crosscheck(number: Number, session: SessionDep, audit: Reader) -> CrosscheckOut:
    """The declaration's cross-check: status, the reason for each finding, and the events that fulfilled it."""
    detail = repo.get_declaration(session, number)
    refs = list(dict.fromkeys(f.event_ref for f in detail.findings if f.event_ref))
    found = [events_repo.get_event_detail(session, ref).summary for ref in refs[:100]]
    d = detail.declaration
    return CrosscheckOut(
        number=d.number, status=d.status, status_reason=d.status_reason, checked_at=d.checked_at,
        findings=[FindingOut.of(f) for f in detail.findings], events=[EventSummaryOut.of(s) for s in found],
    )  # fmt: skip


@router.get("/discrepancies", response_model=DiscrepancyPageOut)
def list_discrepancies(
    session: SessionDep,
    audit: Annotated[AuditNote, Depends(require(Permission.READ))],
    window: Window,
    status: Annotated[
        list[str] | None,
        Query(
            description="Any of undeclared, plate_mismatch, unreadable, missing, partial (default: all but unreadable)."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> DiscrepancyPageOut:
    """The officers' work queue, newest first: undeclared passes, plate mismatches, and declarations
    whose window closed with containers unseen (missing, partial)."""
    statuses = tuple(status) if status else repo.EVENT_DISCREPANCIES + repo.DECLARATION_DISCREPANCIES
    items = repo.list_discrepancies(
        session, statuses=statuses, start=window.start, end=window.end, limit=limit + 1, offset=offset
    )
    audit.note(results=min(len(items), limit))
    following = offset + limit if len(items) > limit else None
    return DiscrepancyPageOut(items=[DiscrepancyOut.of(d) for d in items[:limit]], next_offset=following)
