"""Declaration cross-check: pure functions over plain dataclasses (no session, no I/O).

A gate event is checked against the customs declarations that could cover it,
and a declaration against the events that could fulfil it. The service in
:mod:`db.services` loads the candidates and stores the results; everything
here is deterministic and testable on its own.

Event statuses (precedence top to bottom):

* ``undeclared`` - a check-digit-valid container, or a container-less vehicle,
  that no open declaration in the pass's direction covers;
* ``plate_mismatch`` - the containers are declared but the (grammar-valid) plate
  is further than the threshold from every plate their declaration lists;
* ``unreadable`` - no valid read at all, or a read the check needs is missing
  or invalid (a container failing ISO 6346, no plate, a plate that is neither
  valid nor close to the declared one): the pass cannot be fully checked;
* ``matched`` - every container and the plate are covered.

Declaration statuses: ``complete`` (every declared container, or the declared
vehicle when no containers are listed, passed in the right direction inside
the window), ``pending`` (window still open), ``partial`` / ``missing`` (window
closed with some / all of them unseen).

A declaration is open for an event when the event time is inside
``[valid_from - slack, valid_to + slack]`` and the directions agree (a
declaration or event with an unknown direction agrees with both). Plates match
within ``threshold`` of :func:`anpr.plates.confusion_distance` (confusable
substitutions such as ``0``/``D`` cost 0.5); containers match exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from anpr.plates import confusion_distance


class EventStatus(StrEnum):
    UNCHECKED = "unchecked"
    MATCHED = "matched"
    PLATE_MISMATCH = "plate_mismatch"
    UNDECLARED = "undeclared"
    UNREADABLE = "unreadable"


class DeclarationStatus(StrEnum):
    PENDING = "pending"
    COMPLETE = "complete"
    PARTIAL = "partial"
    MISSING = "missing"


class Rule(StrEnum):
    """Which check produced a finding."""

    READABLE = "readable"
    CONTAINER_DECLARED = "container_declared"
    VEHICLE_DECLARED = "vehicle_declared"
    PLATE_MATCH = "plate_match"
    CONTAINER_SEEN = "container_seen"
    VEHICLE_SEEN = "vehicle_seen"


@dataclass(frozen=True, slots=True)
class PlateFact:
    text: str
    valid: bool
    field: str = "plate"


@dataclass(frozen=True, slots=True)
class ContainerFact:
    number: str
    check_digit_ok: bool
    field: str = "containers[0]"


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What the cross-check needs to know about a pass. ``direction`` is in, out or unknown."""

    event_id: str
    direction: str
    at: datetime
    plates: tuple[PlateFact, ...] = ()
    containers: tuple[ContainerFact, ...] = ()

    @property
    def valid_containers(self) -> tuple[str, ...]:
        return tuple(c.number for c in self.containers if c.check_digit_ok)


@dataclass(frozen=True, slots=True)
class DeclarationFacts:
    """A current declaration version: 12-digit ``number``, normalised plates, container numbers."""

    number: str
    type_code: str
    direction: str
    valid_from: datetime
    valid_to: datetime
    plates: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.valid_to < self.valid_from:
            raise ValueError(f"declaration {self.number}: valid_to is before valid_from")


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason behind a status: the rule, whether it held, the fields involved and why."""

    rule: Rule
    ok: bool
    fields: tuple[str, ...]
    reason: str
    declaration: str | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class EventCheck:
    status: EventStatus
    findings: tuple[Finding, ...]

    @property
    def declarations(self) -> tuple[str, ...]:
        """Numbers of the declarations that cover this event, in first-seen order."""
        found = [f.declaration for f in self.findings if f.ok and f.declaration]
        return tuple(dict.fromkeys(n for n in found if n is not None))


@dataclass(frozen=True, slots=True)
class DeclarationCheck:
    status: DeclarationStatus
    findings: tuple[Finding, ...]

    @property
    def events(self) -> tuple[str, ...]:
        """Ids of the events that fulfilled part of the declaration."""
        return tuple(dict.fromkeys(f.event_id for f in self.findings if f.ok and f.event_id))


def _label(d: DeclarationFacts) -> str:
    return f"{d.number} ({d.type_code}, {d.direction})"


def _closed_reason(d: DeclarationFacts, at: datetime, direction: str, slack: timedelta) -> str | None:
    """Why ``d`` does not cover a pass at ``at`` in ``direction``; ``None`` when it does."""
    if at < d.valid_from - slack:
        return f"{_label(d)} is valid only from {d.valid_from.isoformat()}"
    if at > d.valid_to + slack:
        return f"{_label(d)} expired at {d.valid_to.isoformat()}"
    if "unknown" not in (d.direction, direction) and d.direction != direction:
        return f"{_label(d)} is for direction {d.direction}, the pass was {direction}"
    return None


def plate_distance(plates: Iterable[str], declared: Iterable[str]) -> tuple[float, str, str]:
    """Smallest confusion distance between any read plate and any declared plate, with the pair."""
    best = (float("inf"), "", "")
    for read in plates:
        for want in declared:
            d = confusion_distance(read, want)
            if d < best[0]:
                best = (d, read, want)
    return best


def _container_findings(
    event: EventFacts, declarations: Sequence[DeclarationFacts], slack: timedelta
) -> tuple[list[Finding], list[DeclarationFacts]]:
    findings: list[Finding] = []
    covering: list[DeclarationFacts] = []
    for c in event.containers:
        if not c.check_digit_ok:
            findings.append(
                Finding(Rule.READABLE, False, (c.field,), f"container read {c.number} fails the ISO 6346 check digit")
            )
            continue
        listing = [d for d in declarations if c.number in d.containers]
        open_ = [d for d in listing if _closed_reason(d, event.at, event.direction, slack) is None]
        if open_:
            covering.extend(d for d in open_ if d not in covering)
            names = ", ".join(_label(d) for d in open_)
            findings.append(
                Finding(
                    Rule.CONTAINER_DECLARED,
                    True,
                    (c.field,),
                    f"container {c.number} declared on {names}",
                    declaration=open_[0].number,
                )
            )
            continue
        why = "; ".join(r for d in listing if (r := _closed_reason(d, event.at, event.direction, slack)))
        reason = f"container {c.number} is on no open declaration" + (f": {why}" if why else "")
        findings.append(Finding(Rule.CONTAINER_DECLARED, False, (c.field,), reason))
    return findings, covering


def _plate_finding(event: EventFacts, d: DeclarationFacts, threshold: float) -> Finding:
    """How the pass's plate compares with the plates declaration ``d`` lists."""
    texts = [p.text for p in event.plates]
    fields = tuple(p.field for p in event.plates) or ("plate",)
    n = d.number
    if not d.plates:
        return Finding(Rule.PLATE_MATCH, True, fields, f"{n} declares no plate; plate not checked", declaration=n)
    if not texts:
        return Finding(Rule.READABLE, False, fields, f"no plate read to compare with {n}", declaration=n)
    dist, read, want = plate_distance(texts, d.plates)
    if dist <= threshold:
        reason = f"plate {read} matches {want} declared on {n} (distance {dist:g})"
        return Finding(Rule.PLATE_MATCH, True, fields, reason, declaration=n)
    if any(p.valid for p in event.plates):
        reason = f"plate {read} is {dist:g} from {want} declared on {n} (threshold {threshold:g})"
        return Finding(Rule.PLATE_MATCH, False, fields, reason, declaration=n)
    reason = f"plate read {read} is not a valid plate and is {dist:g} from {want} declared on {n}"
    return Finding(Rule.READABLE, False, fields, reason, declaration=n)


def _vehicle_findings(
    event: EventFacts, declarations: Sequence[DeclarationFacts], threshold: float, slack: timedelta
) -> list[Finding]:
    """A pass with no valid container: some open declaration must list its plate."""
    plates = [p for p in event.plates if p.valid]
    fields = tuple(p.field for p in plates)
    if not plates:
        return [Finding(Rule.READABLE, False, ("plate",), "no valid plate read and no valid container to check")]
    texts = [p.text for p in plates]
    reasons: list[str] = []
    for d in declarations:
        dist, read, want = plate_distance(texts, d.plates)
        if dist > threshold:
            continue
        why = _closed_reason(d, event.at, event.direction, slack)
        if why is None:
            return [
                Finding(
                    Rule.VEHICLE_DECLARED,
                    True,
                    fields,
                    f"vehicle {read} declared on {_label(d)} as {want} (distance {dist:g})",
                    declaration=d.number,
                )
            ]
        reasons.append(why)
    suffix = f": {'; '.join(reasons)}" if reasons else ""
    return [
        Finding(
            Rule.VEHICLE_DECLARED,
            False,
            fields,
            f"vehicle {' / '.join(texts)} with no container is on no open declaration{suffix}",
        )
    ]


def check_event(
    event: EventFacts,
    declarations: Sequence[DeclarationFacts],
    *,
    threshold: float,
    slack: timedelta = timedelta(0),
) -> EventCheck:
    """Status and findings of ``event`` against the candidate ``declarations`` (any may be closed)."""
    if not any(p.valid for p in event.plates) and not event.valid_containers:
        fields = tuple(p.field for p in event.plates) + tuple(c.field for c in event.containers)
        return EventCheck(
            EventStatus.UNREADABLE,
            (
                Finding(
                    Rule.READABLE,
                    False,
                    fields or ("plate", "containers"),
                    "no valid plate and no check-digit-valid container was read",
                ),
            ),
        )
    findings, covering = _container_findings(event, declarations, slack)
    if event.valid_containers:
        findings += [_plate_finding(event, d, threshold) for d in covering]
    else:
        findings += _vehicle_findings(event, declarations, threshold, slack)
    return EventCheck(_event_status(findings), tuple(findings))


def _event_status(findings: Sequence[Finding]) -> EventStatus:
    failed = {f.rule for f in findings if not f.ok}
    if failed & {Rule.CONTAINER_DECLARED, Rule.VEHICLE_DECLARED}:
        return EventStatus.UNDECLARED
    if Rule.PLATE_MATCH in failed:
        return EventStatus.PLATE_MISMATCH
    if Rule.READABLE in failed:
        return EventStatus.UNREADABLE
    return EventStatus.MATCHED


def check_declaration(
    decl: DeclarationFacts,
    events: Sequence[EventFacts],
    *,
    now: datetime,
    threshold: float,
    slack: timedelta = timedelta(0),
) -> DeclarationCheck:
    """Status and findings of ``decl`` given candidate ``events`` (filtered here by window and direction)."""
    passes = sorted((e for e in events if _closed_reason(decl, e.at, e.direction, slack) is None), key=lambda e: e.at)
    closed = now > decl.valid_to + slack
    findings: list[Finding] = []
    if decl.containers:
        for i, number in enumerate(decl.containers):
            hit = next((e for e in passes if number in e.valid_containers), None)
            findings.append(_seen(Rule.CONTAINER_SEEN, f"containers[{i}]", f"container {number}", hit, decl, closed))
    else:
        hit = next(
            (e for e in passes if plate_distance((p.text for p in e.plates if p.valid), decl.plates)[0] <= threshold),
            None,
        )
        label = f"vehicle {' / '.join(decl.plates)}"
        findings.append(_seen(Rule.VEHICLE_SEEN, "plates", label, hit, decl, closed))
    seen = sum(f.ok for f in findings)
    if seen == len(findings):
        status = DeclarationStatus.COMPLETE
    elif not closed:
        status = DeclarationStatus.PENDING
    else:
        status = DeclarationStatus.PARTIAL if seen else DeclarationStatus.MISSING
    return DeclarationCheck(status, tuple(findings))


def _seen(rule: Rule, field: str, label: str, hit: EventFacts | None, decl: DeclarationFacts, closed: bool) -> Finding:
    if hit is not None:
        reason = f"{label} passed the gate ({hit.direction}) in event {hit.event_id} at {hit.at.isoformat()}"
        return Finding(rule, True, (field,), reason, declaration=decl.number, event_id=hit.event_id)
    when = f"before the window closed at {decl.valid_to.isoformat()}" if closed else "yet"
    return Finding(rule, False, (field,), f"{label} not seen {when}", declaration=decl.number)
