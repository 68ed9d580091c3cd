"""Which gate events an officer should look at: the reads the cameras could not vouch for.

The recognisers report a confidence with every plate read, and it separates right reads from wrong
ones well without being a probability: on the held-out street photos (model card, "Targets at a
glance") 80% of the reads of the labelled plates came at 0.99 or more and 93.6% of those were right,
while reads under 0.99 were right 20-57% of the time. A site that has officers confirm the reads
under a threshold checks those and trusts the rest; this module says which events those are and why.

An officer's look at such a pass is a :class:`ReviewVerdict` (stored by :mod:`db.review_service`).

Pure: it reads a :class:`~anpr.events.GateEvent` and a threshold, nothing else. The same rules run as
SQL in :mod:`db.repositories.events` (``EventQuery.review_below``) so a list can be filtered in the
database; a test holds the two to the same answer on stored events.
"""

from __future__ import annotations

from enum import StrEnum

from anpr.errors import InvalidInputError
from anpr.events import GateEvent, PlateResult

DEFAULT_REVIEW_BELOW = 0.99
"""Plate reads under this confidence go to review by default (see the module docstring)."""


class ReviewVerdict(StrEnum):
    """What an officer found when looking at a pass's reads against its evidence."""

    CONFIRMED = "confirmed"
    """The reads are right as stored."""
    CORRECTED = "corrected"
    """The truck's plate is another: the officer's reading stands in for the cameras' from then on."""
    ILLEGIBLE = "illegible"
    """The evidence does not show the plate or number well enough to tell."""


class ReviewReason(StrEnum):
    """Why an event needs an officer's look, in the order :func:`review_reasons` reports them."""

    NO_PLATE = "no_plate"
    """No plate was read at all: every vehicle at a gate carries one, so a camera missed it."""
    PLATE_INVALID = "plate_invalid"
    """A plate read breaks the plate grammar (series, province, digit count): it is not a plate as read."""
    PLATE_UNSURE = "plate_unsure"
    """A plate read came with a confidence under the threshold."""
    CONTAINER_UNVERIFIED = "container_unverified"
    """A container number failed its ISO 6346 check digit: at least one character is wrong."""


def check_threshold(review_below: float) -> float:
    """``review_below`` if it is a confidence threshold in 0..1, else :class:`~anpr.errors.InvalidInputError`."""
    if isinstance(review_below, bool) or not isinstance(review_below, int | float) or not 0.0 <= review_below <= 1.0:
        raise InvalidInputError(f"review threshold must be a confidence in 0..1, not {review_below!r}")
    return float(review_below)


def _plates(event: GateEvent) -> list[PlateResult]:
    """The truck's and the trailer's plate, those that were read."""
    return [p for p in (event.plate, event.trailer_plate) if p is not None]


def plate_trust(event: GateEvent) -> float:
    """The one number the plate rules of :func:`review_reasons` compare with the threshold: the
    lowest confidence among the pass's plates, -1 when one is invalid or there is none (below any
    threshold, so such a pass always needs a look). Stored with each pass, so the review list is a
    column comparison in the database."""
    plates = _plates(event)
    if not plates or any(not p.valid for p in plates):
        return -1.0
    return min(p.confidence for p in plates)


def review_reasons(event: GateEvent, review_below: float = DEFAULT_REVIEW_BELOW) -> tuple[ReviewReason, ...]:
    """Why ``event`` needs review at the threshold ``review_below`` (empty: it needs none).

    Both the truck's and the trailer's plate count. A threshold of 0 sends only invalid plates,
    missing plates and unverified container numbers to review; 1 sends every plate read below
    certainty as well."""
    below = check_threshold(review_below)
    plates = _plates(event)
    found: list[ReviewReason] = []
    if not plates:
        found.append(ReviewReason.NO_PLATE)
    if any(not p.valid for p in plates):
        found.append(ReviewReason.PLATE_INVALID)
    if any(p.confidence < below for p in plates):
        found.append(ReviewReason.PLATE_UNSURE)
    if any(not c.check_digit_ok for c in event.containers):
        found.append(ReviewReason.CONTAINER_UNVERIFIED)
    return tuple(found)
