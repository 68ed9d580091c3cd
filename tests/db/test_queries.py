"""Query repositories for the API: plate (exact, fuzzy), container, time lists, detail, discrepancies."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from db_builders import C1, C2, C3, T0, declaration, every_page, make_event
from sqlalchemy.orm import Session

from anpr.errors import InvalidInputError, NotFoundError
from anpr.events import Direction, GateEvent
from anpr.review import review_reasons
from db.config import DbSettings
from db.declaration_service import import_declarations
from db.declarations import parse_json
from db.repositories.declarations import list_declarations, list_discrepancies
from db.repositories.events import (
    EventQuery,
    container_movements,
    event_details,
    events_by_plate,
    get_event_detail,
    get_evidence,
    list_events,
    plate_suggestions,
)
from db.services import store_event
from db.views import encode_cursor

NOW = T0 + timedelta(days=10)


@pytest.fixture
def traffic(session: Session, settings: DbSettings) -> None:
    """Ten passes of 51C12345 (alternating in/out, hourly), misreads of it, and other trucks."""
    for i in range(10):
        direction = Direction.IN if i % 2 == 0 else Direction.OUT
        store_event(
            session,
            make_event(f"a{i}", containers=((C1, True),), direction=direction, at=T0 + timedelta(hours=i)),
            settings=settings,
            now=NOW,
        )
    misreads = {"m1": "51C1234S", "m2": "5IC12345", "m3": "51C12346", "m4": "51C123456", "m5": "51C1234"}
    for n, (event_id, text) in enumerate(misreads.items()):
        store_event(
            session, make_event(event_id, plate=text, at=T0 + timedelta(minutes=30 + n)), settings=settings, now=NOW
        )
    store_event(
        session,
        make_event("o1", plate="29H67890", containers=((C2, True), (C3, True)), at=T0 + timedelta(hours=20)),
        settings=settings,
        now=NOW,
    )
    store_event(session, make_event("o2", plate="51C99999", at=T0 + timedelta(hours=21)), settings=settings, now=NOW)


@pytest.mark.usefixtures("traffic")
def test_exact_plate_lookup_accepts_any_spelling(session: Session) -> None:
    page = events_by_plate(session, "51c-123.45", limit=50)
    assert [s.event_id for s in page.items] == [f"a{i}" for i in range(9, -1, -1)]
    assert all(s.distance == 0 and s.plate == "51C12345" for s in page.items)
    assert page.next_cursor is None


@pytest.mark.usefixtures("traffic")
def test_plate_pages_follow_the_cursor_without_gaps(session: Session) -> None:
    seen = every_page(lambda c: events_by_plate(session, "51C12345", limit=3, cursor=c))
    assert seen == [f"a{i}" for i in range(9, -1, -1)]


@pytest.mark.usefixtures("traffic")
def test_fuzzy_plate_lookup_finds_ocr_confusions(session: Session) -> None:
    page = events_by_plate(session, "51C12345", fuzzy=True, limit=100)
    found = {s.event_id: (s.distance, s.matched_plate) for s in page.items}
    assert found["m1"] == (0.5, "51C1234S")  # S for 5
    assert found["m2"] == (0.5, "5IC12345")  # I for 1
    assert found["m3"] == (1.0, "51C12346")  # one plain substitution
    assert found["m4"] == (1.0, "51C123456")  # one insertion
    assert found["m5"] == (1.0, "51C1234")  # one deletion
    assert "o2" not in found  # 51C99999 is three edits away
    assert len(found) == 15
    times = [s.first_seen for s in page.items]
    assert times == sorted(times, reverse=True)


@pytest.mark.usefixtures("traffic")
def test_fuzzy_threshold_narrows_the_result(session: Session) -> None:
    ids = {s.event_id for s in events_by_plate(session, "51C12345", fuzzy=True, threshold=0.5, limit=100).items}
    assert ids == {f"a{i}" for i in range(10)} | {"m1", "m2"}


@pytest.mark.usefixtures("traffic")
def test_plate_lookup_filters(session: Session) -> None:
    out = events_by_plate(session, "51C12345", EventQuery(direction="out"), limit=50).items
    assert [s.event_id for s in out] == ["a9", "a7", "a5", "a3", "a1"]
    window = EventQuery(start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=4))
    assert [s.event_id for s in events_by_plate(session, "51C12345", window).items] == ["a4", "a3", "a2"]
    fuzzy_out = events_by_plate(session, "51C12345", EventQuery(direction="out"), fuzzy=True, limit=50).items
    assert {s.event_id for s in fuzzy_out} == {"a9", "a7", "a5", "a3", "a1"}


@pytest.mark.usefixtures("traffic")
def test_plate_suggestions_rank_by_distance(session: Session) -> None:
    suggestions = plate_suggestions(session, "51C12345")
    assert suggestions[0] == ("51C12345", 0.0, 10)
    assert [s[0] for s in suggestions[1:3]] == ["51C1234S", "5IC12345"]


@pytest.mark.usefixtures("traffic")
def test_container_movements(session: Session) -> None:
    page = container_movements(session, "mscu 123456-6", limit=4)
    assert [s.event_id for s in page.items] == ["a9", "a8", "a7", "a6"]
    rest = container_movements(session, C1, limit=50, cursor=page.next_cursor)
    assert [s.event_id for s in rest.items] == ["a5", "a4", "a3", "a2", "a1", "a0"]
    assert [s.event_id for s in container_movements(session, C3).items] == ["o1"]
    assert container_movements(session, "MAEU7654320").items == []


@pytest.mark.usefixtures("traffic")
def test_list_events_by_time_direction_and_status(session: Session) -> None:
    everything = list_events(session, limit=500).items
    assert len(everything) == 17
    assert everything[0].event_id == "o2"
    ins = list_events(session, EventQuery(direction="in"), limit=500).items
    assert all(s.direction == "in" for s in ins) and len(ins) == 12
    undeclared = list_events(session, EventQuery(status="undeclared"), limit=500).items
    assert {s.event_id for s in undeclared} == {s.event_id for s in everything}  # no declarations stored
    first = list_events(session, limit=5)
    second = list_events(session, limit=5, cursor=first.next_cursor)
    assert not {s.id for s in first.items} & {s.id for s in second.items}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: events_by_plate(s, "!!"), "not a plate"),
        (lambda s: events_by_plate(s, "51C12345' OR 1=1 --"), "not a plate"),  # SQL-like text is not a plate
        (lambda s: events_by_plate(s, "51C12345", limit=0), "limit"),
        (lambda s: events_by_plate(s, "51C12345", limit=10_000), "limit"),
        (lambda s: events_by_plate(s, "51C12345", fuzzy=True, threshold=3), "threshold"),
        (lambda s: events_by_plate(s, "51C12345", cursor="garbage"), "cursor"),
        (lambda s: container_movements(s, "MSCU/../../etc"), "container"),
        (lambda s: list_events(s, EventQuery(direction="sideways")), "direction"),
        (lambda s: list_events(s, EventQuery(status="fine")), "status"),
        (lambda s: list_events(s, EventQuery(start=T0, end=T0 - timedelta(seconds=1))), "before"),
        (lambda s: list_events(s, EventQuery(start=T0.replace(tzinfo=None))), "time zone"),
    ],
)
def test_bad_query_input_is_a_clear_error(session: Session, call: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call(session)  # type: ignore[operator]


def test_cursor_round_trip_and_tampering() -> None:
    from db.views import decode_cursor

    assert decode_cursor(encode_cursor(T0, 42)) == (T0, 42)
    with pytest.raises(InvalidInputError):
        decode_cursor(encode_cursor(T0.replace(tzinfo=None), 1))


@pytest.mark.usefixtures("traffic")
def test_event_detail_and_evidence(session: Session) -> None:
    detail = get_event_detail(session, "o1")
    assert detail.summary.containers == (C2, C3)
    (image,) = detail.evidence
    assert get_evidence(session, "o1", image.id) == image
    other = get_event_detail(session, "a0").evidence[0]
    with pytest.raises(NotFoundError):
        get_evidence(session, "o1", other.id)  # another event's image id is not reachable through o1
    with pytest.raises(NotFoundError):
        get_event_detail(session, "nope")
    first = get_event_detail(session, "a0").summary.id
    assert [d.summary.event_id for d in event_details(session, [detail.summary.id, first])] == ["o1", "a0"]


def test_discrepancy_queue(session: Session, settings: DbSettings) -> None:
    rows = [declaration("100000000010"), declaration("100000000020", containers=[C3], valid_to=T0 + timedelta(hours=1))]
    import_declarations(session, parse_json(rows, ZoneInfo("UTC")), settings=settings, now=T0)
    store_event(session, make_event("ok", containers=((C1, True),)), settings=settings, now=T0)
    store_event(
        session,
        make_event("bad-plate", plate="29H67890", containers=((C1, True),), at=T0 + timedelta(minutes=1)),
        settings=settings,
        now=T0,
    )
    store_event(
        session,
        make_event("stranger", containers=((C2, True),), at=T0 + timedelta(minutes=2)),
        settings=settings,
        now=T0,
    )
    from db.checks import recheck_due

    recheck_due(session, T0 + timedelta(days=3), settings=settings)
    queue = list_discrepancies(session)
    assert [(d.kind, d.ref, d.status) for d in queue] == [
        ("declaration", "100000000020", "missing"),
        ("event", "stranger", "undeclared"),
        ("event", "bad-plate", "plate_mismatch"),
    ]
    assert all(d.reason for d in queue)
    assert [d.ref for d in list_discrepancies(session, statuses=("plate_mismatch",))] == ["bad-plate"]
    assert [d.ref for d in list_discrepancies(session, limit=1, offset=1)] == ["stranger"]
    assert [v.number for v in list_declarations(session, status="missing")] == ["100000000020"]
    with pytest.raises(InvalidInputError):
        list_discrepancies(session, statuses=("matched",))


def test_fuzzy_lookup_is_exact_when_look_alikes_crowd_a_key(session: Session, settings: DbSettings) -> None:
    # 5IC1Z34S folds like 51C12345 but is 1.5 away; five newer passes of it must not hide the true one.
    store_event(session, make_event("true", plate="51C12345", at=T0), settings=settings, now=NOW)
    for i in range(5):
        store_event(
            session, make_event(f"far{i}", plate="5IC1Z34S", at=T0 + timedelta(hours=i + 1)), settings=settings, now=NOW
        )
    page = events_by_plate(session, "51C12345", fuzzy=True, threshold=0.5, limit=1)
    assert [s.event_id for s in page.items] == ["true"]
    wide = events_by_plate(session, "51C12345", fuzzy=True, threshold=1.5, limit=2)
    assert [s.event_id for s in wide.items] == ["far4", "far3"] and wide.next_cursor is not None


@pytest.mark.usefixtures("traffic")
def test_list_summaries_carry_both_containers_in_position_order(session: Session) -> None:
    for page in (container_movements(session, C3), list_events(session, limit=500)):
        (o1,) = [s for s in page.items if s.event_id == "o1"]
        assert o1.containers == (C2, C3)
        assert o1.plate == "29H67890"


@pytest.mark.usefixtures("traffic")
def test_filtered_pages_follow_the_cursor(session: Session) -> None:
    """Each combination of filters and cursor is its own cached statement; pages must still chain."""

    walk = every_page
    outbound = EventQuery(direction="out")
    assert walk(lambda c: events_by_plate(session, "51C12345", outbound, limit=2, cursor=c)) == [
        "a9", "a7", "a5", "a3", "a1",
    ]  # fmt: skip
    assert walk(lambda c: container_movements(session, C1, outbound, limit=2, cursor=c)) == [
        "a9", "a7", "a5", "a3", "a1",
    ]  # fmt: skip
    window = EventQuery(start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=20))
    assert walk(lambda c: list_events(session, window, limit=3, cursor=c)) == [
        "o1", "a9", "a8", "a7", "a6", "a5", "a4", "a3", "a2",
    ]  # fmt: skip


def test_a_plate_read_in_both_slots_lists_its_event_once(session: Session, settings: DbSettings) -> None:
    store_event(session, make_event("twin", plate="51C12345", trailer="51C12345"), settings=settings, now=NOW)
    store_event(session, make_event("next", at=T0 + timedelta(hours=1)), settings=settings, now=NOW)
    page = events_by_plate(session, "51C12345", limit=1)
    assert [s.event_id for s in page.items] == ["next"]
    rest = events_by_plate(session, "51C12345", limit=1, cursor=page.next_cursor)
    assert [s.event_id for s in rest.items] == ["twin"] and rest.next_cursor is None
    assert [s.event_id for s in events_by_plate(session, "51C12345", limit=50).items] == ["next", "twin"]


@pytest.fixture
def doubtful(session: Session, settings: DbSettings) -> dict[str, GateEvent]:
    """Passes covering every review rule: sure, unsure, invalid, missing plates, trailers, containers."""
    events = [
        make_event("sure", plate_confidence=0.995, containers=((C1, True),)),
        make_event("unsure", plate_confidence=0.95),
        make_event("borderline", plate_confidence=0.99),
        make_event("invalid", plate="5IC1234S", plate_valid=False, plate_confidence=0.999),
        make_event("no-plate", plate=None, containers=((C2, True),)),
        make_event("trailer-unsure", plate_confidence=0.999, trailer="51R01234", trailer_confidence=0.6),
        make_event("box-fails", plate_confidence=0.999, containers=((C1, True), ("MSKU1234560", False))),
        make_event("low", plate="29H67890", plate_confidence=0.3),
    ]
    for n, event in enumerate(events):
        event = replace(event, first_seen=T0 + timedelta(minutes=n), last_seen=T0 + timedelta(minutes=n, seconds=8))
        store_event(session, event, settings=settings, now=NOW)
    session.commit()
    return {e.event_id: e for e in events}


@pytest.mark.parametrize("below", [0.0, 0.5, 0.95, 0.99, 0.996, 1.0])
def test_review_list_holds_exactly_the_events_the_rules_send_to_review(
    session: Session, doubtful: dict[str, GateEvent], below: float
) -> None:
    listed = [s.event_id for s in list_events(session, EventQuery(review_below=below), limit=500).items]
    expected = {event_id for event_id, event in doubtful.items() if review_reasons(event, below)}
    assert set(listed) == expected
    assert len(listed) == len(expected)  # each once, however many of its reads are doubtful
    for event_id in listed:  # the stored event gives the same reasons as the one sent
        assert review_reasons(get_event_detail(session, event_id).event, below)


def test_review_list_at_the_default_threshold(session: Session, doubtful: dict[str, GateEvent]) -> None:
    page = list_events(session, EventQuery(review_below=0.99), limit=500)
    assert [s.event_id for s in page.items] == ["low", "box-fails", "trailer-unsure", "no-plate", "invalid", "unsure"]


def test_review_list_combines_with_filters_and_pages(session: Session, doubtful: dict[str, GateEvent]) -> None:
    seen = every_page(lambda c: list_events(session, EventQuery(review_below=0.99), limit=2, cursor=c))
    assert seen == ["low", "box-fails", "trailer-unsure", "no-plate", "invalid", "unsure"]
    window = EventQuery(review_below=0.99, start=T0 + timedelta(minutes=3), end=T0 + timedelta(minutes=5))
    assert [s.event_id for s in list_events(session, window).items] == ["trailer-unsure", "no-plate", "invalid"]
    by_plate = events_by_plate(session, "51C12345", EventQuery(review_below=0.99)).items
    assert [s.event_id for s in by_plate] == ["box-fails", "trailer-unsure", "unsure"]
    fuzzy = events_by_plate(session, "51C12345", EventQuery(review_below=0.99), fuzzy=True).items
    assert [s.event_id for s in fuzzy] == ["box-fails", "trailer-unsure", "invalid", "unsure"]
    assert [s.event_id for s in container_movements(session, C1, EventQuery(review_below=0.99)).items] == ["box-fails"]


@pytest.mark.parametrize("bad", [-0.1, 1.01, float("nan")])
def test_review_threshold_outside_0_to_1_is_refused(bad: float) -> None:
    with pytest.raises(InvalidInputError, match="review threshold"):
        EventQuery(review_below=bad)
