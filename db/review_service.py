"""Officers' reviews of passes: confirm the reads, correct the truck's plate, or mark the evidence illegible.

The review list (:mod:`anpr.review`, ``GET /events?needs_review=true``) holds the passes whose reads
the cameras cannot vouch for. An officer looks at the evidence and records what they found; the
stored reads never change, each look is a new ``event_reviews`` row and the latest one counts:

* a reviewed pass leaves the review list;
* a correction stands in for the cameras' truck plate, or their container numbers, or both, in the
  cross-check, which runs again at once (the pass's status and findings follow the officer's
  reading; webhooks fire on a change as for any check), and the pass is found by the corrected
  plate in exact and fuzzy searches and by the corrected numbers in container searches;
* a later ``confirmed`` or ``illegible`` look puts the cameras' reads back;
* subscribers of the ``reviewed`` webhook hear of every look, with the pass's status after it (a
  discrepancy an officer resolved is otherwise silent: the status webhooks fire only into one).

The review and the new check are committed together, or neither is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from anpr import containers as iso6346
from anpr.errors import InvalidInputError, NotFoundError
from anpr.plates import parse
from anpr.review import ReviewVerdict
from db import checks
from db.config import DbSettings, get_db_settings
from db.fuzzy_index import register as register_plates
from db.models import (
    CrosscheckResultRow,
    DeclarationRow,
    EventReviewRow,
    GateEventRow,
    ReviewContainerRow,
    utcnow,
)
from db.plate_keys import fold
from db.repositories.admin import enqueue_deliveries
from db.repositories.events import normalize_container, normalize_plate
from db.views import ReviewView, review_view

MAX_NOTE = 2000
MAX_REVIEWER = 160
"""An API key's actor, ``key:<id>:<name>`` with a name of up to 128 characters."""
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""Control characters other than tab and newline (PostgreSQL refuses NUL in text)."""


def record_review(
    session: Session,
    event_id: str,
    verdict: str,
    *,
    reviewer: str,
    plate: str | None = None,
    containers: Sequence[str] | None = None,
    note: str = "",
    settings: DbSettings | None = None,
    now: datetime | None = None,
) -> ReviewView:
    """Record an officer's look at the pass ``event_id``, cross-check it again and commit both.

    ``plate`` (any spelling, as :func:`~db.repositories.events.normalize_plate` takes it) and
    ``containers`` (the pass's numbers in order, at most two, 4 letters and 7 digits each; a number
    failing its check digit is kept as the officer read it, marked so) are what a correction
    changes: at least one is required for ``corrected`` and neither is allowed otherwise.

    Raises :class:`~anpr.errors.InvalidInputError` for a bad verdict, plate, container number, note
    or reviewer and :class:`~anpr.errors.NotFoundError` for an unknown pass; nothing is stored then."""
    try:
        found = ReviewVerdict(verdict)
    except ValueError:
        raise InvalidInputError(f"verdict must be one of {[v.value for v in ReviewVerdict]}, not {verdict!r}") from None
    if found is ReviewVerdict.CORRECTED and not plate and not containers:
        raise InvalidInputError("a correction needs the plate or the container numbers as the officer reads them")
    if found is not ReviewVerdict.CORRECTED and (plate or containers):
        raise InvalidInputError(f"only a correction carries a plate or container numbers (verdict {found.value!r})")
    numbers = _numbers(containers or ())
    if not isinstance(note, str) or len(note) > MAX_NOTE or _CONTROL.search(note):
        raise InvalidInputError(f"note must be text of at most {MAX_NOTE} characters, without control characters")
    if not isinstance(reviewer, str) or not reviewer.strip() or len(reviewer) > MAX_REVIEWER:
        raise InvalidInputError(f"reviewer must be a name of 1-{MAX_REVIEWER} characters")
    text = normalize_plate(plate) if plate else None
    parsed = parse(text) if text else None
    if parsed is not None:
        text = parsed.text
    folded = fold(text) if text else None
    # Locked until the commit: two officers' looks at one pass are checked one after the other, so
    # the pass's status follows the look that counts (the later one).
    row = session.scalar(select(GateEventRow).where(GateEventRow.event_id == event_id).with_for_update())
    if row is None:
        raise NotFoundError(f"no event {event_id!r}")
    now = now or utcnow()
    review = EventReviewRow(
        event_pk=row.id,
        reviewed_at=now,
        reviewer=reviewer.strip(),
        verdict=found.value,
        plate_text=text,
        plate_folded=folded,
        plate_formatted=(parsed.formatted if parsed else text) if text else None,
        plate_valid=parsed is not None if text else None,
        seen_at=row.first_seen,
        note=note.strip(),
    )
    review.containers = [
        ReviewContainerRow(
            event_pk=row.id, position=i, number=n, check_digit_ok=iso6346.parse(n) is not None, seen_at=row.first_seen
        )
        for i, n in enumerate(numbers)
    ]
    session.add(review)
    row.reviewed_at = now  # off the review list (the list reads this column)
    session.flush()
    if folded:
        register_plates(session.connection(), [folded])
    settings = settings or get_db_settings()
    named: set[str] = set(
        session.scalars(
            select(CrosscheckResultRow.declaration_number).where(
                CrosscheckResultRow.event_pk == row.id, CrosscheckResultRow.declaration_number.is_not(None)
            )
        )
    )
    check = checks.recheck_event(session, row.id, settings, now)
    # The declarations the pass was or now is checked against are decided on new evidence: check
    # them again, closed windows included (a correction can complete a declaration called missing).
    numbers = sorted({n for n in named if n} | set(check.declarations))
    if numbers:
        current = select(DeclarationRow.id).where(DeclarationRow.number.in_(numbers), DeclarationRow.is_current)
        for declaration_id in list(session.scalars(current.order_by(DeclarationRow.id))):
            checks.recheck_declaration(session, declaration_id, settings, now)
    view = review_view(review, event_id)
    payload = {
        "kind": "event", "ref": event_id, "verdict": view.verdict, "plate": view.plate,
        "containers": [n for n, _ in view.containers], "reviewer": view.reviewer, "note": view.note,
        "status": check.status.value, "at": now.isoformat(),
    }  # fmt: skip
    enqueue_deliveries(session, "reviewed", payload, now)
    session.commit()
    return view


def _numbers(containers: Sequence[str]) -> list[str]:
    """``containers`` normalised (:func:`~db.repositories.events.normalize_container`): at most two, no repeats."""
    if isinstance(containers, str) or len(containers) > 2:
        raise InvalidInputError("containers must be a list of at most two container numbers")
    numbers = [normalize_container(c) for c in containers]
    if len(set(numbers)) != len(numbers):
        raise InvalidInputError(f"a container number is listed twice: {numbers}")
    return numbers
