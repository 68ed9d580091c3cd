"""Evidence export: a zip of events, images, events.csv and a manifest of SHA-256 digests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from api.deps import AuditNote, SessionDep, State, Window, require
from api.roles import Permission
from api.schemas.common import ERRORS
from api.services.exports import ExportQuery, build_export
from api.services.identifiers import container_query, plate_query
from db.models import utcnow

router = APIRouter(tags=["exports"], responses=ERRORS)


@router.get(
    "/exports",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "The export zip."}},
)
def export(
    session: SessionDep,
    state: State,
    audit: Annotated[AuditNote, Depends(require(Permission.EXPORT))],
    window: Window,
    plate: Annotated[str | None, Query(max_length=64, description="Only this vehicle's passes.")] = None,
    container: Annotated[str | None, Query(max_length=64, description="Only this container's passes.")] = None,
    raw: Annotated[bool, Query(description="Take plate/container as read, without the grammar check.")] = False,
) -> StreamingResponse:
    """Export the events in ``[from, to]`` (optionally of one plate or container) with their evidence.

    ``manifest.json`` lists the SHA-256 of every file in the zip and any image that could not be
    included or no longer matches the digest stored at capture."""
    query = ExportQuery(
        start=window.start, end=window.end, plate=plate_query(plate, raw) if plate else None,
        container=container_query(container, raw) if container else None,
    )  # fmt: skip
    now = utcnow()
    result = build_export(
        session, query, evidence_dir=state.anpr_settings.evidence_dir, actor=audit.actor, now=now,
        max_events=state.settings.export_max_events, lease_minutes=state.db_settings.export_lease_minutes,
        review_below=state.settings.review_below,
    )  # fmt: skip
    audit.note(events=result.events, files=result.files, problems=len(result.problems))
    name = f"anpr-export-{now.strftime('%Y%m%dT%H%M%SZ')}.zip"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Export-Events": str(result.events),
        "X-Export-Problems": str(len(result.problems)),
    }
    return StreamingResponse(result.chunks(), media_type="application/zip", headers=headers)
