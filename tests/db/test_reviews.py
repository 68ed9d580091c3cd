"""Officers' reviews on real databases: the review list empties, corrections drive the cross-check
and the searches, the stored reads never change, and bad input stores nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from db_builders import C1, C2, C3, T0, declaration, every_page, make_event, row_counts
from sqlalchemy import select
from sqlalchemy.orm import Session

from anpr.errors import InvalidInputError, NotFoundError
from anpr.events import GateEvent
from db.checks import recheck_due
from db.config import DbSettings
from db.declaration_service import import_declarations
from db.declarations import parse_json
from db.models import WebhookDeliveryRow
from db.repositories.admin import create_webhook
from db.repositories.declarations import get_declaration
from db.repositories.events import (
    EventQuery,
    container_movements,
    events_by_plate,
    get_event_detail,
    list_events,
)
from db.review_service import record_review
from db.services import store_event

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
LATER = T0 + timedelta(hours=3)


def _declare(session: Session, settings: DbSettings, *rows: dict[str, object]) -> None:
    report = import_declarations(session, parse_json(list(rows), ZONE), settings=settings, now=T0)
    assert report.ok, report.as_dict()
    session.commit()


def _store(session: Session, settings: DbSettings, event: GateEvent) -> None:
    store_event(session, event, settings=settings, now=LATER)


def _review(session: Session, settings: DbSettings, event_id: str, verdict: str, **kw: object) -> None:
    record_review(session, event_id, verdict, reviewer="officer 7", settings=settings, now=LATER, **kw)  # type: ignore[arg-type]
    session.commit()


def _status(session: Session, event_id: str) -> str:
    return get_event_detail(session, event_id).summary.status


def test_a_correction_rechecks_the_pass_and_a_later_confirmation_undoes_it(
    session: Session, settings: DbSettings
) -> None:
    _declare(session, settings, declaration())  # 51C-123.45 carrying C1
    _store(session, settings, make_event("e", plate="29H67890", plate_confidence=0.7, containers=((C1, True),)))
    assert _status(session, "e") == "plate_mismatch"
    assert [s.event_id for s in list_events(session, EventQuery(review_below=0.99)).items] == ["e"]

    _review(session, settings, "e", "corrected", plate="51c-123.45", note="plate dirty; read from the crop")
    detail = get_event_detail(session, "e")
    assert detail.summary.status == "matched"
    assert detail.event.plate is not None and detail.event.plate.text == "29H67890"  # the cameras' read stays
    (look,) = detail.reviews
    assert (look.verdict, look.plate, look.plate_formatted, look.plate_valid) == (
        "corrected",
        "51C12345",
        "51C-123.45",
        True,
    )
    assert (look.reviewer, look.note) == ("officer 7", "plate dirty; read from the crop")
    assert list_events(session, EventQuery(review_below=0.99)).items == []  # reviewed: off the list

    _review(session, settings, "e", "confirmed")
    assert _status(session, "e") == "plate_mismatch"  # the latest look counts
    assert [r.verdict for r in get_event_detail(session, "e").reviews] == ["corrected", "confirmed"]


def test_a_corrected_plate_is_found_by_exact_and_fuzzy_search(session: Session, settings: DbSettings) -> None:
    _store(session, settings, make_event("misread", plate="29H67890", plate_confidence=0.6))
    _store(session, settings, make_event("camera", plate="51C12345", at=T0 + timedelta(minutes=5)))
    _store(session, settings, make_event("older", plate="51C12345", at=T0 - timedelta(minutes=5)))
    _review(session, settings, "misread", "corrected", plate="51C12345")
    exact = events_by_plate(session, "51C-123.45").items
    assert [s.event_id for s in exact] == ["camera", "misread", "older"]
    assert all(s.distance == 0 for s in exact)
    assert [s.event_id for s in events_by_plate(session, "29H67890").items] == ["misread"]  # as read, too
    fuzzy = {s.event_id: s.matched_plate for s in events_by_plate(session, "51C1234S", fuzzy=True).items}
    assert fuzzy == {"camera": "51C12345", "misread": "51C12345", "older": "51C12345"}
    pages = every_page(lambda c: events_by_plate(session, "51C12345", limit=1, cursor=c))
    assert pages == ["camera", "misread", "older"]


def test_a_declaration_finds_a_pass_by_its_corrected_plate(session: Session, settings: DbSettings) -> None:
    _store(session, settings, make_event("e", plate="29H67890", plate_confidence=0.5))
    _review(session, settings, "e", "corrected", plate="51C12345")
    _declare(session, settings, declaration(containers=[]))  # the vehicle alone, declared after the pass
    detail = get_declaration(session, "100000000010")
    assert detail.declaration.status == "complete", detail.findings
    assert {f.event_ref for f in detail.findings} == {"e"}
    assert _status(session, "e") == "matched"


@pytest.mark.parametrize(
    ("verdict", "kw", "error", "match"),
    [
        ("approved", {}, InvalidInputError, "verdict must be one of"),
        ("corrected", {}, InvalidInputError, "needs the plate or the container numbers"),
        ("confirmed", {"plate": "51C12345"}, InvalidInputError, "only a correction"),
        ("corrected", {"plate": "5?"}, InvalidInputError, "not a plate"),
        ("illegible", {"note": "x" * 2001}, InvalidInputError, "note"),
        ("confirmed", {"reviewer": " "}, InvalidInputError, "reviewer"),
        ("illegible", {"note": "mud\x00"}, InvalidInputError, "control characters"),
    ],
)
def test_bad_reviews_store_nothing(
    session: Session, settings: DbSettings, verdict: str, kw: dict[str, object], error: type[Exception], match: str
) -> None:
    _store(session, settings, make_event("e", plate_confidence=0.5))
    before = row_counts(session)
    args = {"reviewer": "officer 7", **kw}
    with pytest.raises(error, match=match):
        record_review(session, "e", verdict, settings=settings, now=LATER, **args)  # type: ignore[arg-type]
    session.rollback()
    assert row_counts(session) == before
    assert get_event_detail(session, "e").reviews == ()


def test_a_review_of_an_unknown_pass_is_not_found(session: Session, settings: DbSettings) -> None:
    with pytest.raises(NotFoundError, match="no event"):
        record_review(session, "nope", "confirmed", reviewer="officer 7", settings=settings, now=LATER)


def test_reviews_are_kept_in_order_with_their_times(session: Session, settings: DbSettings) -> None:
    _store(session, settings, make_event("e", plate_confidence=0.5))
    times: list[datetime] = []
    for n, verdict in enumerate(("illegible", "confirmed")):
        at = LATER + timedelta(minutes=n)
        record_review(session, "e", verdict, reviewer=f"officer {n}", settings=settings, now=at)
        session.commit()
        times.append(at)
    looks = get_event_detail(session, "e").reviews
    assert [(r.verdict, r.reviewer, r.reviewed_at) for r in looks] == [
        ("illegible", "officer 0", times[0]),
        ("confirmed", "officer 1", times[1]),
    ]


def test_a_container_correction_rechecks_the_pass_and_is_searchable(session: Session, settings: DbSettings) -> None:
    _declare(session, settings, declaration())  # 51C-123.45 carrying C1
    misread = C1[:-1] + str((int(C1[-1]) + 1) % 10)  # the check digit misread: fails ISO 6346
    _store(session, settings, make_event("e", containers=((misread, False),)))
    assert _status(session, "e") == "unreadable"
    assert [s.event_id for s in list_events(session, EventQuery(review_below=0.5)).items] == ["e"]

    _review(session, settings, "e", "corrected", containers=[C1.lower()])
    detail = get_event_detail(session, "e")
    assert detail.summary.status == "matched"
    assert [c.number for c in detail.event.containers] == [misread]  # the cameras' read stays
    assert detail.reviews[-1].containers == ((C1, True),) and detail.reviews[-1].plate is None
    assert [s.event_id for s in container_movements(session, C1).items] == ["e"]
    assert [s.event_id for s in container_movements(session, misread).items] == ["e"]
    assert list_events(session, EventQuery(review_below=0.5)).items == []


def test_a_declaration_finds_a_pass_by_its_corrected_container(session: Session, settings: DbSettings) -> None:
    _store(session, settings, make_event("e", containers=(("MSCU1234560", False),)))
    _review(session, settings, "e", "corrected", containers=[C1])
    _declare(session, settings, declaration())
    detail = get_declaration(session, "100000000010")
    assert detail.declaration.status == "complete", detail.findings
    assert _status(session, "e") == "matched"


@pytest.mark.parametrize(
    ("containers", "match"),
    [
        ([C1, C2, C3], "at most two"),
        ([C1, C1], "listed twice"),
        (["MSCU12345"], "not a container number"),
        ("MSCU1234566", "a list"),
    ],
)
def test_bad_container_corrections_store_nothing(
    session: Session, settings: DbSettings, containers: object, match: str
) -> None:
    _store(session, settings, make_event("e", plate_confidence=0.5))
    before = row_counts(session)
    with pytest.raises(InvalidInputError, match=match):
        record_review(session, "e", "corrected", reviewer="o", containers=containers, settings=settings, now=LATER)  # type: ignore[arg-type]
    session.rollback()
    assert row_counts(session) == before


def test_a_correction_of_a_number_failing_its_check_digit_is_kept_as_read(
    session: Session, settings: DbSettings
) -> None:
    _declare(session, settings, declaration())  # 51C-123.45 carrying C1
    _store(session, settings, make_event("e", containers=(("MSCU1234560", False),)))
    assert _status(session, "e") == "unreadable"
    _review(session, settings, "e", "corrected", containers=["MSCU 123456 1"])
    look = get_event_detail(session, "e").reviews[-1]
    assert look.containers == (("MSCU1234561", False),)
    assert _status(session, "e") == "unreadable"  # an unverified number still cannot be checked


def test_every_look_reaches_the_reviewed_webhook_with_the_status_after_it(
    session: Session, settings: DbSettings
) -> None:
    create_webhook(session, url="https://vnaccs.example/hook", secret="s" * 32, events=["reviewed"], actor="a", now=T0)
    create_webhook(session, url="https://other.example/hook", secret="t" * 32, events=["missing"], actor="a", now=T0)
    session.commit()
    _declare(session, settings, declaration())
    _store(session, settings, make_event("e", plate="29H67890", plate_confidence=0.7, containers=((C1, True),)))
    _review(session, settings, "e", "corrected", plate="51C-123.45", note="dirt")
    _review(session, settings, "e", "confirmed")
    deliveries = session.scalars(select(WebhookDeliveryRow).order_by(WebhookDeliveryRow.id)).all()
    assert [(d.event_type, d.payload["verdict"], d.payload["status"]) for d in deliveries] == [
        ("reviewed", "corrected", "matched"),
        ("reviewed", "confirmed", "plate_mismatch"),
    ]
    first = deliveries[0].payload
    assert (first["ref"], first["plate"], first["reviewer"], first["note"]) == ("e", "51C12345", "officer 7", "dirt")


def test_a_superseded_correction_no_longer_names_the_pass(session: Session, settings: DbSettings) -> None:
    _store(session, settings, make_event("a", plate="29H67890", plate_confidence=0.6))
    _review(session, settings, "a", "corrected", plate="51C12345")
    _review(session, settings, "a", "confirmed")  # the cameras were right after all
    assert events_by_plate(session, "51C12345").items == []
    assert events_by_plate(session, "51C1234S", fuzzy=True).items == []
    assert [s.event_id for s in events_by_plate(session, "29H67890").items] == ["a"]


def test_a_pass_corrected_many_times_does_not_cut_the_pages_short(session: Session, settings: DbSettings) -> None:
    _store(session, settings, make_event("older", plate="29H67890", plate_confidence=0.6))
    _store(session, settings, make_event("newer", plate="29H67891", plate_confidence=0.6, at=T0 + timedelta(hours=1)))
    _review(session, settings, "older", "corrected", plate="51C12345")
    for n in range(3):
        record_review(
            session, "newer", "corrected", reviewer="o", plate="51C12345", settings=settings,
            now=LATER + timedelta(minutes=n),
        )  # fmt: skip
        session.commit()
    assert every_page(lambda c: events_by_plate(session, "51C12345", limit=1, cursor=c)) == ["newer", "older"]
    fuzzy = every_page(lambda c: events_by_plate(session, "51C1234S", fuzzy=True, limit=1, cursor=c))
    assert fuzzy == ["newer", "older"]


def test_a_correction_rechecks_the_declarations_it_concerns_closed_ones_too(
    session: Session, settings: DbSettings
) -> None:
    vehicle_only = declaration(containers=[], valid_from=T0 - timedelta(days=2), valid_to=T0 + timedelta(hours=1))
    _declare(session, settings, vehicle_only)
    _store(session, settings, make_event("e", plate="60C2468", plate_valid=False, plate_confidence=0.4))
    recheck_due(session, T0 + timedelta(days=1), settings=settings)  # the window closes: nothing seen
    session.commit()
    assert get_declaration(session, "100000000010").declaration.status == "missing"
    _review(session, settings, "e", "corrected", plate="51C-123.45")
    assert _status(session, "e") == "matched"
    assert get_declaration(session, "100000000010").declaration.status == "complete"
    _review(session, settings, "e", "confirmed")  # back to the cameras' unreadable plate
    assert get_declaration(session, "100000000010").declaration.status == "missing"


@pytest.mark.parametrize(("reviewer", "ok"), [("key:12:" + "n" * 128, True), ("x" * 161, False)])
def test_a_reviewer_is_any_api_key_actor(session: Session, settings: DbSettings, reviewer: str, ok: bool) -> None:
    _store(session, settings, make_event("e", plate_confidence=0.5))
    if ok:
        assert record_review(session, "e", "confirmed", reviewer=reviewer, settings=settings).reviewer == reviewer
    else:
        with pytest.raises(InvalidInputError, match="reviewer"):
            record_review(session, "e", "confirmed", reviewer=reviewer, settings=settings)
