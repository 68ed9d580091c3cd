"""The pure cross-check rules: one table row per situation, each with the reason it exists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.crosscheck import (
    ContainerFact,
    DeclarationFacts,
    DeclarationStatus,
    EventFacts,
    EventStatus,
    PlateFact,
    Rule,
    check_declaration,
    check_event,
)

T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
C1, C2, C3 = "MSCU1234566", "CSQU3054383", "TGHU1234567"


def decl(
    number: str = "100000000010",
    *,
    type_code: str = "C11",
    direction: str = "in",
    plates: tuple[str, ...] = ("51C12345",),
    containers: tuple[str, ...] = (C1,),
    start: datetime = T - timedelta(days=1),
    end: datetime = T + timedelta(days=1),
) -> DeclarationFacts:
    return DeclarationFacts(number, type_code, direction, start, end, plates, containers)


def event(
    *,
    plate: str | None = "51C12345",
    plate_valid: bool = True,
    containers: tuple[tuple[str, bool], ...] = (),
    direction: str = "in",
    at: datetime = T,
    event_id: str = "ev",
) -> EventFacts:
    plates = (PlateFact(plate, plate_valid),) if plate else ()
    boxes = tuple(ContainerFact(n, ok, f"containers[{i}]") for i, (n, ok) in enumerate(containers))
    return EventFacts(event_id, direction, at, plates, boxes)


EVENT_CASES = [
    # (note, event, declarations, expected status, rule that decides)
    ("container and plate both declared", event(containers=((C1, True),)), [decl()], EventStatus.MATCHED, None),
    (
        "plate read with an S for the 5 still matches (confusable swap, distance 0.5)",
        event(plate="51C1234S", containers=((C1, True),)),
        [decl(plates=("51C12345",))],
        EventStatus.MATCHED,
        None,
    ),
    (
        "one plain edit away is within the default 1.0 threshold",
        event(plate="51C12346", containers=((C1, True),)),
        [decl()],
        EventStatus.MATCHED,
        None,
    ),
    (
        "valid plate far from the declared one",
        event(plate="29H67890", containers=((C1, True),)),
        [decl()],
        EventStatus.PLATE_MISMATCH,
        Rule.PLATE_MATCH,
    ),
    (
        "container on no declaration",
        event(containers=((C2, True),)),
        [decl()],
        EventStatus.UNDECLARED,
        Rule.CONTAINER_DECLARED,
    ),
    (
        "one of two containers undeclared",
        event(containers=((C1, True), (C2, True))),
        [decl()],
        EventStatus.UNDECLARED,
        Rule.CONTAINER_DECLARED,
    ),
    (
        "two containers on two declarations",
        event(containers=((C1, True), (C2, True))),
        [decl(), decl("100000000020", containers=(C2,))],
        EventStatus.MATCHED,
        None,
    ),
    (
        "declared for out (C12) but the pass is in",
        event(containers=((C1, True),)),
        [decl(type_code="C12", direction="out")],
        EventStatus.UNDECLARED,
        Rule.CONTAINER_DECLARED,
    ),
    (
        "declaration window already closed",
        event(containers=((C1, True),), at=T + timedelta(days=3)),
        [decl()],
        EventStatus.UNDECLARED,
        Rule.CONTAINER_DECLARED,
    ),
    (
        "declaration window not yet open",
        event(containers=((C1, True),), at=T - timedelta(days=3)),
        [decl()],
        EventStatus.UNDECLARED,
        Rule.CONTAINER_DECLARED,
    ),
    (
        "unknown declaration direction (A11) accepts either direction",
        event(containers=((C1, True),), direction="out"),
        [decl(type_code="A11", direction="unknown")],
        EventStatus.MATCHED,
        None,
    ),
    (
        "unknown pass direction accepts any declaration",
        event(containers=((C1, True),), direction="unknown"),
        [decl(type_code="C12", direction="out")],
        EventStatus.MATCHED,
        None,
    ),
    (
        "no valid read at all",
        event(plate="XX", plate_valid=False, containers=((C1[:-1] + "0", False),)),
        [decl()],
        EventStatus.UNREADABLE,
        Rule.READABLE,
    ),
    ("nothing read", event(plate=None), [decl()], EventStatus.UNREADABLE, Rule.READABLE),
    (
        "declared container but one container fails its check digit",
        event(containers=((C1, True), (C3[:-1] + "0", False))),
        [decl()],
        EventStatus.UNREADABLE,
        Rule.READABLE,
    ),
    (
        "declared container, no plate read",
        event(plate=None, containers=((C1, True),)),
        [decl()],
        EventStatus.UNREADABLE,
        Rule.READABLE,
    ),
    (
        "declared container, invalid plate far from the declared one",
        event(plate="ABCDEFG", plate_valid=False, containers=((C1, True),)),
        [decl()],
        EventStatus.UNREADABLE,
        Rule.READABLE,
    ),
    (
        "declared container, invalid plate close to the declared one counts as a match",
        event(plate="51C1234", plate_valid=False, containers=((C1, True),)),
        [decl()],
        EventStatus.MATCHED,
        None,
    ),
    (
        "declaration lists no plate: plate not checked",
        event(plate="29H67890", containers=((C1, True),)),
        [decl(plates=())],
        EventStatus.MATCHED,
        None,
    ),
    ("vehicle without container declared by plate", event(), [decl(containers=())], EventStatus.MATCHED, None),
    (
        "vehicle without container on no declaration",
        event(plate="29H67890"),
        [decl()],
        EventStatus.UNDECLARED,
        Rule.VEHICLE_DECLARED,
    ),
    (
        "vehicle declared but outside the window",
        event(at=T + timedelta(days=5)),
        [decl(containers=())],
        EventStatus.UNDECLARED,
        Rule.VEHICLE_DECLARED,
    ),
    ("no declarations at all", event(containers=((C1, True),)), [], EventStatus.UNDECLARED, Rule.CONTAINER_DECLARED),
]


@pytest.mark.parametrize(
    ("note", "facts", "declarations", "status", "rule"), EVENT_CASES, ids=[c[0] for c in EVENT_CASES]
)
def test_event_status(
    note: str, facts: EventFacts, declarations: list[DeclarationFacts], status: EventStatus, rule: Rule | None
) -> None:
    check = check_event(facts, declarations, threshold=1.0)
    assert check.status is status, note
    failed = [f for f in check.findings if not f.ok]
    if rule is None:
        assert failed == []
    else:
        assert rule in {f.rule for f in failed}
    assert all(f.reason and f.fields for f in check.findings), "every finding says why and which fields"


def test_threshold_is_configurable() -> None:
    facts = event(plate="51C12346", containers=((C1, True),))
    assert check_event(facts, [decl()], threshold=1.0).status is EventStatus.MATCHED
    assert check_event(facts, [decl()], threshold=0.5).status is EventStatus.PLATE_MISMATCH


def test_slack_widens_the_window() -> None:
    late = event(containers=((C1, True),), at=T + timedelta(days=1, minutes=20))
    assert check_event(late, [decl()], threshold=1.0).status is EventStatus.UNDECLARED
    assert check_event(late, [decl()], threshold=1.0, slack=timedelta(minutes=30)).status is EventStatus.MATCHED


def test_reasons_name_the_declaration_and_why_it_does_not_cover() -> None:
    check = check_event(event(containers=((C1, True),)), [decl(type_code="C12", direction="out")], threshold=1.0)
    (finding,) = check.findings
    assert finding.fields == ("containers[0]",)
    assert "100000000010 (C12, out)" in finding.reason and "direction out" in finding.reason


def test_matched_check_lists_the_covering_declarations() -> None:
    check = check_event(
        event(containers=((C1, True), (C2, True))), [decl(), decl("100000000020", containers=(C2,))], threshold=1.0
    )
    assert check.declarations == ("100000000010", "100000000020")


DECLARATION_CASES = [
    # (note, declaration, events, now, expected status)
    ("window open, nothing seen yet", decl(containers=(C1, C2)), [], T, DeclarationStatus.PENDING),
    (
        "window open, one of two seen",
        decl(containers=(C1, C2)),
        [event(containers=((C1, True),))],
        T,
        DeclarationStatus.PENDING,
    ),
    (
        "all containers seen across two passes",
        decl(containers=(C1, C2)),
        [event(containers=((C1, True),)), event(containers=((C2, True),), event_id="ev2")],
        T,
        DeclarationStatus.COMPLETE,
    ),
    (
        "window closed, one of two seen",
        decl(containers=(C1, C2)),
        [event(containers=((C1, True),))],
        T + timedelta(days=2),
        DeclarationStatus.PARTIAL,
    ),
    ("window closed, none seen", decl(containers=(C1, C2)), [], T + timedelta(days=2), DeclarationStatus.MISSING),
    (
        "a pass in the wrong direction does not count",
        decl(containers=(C1,)),
        [event(containers=((C1, True),), direction="out")],
        T + timedelta(days=2),
        DeclarationStatus.MISSING,
    ),
    (
        "a pass outside the window does not count",
        decl(containers=(C1,)),
        [event(containers=((C1, True),), at=T - timedelta(days=2))],
        T + timedelta(days=2),
        DeclarationStatus.MISSING,
    ),
    (
        "a container read failing the check digit does not count",
        decl(containers=(C1,)),
        [event(containers=((C1, False),))],
        T + timedelta(days=2),
        DeclarationStatus.MISSING,
    ),
    (
        "vehicle-only declaration fulfilled by a plate within the threshold",
        decl(containers=()),
        [event(plate="51C1234S")],
        T,
        DeclarationStatus.COMPLETE,
    ),
    (
        "vehicle-only declaration, window closed, vehicle never came",
        decl(containers=()),
        [event(plate="29H67890")],
        T + timedelta(days=2),
        DeclarationStatus.MISSING,
    ),
]


@pytest.mark.parametrize(
    ("note", "facts", "events", "now", "status"), DECLARATION_CASES, ids=[c[0] for c in DECLARATION_CASES]
)
def test_declaration_status(
    note: str, facts: DeclarationFacts, events: list[EventFacts], now: datetime, status: DeclarationStatus
) -> None:
    check = check_declaration(facts, events, now=now, threshold=1.0)
    assert check.status is status, note
    assert all(f.reason and f.fields and f.declaration == facts.number for f in check.findings)


def test_declaration_findings_name_the_fulfilling_event() -> None:
    check = check_declaration(decl(), [event(containers=((C1, True),), event_id="ev-7")], now=T, threshold=1.0)
    assert check.events == ("ev-7",)
    assert "ev-7" in check.findings[0].reason


def test_declaration_window_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="before"):
        decl(start=T, end=T - timedelta(seconds=1))
