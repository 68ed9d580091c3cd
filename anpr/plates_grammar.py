"""The grammar of Vietnamese licence plates: forms, readings and the ``Plate`` record.

Rules follow Circular 79/2024/TT-BCA on vehicle registration (in force
2025-01-01), as amended by Circular 51/2025/TT-BCA; the public names live in
:mod:`anpr.plates`, which re-exports them. Summary of what this module accepts
(normalised text is A-Z and 0-9, with Đ read as D):

* province code ``11``-``99``; ``13, 42, 44, 45, 46, 87, 91, 96`` are never
  issued, so current forms reject them (legacy plates keep any code);
* current series letters never use ``I, J, O, Q, W``;
* car ``51F-123.45`` / old ``29A-1234`` (series ``R`` is a trailer), one row,
  or the short two-row plate ``51F 123.45``;
* special car series ``60LD-042.05``, ``28TĐ-000.67`` (:data:`SPECIAL_SERIES`),
  ``CD`` (blue, state security use), trailers ``RM``;
* diplomatic ``80NG-123-45``, ``80QT-123-45`` and foreign ``51NN-123-45``
  (three-digit country or organisation code, two-digit serial);
* motorbike, two rows: ``29-B1 123.45``, ``29-AA 123.45``, ``60-N5 4779``,
  electric/trial ``60-MĐ5 005.92``;
* legacy motorbike, two rows: ``60 737-HR``, ``13 267-G9``, ``61 714-A``;
* military, red: ``KP-47-90`` (unit letters, two and two digits).

In ``formatted`` a single space is always the row break of a two-row plate and
one-row plates never contain a space.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import lru_cache
from itertools import product

from anpr.errors import InvalidInputError

MAX_INPUT_CHARS = 64
"""Longer inputs are not plates; :func:`parse` returns ``None`` for them."""

UNUSED_PROVINCES = frozenset({13, 42, 44, 45, 46, 87, 91, 96})
"""Province codes never issued under the current circular."""

NEW_LETTERS = frozenset(string.ascii_uppercase) - frozenset("IJOQW")
"""Letters a current series may use."""

D_SERIES = frozenset({"MĐ", "TĐ"})
"""Series printed with Đ (electric motorbikes, locally built trial vehicles); the text reads D."""

SPECIAL_SERIES = frozenset({"LD", "DA", "KT", "HC", "CD", "LA", "SA", "XA", "MK", "RM", "MĐ", "TĐ"})
"""Two-letter car series: foreign-invested firms (LD), projects (DA), military firms (KT),
restricted range (HC), state security (CD), trailers (RM), and others seen on real plates."""

DIPLOMATIC_SERIES = frozenset({"NG", "QT"})
FOREIGN_SERIES = frozenset({"NN"})
MILITARY_FIRST_LETTERS = frozenset("ABCDHKPQTV")
"""First letters of military unit codes (corps, commands, academies, regions, services ...)."""


class PlateKind(StrEnum):
    """What the text of a plate tells about the vehicle.

    Colour is not in the text: a blue state car and a yellow commercial truck
    with series ``A`` both read as :attr:`CAR`.
    """

    CAR = "car"
    MOTORBIKE = "motorbike"
    TRAILER = "trailer"
    SPECIAL = "special"
    STATE = "state"
    MILITARY = "military"
    DIPLOMATIC = "diplomatic"
    FOREIGN = "foreign"
    LEGACY = "legacy"


_TEXT_RE = re.compile(r"[A-Z0-9]{4,12}")


@dataclass(frozen=True, slots=True)
class Plate:
    """One valid plate reading.

    ``text`` is normalised (A-Z, 0-9, Đ as D); ``formatted`` is the display form,
    rows split by one space; ``series`` is as printed (``B1``, ``LD``, ``MĐ5``);
    ``serial`` is the digits after the series; ``province`` is ``None`` for
    military plates; ``rows`` is 1 or 2.
    """

    text: str
    formatted: str
    province: int | None
    series: str
    serial: str
    kind: PlateKind
    rows: int

    def __post_init__(self) -> None:
        if not _TEXT_RE.fullmatch(self.text):
            raise InvalidInputError(f"plate text must be 4-12 characters A-Z0-9, got {self.text!r}")
        if normalize(self.formatted) != self.text:
            raise InvalidInputError(f"formatted {self.formatted!r} does not spell {self.text!r}")
        if self.rows not in (1, 2) or (" " in self.formatted) != (self.rows == 2):
            raise InvalidInputError(f"rows={self.rows} does not match {self.formatted!r}")
        if self.province is not None and not 11 <= self.province <= 99:
            raise InvalidInputError(f"province code out of range: {self.province}")
        if not isinstance(self.kind, PlateKind):
            raise InvalidInputError(f"kind must be a PlateKind, got {self.kind!r}")
        if not self.serial.isdigit() or normalize(self.series) not in self.text:
            raise InvalidInputError(f"series {self.series!r} / serial {self.serial!r} do not fit {self.text!r}")

    @property
    def lines(self) -> tuple[str, ...]:
        """The printed rows: ``('29-B1', '123.45')`` or ``('51F-123.45',)``."""
        return tuple(self.formatted.split(" "))


def normalize(text: str) -> str:
    """``text`` as A-Z and 0-9 only: upper case, Đ read as D, everything else dropped."""
    if not isinstance(text, str):
        raise InvalidInputError(f"plate text must be str, got {type(text).__name__}")
    upper = text.upper().translate(_D_MAP)
    return "".join(c for c in upper if c in _ALNUM)


# --- scanning raw text ----------------------------------------------------------------------------


class Sep(IntEnum):
    """Strength of a separator seen between two characters of the input."""

    SOFT = 1  # punctuation: - . _ , ...
    SPACE = 2  # space or tab: a row break in two-row display text
    ROW = 3  # newline, '/', '|', '\\': an explicit row break


_ALNUM = frozenset(string.ascii_uppercase + string.digits)
_D_MAP = str.maketrans({"Đ": "D", "đ": "D", "Ð": "D", "ð": "D"})
_ROW_CHARS = frozenset("\n\r/|\\")
_SPACE_CHARS = frozenset(" \t")
_SOFT_CHARS = frozenset(string.punctuation + "·–—") - _ROW_CHARS


@dataclass(frozen=True, slots=True)
class Scan:
    """Normalised characters of an input and the separators seen between them.

    ``seps`` maps a position in ``norm`` (a separator just before ``norm[i]``)
    to the strongest separator seen there; leading and trailing ones are dropped.
    """

    norm: str
    seps: dict[int, Sep]


def scan(text: str) -> Scan | None:
    """Split raw OCR text into characters and separators; ``None`` for text that is not a plate."""
    if not isinstance(text, str):
        raise InvalidInputError(f"plate text must be str, got {type(text).__name__}")
    if len(text) > MAX_INPUT_CHARS:
        return None
    chars: list[str] = []
    seps: dict[int, Sep] = {}
    for raw in text.upper().translate(_D_MAP):
        if raw in _ALNUM:
            chars.append(raw)
            continue
        if raw in _ROW_CHARS:
            sep = Sep.ROW
        elif raw in _SPACE_CHARS:
            sep = Sep.SPACE
        elif raw in _SOFT_CHARS:
            sep = Sep.SOFT
        else:
            return None  # non-Latin letters, control characters, symbols
        if chars:
            seps[len(chars)] = max(sep, seps.get(len(chars), sep))
    norm = "".join(chars)
    seps.pop(len(norm), None)
    return Scan(norm, seps)


# --- forms ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """One way to read a normalised text as a plate, with the layout that form prints."""

    plate: Plate
    preference: int  # lower wins a tie: one-row car forms first (the gate case)
    breaks: frozenset[int]
    row_break: int | None


def _display_series(series: str) -> str:
    """``MD``/``TD`` (and ``MD5``) as printed, with Đ."""
    head = series[:2]
    if head in ("MD", "TD"):
        return head[0] + "Đ" + series[2:]
    return series


def _serial(digits: str) -> str:
    """``12345`` -> ``123.45``; four digits stay as they are."""
    return f"{digits[:3]}.{digits[3:]}" if len(digits) == 5 else digits


def _reading(formatted: str, province: int | None, series: str, serial: str, kind: PlateKind, pref: int) -> Reading:
    breaks: set[int] = set()
    row_break: int | None = None
    count = 0
    for ch in formatted:
        if ch.isalnum():
            count += 1
        else:
            breaks.add(count)
            if ch == " ":
                row_break = count
    plate = Plate(
        text=normalize(formatted),
        formatted=formatted,
        province=province,
        series=series,
        serial=serial,
        kind=kind,
        rows=2 if row_break is not None else 1,
    )
    return Reading(plate, pref, frozenset(breaks), row_break)


def _new_province(code: str) -> int | None:
    value = int(code)
    return value if 11 <= value <= 99 and value not in UNUSED_PROVINCES else None


_CAR_RE = re.compile(r"(\d\d)([A-Z]{1,2})(\d{4,5})")
_DIPLOMATIC_RE = re.compile(r"(\d\d)([A-Z]{2})(\d{3})(\d{2})")
_MOTORBIKE_RES = tuple(
    re.compile(rf"(\d\d)({series})(\d{{4,5}})") for series in (r"[A-Z][1-9]", r"[A-Z]{2}", r"[MT]D[1-9]")
)
_LEGACY_RE = re.compile(r"(\d\d)(\d{3})([A-Z]{1,2}|[A-Z]\d)")
_MILITARY_RE = re.compile(r"([A-Z]{2})(\d\d)(\d\d)")


def _car_kind(series: str) -> PlateKind | None:
    if len(series) == 1:
        if series not in NEW_LETTERS:
            return None
        return PlateKind.TRAILER if series == "R" else PlateKind.CAR
    if series not in SPECIAL_SERIES:
        return None
    if series == "RM":
        return PlateKind.TRAILER
    return PlateKind.STATE if series == "CD" else PlateKind.SPECIAL


def _car(norm: str) -> Iterator[Reading]:
    m = _CAR_RE.fullmatch(norm)
    if m is None or (province := _new_province(m[1])) is None:
        return
    series = _display_series(m[2])
    kind = _car_kind(series)
    if kind is None:
        return
    serial = _serial(m[3])
    yield _reading(f"{m[1]}{series}-{serial}", province, series, m[3], kind, 0)
    yield _reading(f"{m[1]}{series} {serial}", province, series, m[3], kind, 2)


def _diplomatic(norm: str) -> Iterator[Reading]:
    m = _DIPLOMATIC_RE.fullmatch(norm)
    if m is None or (province := _new_province(m[1])) is None:
        return
    if m[2] in DIPLOMATIC_SERIES:
        kind = PlateKind.DIPLOMATIC
    elif m[2] in FOREIGN_SERIES:
        kind = PlateKind.FOREIGN
    else:
        return
    yield _reading(f"{m[1]}{m[2]}-{m[3]}-{m[4]}", province, m[2], m[3] + m[4], kind, 0)


def _motorbike_kind(series: str) -> PlateKind | None:
    if series[:2] in D_SERIES:
        return PlateKind.SPECIAL
    if series in DIPLOMATIC_SERIES or series in FOREIGN_SERIES:
        return None  # reserved for diplomatic and foreign plates
    if not all(c in NEW_LETTERS for c in series if c.isalpha()):
        return None
    return PlateKind.MOTORBIKE


def _motorbike(norm: str) -> Iterator[Reading]:
    # Tried one by one: 60MD51234 reads as MĐ 512.34 and as MĐ5 1234.
    for pattern in _MOTORBIKE_RES:
        m = pattern.fullmatch(norm)
        if m is None or (province := _new_province(m[1])) is None:
            continue
        series = _display_series(m[2])
        kind = _motorbike_kind(series)
        if kind is not None:
            yield _reading(f"{m[1]}-{series} {_serial(m[3])}", province, series, m[3], kind, 1)


def _legacy(norm: str) -> Iterator[Reading]:
    m = _LEGACY_RE.fullmatch(norm)
    if m is None or not 11 <= int(m[1]) <= 99:
        return
    yield _reading(f"{m[1]} {m[2]}-{m[3]}", int(m[1]), m[3], m[2], PlateKind.LEGACY, 3)


def _military(norm: str) -> Iterator[Reading]:
    m = _MILITARY_RE.fullmatch(norm)
    if m is None or m[1][0] not in MILITARY_FIRST_LETTERS:
        return
    yield _reading(f"{m[1]}-{m[2]}-{m[3]}", None, m[1], m[2] + m[3], PlateKind.MILITARY, 4)


_FORMS: tuple[Callable[[str], Iterator[Reading]], ...] = (_car, _diplomatic, _motorbike, _legacy, _military)
_ANY_FORM_RE = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (_CAR_RE, _DIPLOMATIC_RE, *_MOTORBIKE_RES, _LEGACY_RE, _MILITARY_RE))
)
"""The union of every form's pattern: one match rules out most texts before any form is tried
(the plate repair asks about thousands of look-alike variants per photo, few of them plate-shaped)."""

_SHAPE_RE = re.compile(r"DD(?:L{1,2}|LD|LLD)D{4,5}|DDDDD(?:L{1,2}|LD)|LLDDDD")
"""Every form above as digits (``D``) and letters (``L``): car and diplomatic, motorbike (series
``A1``, ``AA`` or ``MĐ5``), legacy, military."""


@lru_cache(maxsize=16)
def shapes(length: int) -> tuple[str, ...]:
    """Every digit/letter shape (``D``/``L`` per character) a plate of ``length`` characters can
    have. A text whose shape is not among them has no reading, whatever its characters."""
    if not 0 < length <= 16:
        return ()
    return tuple(shape for shape in ("".join(cs) for cs in product("DL", repeat=length)) if _SHAPE_RE.fullmatch(shape))


def shape_of(norm: str) -> str:
    """``norm`` (A-Z 0-9) as digits ``D`` and letters ``L``."""
    return "".join("D" if c.isdigit() else "L" for c in norm)


def readings(norm: str) -> list[Reading]:
    """Every valid reading of a normalised text (usually zero, one, or a car/motorbike pair)."""
    if _ANY_FORM_RE.fullmatch(norm) is None:
        return []
    return [r for form in _FORMS for r in form(norm)]


# --- choosing between readings ---------------------------------------------------------------------

CONFLICT = 10  # a separator where the reading has none, or a rows hint it contradicts
SPACE_IN_ONE_ROW = 5  # a space where a one-row reading prints '-' (display text uses it as row break)
NO_ROW_MARK = 5  # a two-row reading with nothing at its row break and no rows=2 hint
MISSING = 1  # a separator the reading prints but the input lacks (OCR drops punctuation)


def layout_cost(reading: Reading, seps: dict[int, Sep], rows: int | None) -> int:
    """How badly the input's separators and the rows hint fit a reading; 0 is a perfect fit."""
    cost = 0
    for pos, sep in seps.items():
        if sep is Sep.ROW:
            cost += 0 if pos == reading.row_break else CONFLICT
        elif pos not in reading.breaks:
            cost += CONFLICT
        elif sep is Sep.SPACE and reading.row_break is None:
            cost += SPACE_IN_ONE_ROW
    cost += MISSING * len(reading.breaks - seps.keys())
    if reading.row_break is not None and rows != 2 and seps.get(reading.row_break, 0) < Sep.SPACE:
        cost += NO_ROW_MARK
    if rows is not None and rows != reading.plate.rows:
        cost += CONFLICT
    return cost


def check_rows(rows: int | None) -> None:
    """Reject a rows hint other than ``None``, 1 or 2."""
    if rows is not None and (isinstance(rows, bool) or rows not in (1, 2)):
        raise InvalidInputError(f"rows must be None, 1 or 2, got {rows!r}")


def best_reading(scanned: Scan, rows: int | None) -> Plate | None:
    """The reading that best fits the separators and rows hint, or ``None`` if none is valid."""
    options = readings(scanned.norm)
    if not options:
        return None
    best = min(options, key=lambda r: (layout_cost(r, scanned.seps, rows), r.preference, r.plate.formatted))
    return best.plate
