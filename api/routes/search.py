"""Who passed the gate: a vehicle's entries and a container's movements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.deps import AuditNote, Paging, SessionDep, State, Window, read, require
from api.roles import Permission
from api.schemas.common import ERRORS, PageOut
from api.schemas.events import EventSummaryOut, SuggestionOut
from api.services.identifiers import container_query, plate_query
from db.repositories import events as repo

router = APIRouter(tags=["search"], responses=ERRORS)
Reader = Annotated[AuditNote, Depends(require(Permission.READ))]
Direction = Annotated[str | None, Query(pattern="^(in|out|unknown)$", description="in, out or unknown.")]
Raw = Annotated[bool, Query(description="Search the text as read, without the grammar check.")]


@router.get("/vehicles/{plate}/entries", response_model=PageOut[EventSummaryOut])
async def vehicle_entries(
    plate: Annotated[str, Path(max_length=64, description="A plate spelt any way: 51C-123.45, 51c12345 ...")],
    session: SessionDep,
    state: State,
    audit: Reader,
    window: Window,
    page: Paging,
    direction: Direction = None,
    fuzzy: Annotated[bool, Query(description="Also return reads within the OCR-confusion threshold.")] = False,
    raw: Raw = False,
) -> PageOut[EventSummaryOut]:
    """Passes of one vehicle, newest first; ``fuzzy`` tolerates OCR confusions (0/D, 8/B, 1/I ...)."""
    query = repo.EventQuery(start=window.start, end=window.end, direction=direction)
    wanted = plate_query(plate, raw)
    threshold = state.db_settings.fuzzy_search_threshold
    found = await read(
        session,
        lambda s: repo.events_by_plate(
            s, wanted, query, fuzzy=fuzzy, threshold=threshold, limit=page.limit, cursor=page.cursor
        ),
        inline=state.settings.inline_reads,
    )
    audit.note(results=len(found.items))
    return PageOut(items=[EventSummaryOut.of(s) for s in found.items], next_cursor=found.next_cursor)


@router.get("/vehicles/{plate}/suggestions", response_model=list[SuggestionOut])
def plate_suggestions(
    plate: Annotated[str, Path(max_length=64)], session: SessionDep, state: State, audit: Reader, raw: Raw = False
) -> list[SuggestionOut]:
    """Stored plates close to the one typed ("did you mean"), closest first."""
    found = repo.plate_suggestions(session, plate_query(plate, raw), state.db_settings.fuzzy_search_threshold)
    audit.note(results=len(found))
    return [SuggestionOut(plate=text, distance=d, passes=n) for text, d, n in found]


@router.get("/containers/{number}/movements", response_model=PageOut[EventSummaryOut])
async def container_movements(
    number: Annotated[str, Path(max_length=64, description="ISO 6346 number spelt any way: MSKU 123456 7.")],
    session: SessionDep,
    state: State,
    audit: Reader,
    window: Window,
    page: Paging,
    direction: Direction = None,
    raw: Raw = False,
) -> PageOut[EventSummaryOut]:
    """Passes of one container, newest first (exact number)."""
    query = repo.EventQuery(start=window.start, end=window.end, direction=direction)
    wanted = container_query(number, raw)
    found = await read(
        session,
        lambda s: repo.container_movements(s, wanted, query, limit=page.limit, cursor=page.cursor),
        inline=state.settings.inline_reads,
    )
    audit.note(results=len(found.items))
    return PageOut(items=[EventSummaryOut.of(s) for s in found.items], next_cursor=found.next_cursor)
