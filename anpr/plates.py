"""Vietnamese licence plates: parsing, repair, distance, colours and random plates.

A pure module (no I/O; patterns compiled at import). The grammar follows
Circular 79/2024/TT-BCA on the registration of road motor vehicles, as amended
by Circular 51/2025/TT-BCA: province codes, series letters, serial lengths and
the special, diplomatic and military forms. See :mod:`anpr.plates_grammar` for
the forms accepted and :mod:`anpr.plates_repair` for OCR repair.

>>> parse("51F12345").formatted
'51F-123.45'
>>> parse("51-F1 2345").formatted
'51-F1 2345'
>>> parse("29-B1 123.45").kind
<PlateKind.MOTORBIKE: 'motorbike'>
>>> correct("51F-I23.4S").formatted
'51F-123.45'

Non-str input raises :class:`~anpr.errors.InvalidInputError` (a programming
error); any str that is not a plate (empty, longer than 64 characters,
non-Latin, control characters) gives ``None``.
"""

from __future__ import annotations

from enum import StrEnum

from anpr.plates_grammar import (
    D_SERIES,
    DIPLOMATIC_SERIES,
    FOREIGN_SERIES,
    MAX_INPUT_CHARS,
    NEW_LETTERS,
    SPECIAL_SERIES,
    UNUSED_PROVINCES,
    Plate,
    PlateKind,
    best_reading,
    check_rows,
    normalize,
    scan,
)
from anpr.plates_random import random_plate
from anpr.plates_repair import (
    CONFUSABLE_PAIRS,
    CONFUSION_COST,
    MAX_CORRECTIONS,
    candidates,
    confusion_distance,
    correct,
)

__all__ = [
    "CONFUSABLE_PAIRS",
    "CONFUSION_COST",
    "DIPLOMATIC_SERIES",
    "D_SERIES",
    "FOREIGN_SERIES",
    "MAX_CORRECTIONS",
    "MAX_INPUT_CHARS",
    "NEW_LETTERS",
    "SPECIAL_SERIES",
    "UNUSED_PROVINCES",
    "Plate",
    "PlateColour",
    "PlateKind",
    "candidates",
    "confusion_distance",
    "correct",
    "default_colour",
    "normalize",
    "parse",
    "plausible_colours",
    "random_plate",
]


class PlateColour(StrEnum):
    """Plate ground colour (Circular 79/2024/TT-BCA): the characters are black on
    white and yellow, white on blue and red."""

    WHITE = "white"  # private and most special series
    YELLOW = "yellow"  # commercial transport (trucks, vans, taxis, trailers they pull)
    BLUE = "blue"  # state bodies; CD state security vehicles
    RED = "red"  # military


_PLAUSIBLE: dict[PlateKind, tuple[PlateColour, ...]] = {
    PlateKind.CAR: (PlateColour.WHITE, PlateColour.YELLOW, PlateColour.BLUE),
    PlateKind.TRAILER: (PlateColour.WHITE, PlateColour.YELLOW),
    PlateKind.MOTORBIKE: (PlateColour.WHITE, PlateColour.BLUE),
    PlateKind.SPECIAL: (PlateColour.WHITE,),
    PlateKind.STATE: (PlateColour.BLUE,),
    PlateKind.MILITARY: (PlateColour.RED,),
    PlateKind.DIPLOMATIC: (PlateColour.WHITE,),
    PlateKind.FOREIGN: (PlateColour.WHITE,),
    PlateKind.LEGACY: (PlateColour.WHITE,),
}


def plausible_colours(plate: Plate) -> tuple[PlateColour, ...]:
    """Colours a plate with this text may legally have, the default first.

    The text cannot tell a private car from a commercial (yellow) or state
    (blue) one; a renderer can draw from this tuple for variety.
    """
    return _PLAUSIBLE[plate.kind]


def default_colour(plate: Plate) -> PlateColour:
    """The most common colour for the plate's kind: red military, blue state, else white."""
    return plausible_colours(plate)[0]


def parse(text: str, rows: int | None = None) -> Plate | None:
    """Read ``text`` as a Vietnamese plate, or ``None`` if it is not a valid one.

    Any spacing and punctuation is accepted (``51F12345``, ``51F-123.45``,
    ``29-B1 123.45``, ``59-L2 / 149.99``, lower case, Đ as D). When the
    characters allow several forms, the separators decide: a newline, ``/`` or
    ``|`` is a row break, a space where a two-row form breaks its rows selects
    that form, and other punctuation must sit where the form prints it. Without
    such hints the one-row car reading wins (``51F12345`` -> ``51F-123.45``).
    ``rows`` (1 or 2, from the layout stage) is a hint between readings: ``rows=2``
    turns ``51F12345`` into the motorbike ``51-F1 2345``; it never rejects the
    only reading. Raises :class:`~anpr.errors.InvalidInputError` for non-str
    ``text`` or a ``rows`` other than ``None``, 1, 2.
    """
    check_rows(rows)
    scanned = scan(text)
    if scanned is None:
        return None
    return best_reading(scanned, rows)
