"""Random but valid Vietnamese plates, for the synthetic renderer and property tests.

Every plate comes from :func:`anpr.plates_grammar` parsing its own display
text, so ``parse(p.formatted) == p`` holds by construction (and is tested).
Forms and series follow Circular 79/2024/TT-BCA as summarised in
:mod:`anpr.plates_grammar`.
"""

from __future__ import annotations

import random
import string

from anpr.plates_grammar import (
    DIPLOMATIC_SERIES,
    FOREIGN_SERIES,
    MILITARY_FIRST_LETTERS,
    NEW_LETTERS,
    UNUSED_PROVINCES,
    Plate,
    PlateKind,
    best_reading,
    scan,
)

PROVINCES = tuple(p for p in range(11, 100) if p not in UNUSED_PROVINCES)
_CAR_LETTERS = tuple(sorted(NEW_LETTERS - {"R"}))
_LETTERS = tuple(sorted(NEW_LETTERS))
_SPECIAL = ("LD", "LD", "LD", "KT", "DA", "HC", "HC", "LA", "SA", "XA", "TĐ", "MĐ")
_MILITARY_SECOND = tuple(string.ascii_uppercase)

KIND_WEIGHTS: dict[PlateKind, int] = {
    PlateKind.CAR: 45,
    PlateKind.MOTORBIKE: 15,
    PlateKind.TRAILER: 8,
    PlateKind.SPECIAL: 10,
    PlateKind.STATE: 4,
    PlateKind.MILITARY: 8,
    PlateKind.DIPLOMATIC: 3,
    PlateKind.FOREIGN: 2,
    PlateKind.LEGACY: 5,
}
"""How often each kind comes up when :func:`random_plate` is not given one."""


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _serial(rng: random.Random, five: float = 0.8) -> str:
    digits = _digits(rng, 5 if rng.random() < five else 4)
    return f"{digits[:3]}.{digits[3:]}" if len(digits) == 5 else digits


def _province(rng: random.Random) -> str:
    return f"{rng.choice(PROVINCES):02d}"


def _car_layout(rng: random.Random, series: str, two_row: float = 0.2) -> str:
    joint = " " if rng.random() < two_row else "-"
    return f"{_province(rng)}{series}{joint}{_serial(rng)}"


def _motorbike(rng: random.Random) -> str:
    if rng.random() < 0.6:
        series = rng.choice(_LETTERS) + rng.choice("123456789")
    else:
        while True:
            series = rng.choice(_LETTERS) + rng.choice(_LETTERS)
            if series not in {"MD", "TD"} | DIPLOMATIC_SERIES | FOREIGN_SERIES:
                break
    return f"{_province(rng)}-{series} {_serial(rng, five=0.7)}"


def _special(rng: random.Random) -> str:
    if rng.random() < 0.25:  # electric motorbike, two rows
        return f"{_province(rng)}-MĐ{rng.choice('123456789')} {_serial(rng, five=1.0)}"
    return _car_layout(rng, rng.choice(_SPECIAL), two_row=0.1)


def _diplomatic(rng: random.Random, series: str) -> str:
    return f"{_province(rng)}{series}-{_digits(rng, 3)}-{_digits(rng, 2)}"


def _legacy(rng: random.Random) -> str:
    shape = rng.random()
    letters = string.ascii_uppercase
    if shape < 0.5:
        series = rng.choice(letters) + rng.choice(letters)
    elif shape < 0.8:
        series = rng.choice(letters) + rng.choice(string.digits)
    else:
        series = rng.choice(letters)
    return f"{rng.randint(11, 99)} {_digits(rng, 3)}-{series}"


def _military(rng: random.Random) -> str:
    unit = rng.choice(sorted(MILITARY_FIRST_LETTERS)) + rng.choice(_MILITARY_SECOND)
    return f"{unit}-{_digits(rng, 2)}-{_digits(rng, 2)}"


def _display(rng: random.Random, kind: PlateKind) -> str:
    match kind:
        case PlateKind.CAR:
            return _car_layout(rng, rng.choice(_CAR_LETTERS))
        case PlateKind.MOTORBIKE:
            return _motorbike(rng)
        case PlateKind.TRAILER:
            return _car_layout(rng, rng.choice(("R", "R", "RM")), two_row=0.3)
        case PlateKind.SPECIAL:
            return _special(rng)
        case PlateKind.STATE:
            return _car_layout(rng, "CD", two_row=0.1)
        case PlateKind.MILITARY:
            return _military(rng)
        case PlateKind.DIPLOMATIC:
            return _diplomatic(rng, rng.choice(sorted(DIPLOMATIC_SERIES)))
        case PlateKind.FOREIGN:
            return _diplomatic(rng, "NN")
        case PlateKind.LEGACY:
            return _legacy(rng)
    raise AssertionError(f"unhandled plate kind {kind!r}")  # pragma: no cover


def random_plate(rng: random.Random, kind: PlateKind | None = None) -> Plate:
    """A random valid plate of ``kind`` (weighted by :data:`KIND_WEIGHTS` when ``None``).

    Cars are one-row (4 or 5 digits) or two-row short plates; ``STATE`` gives the
    text-identifiable blue ``CD`` series. Deterministic for a given ``rng`` state.
    """
    if kind is None:
        kinds = list(KIND_WEIGHTS)
        kind = rng.choices(kinds, weights=[KIND_WEIGHTS[k] for k in kinds])[0]
    kind = PlateKind(kind)
    display = _display(rng, kind)
    scanned = scan(display)
    plate = best_reading(scanned, None) if scanned is not None else None
    if plate is None or plate.kind is not kind or plate.formatted != display:
        raise AssertionError(f"generated {display!r} does not read back as a {kind} plate")
    return plate
