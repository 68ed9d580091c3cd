"""ISO 6346:2022 container identification: numbers, check digits, OCR repair, size/type codes.

A pure module (no I/O; patterns compiled at import). A container number is
an owner code (3 letters), an equipment category (``U`` freight container,
``J`` detachable freight container-related equipment, ``Z`` trailer or
chassis), a 6-digit serial and a check digit, printed ``MSCU 123456 6``. The
check digit: letter values skip multiples of 11, position weights ``2**i``, sum
mod 11 mod 10 (tested against python-stdnum's :mod:`stdnum.iso6346`; computed
here from a table because repair checks thousands of candidates per gate frame).

OCR repair works by position class: positions 1-4 must be letters and 5-11
digits, so a character of the wrong class is swapped for its look-alike
(``0`` -> ``O``, ``B`` -> ``8`` ...), and common same-class confusions
(``8``/``6``, ``U``/``V`` ...) are tried too; the check digit then picks the
survivors. Size/type codes (``22G1``, ``45R1``, ``L5G1`` ...) are decoded by
:func:`parse_size_type` from the code tables of ISO 6346:2022 (length,
height/width, type group and detail).

Non-str input raises :class:`~anpr.errors.InvalidInputError`; any str that is
not a container number (empty, longer than 64 characters, non-Latin, control
characters) gives ``None`` or an empty list.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations, product

from anpr.errors import InvalidInputError

__all__ = [
    "CATEGORIES",
    "KNOWN_OWNERS",
    "MAX_SUBSTITUTIONS",
    "ContainerNumber",
    "SizeType",
    "TypeGroup",
    "candidates",
    "check_digit",
    "correct",
    "could_be_number",
    "normalize",
    "numbers_within",
    "parse",
    "parse_size_type",
    "prefer_known_owner",
    "random_container",
    "random_size_type",
    "silent_alternatives",
]

MAX_INPUT_CHARS = 64
MAX_SUBSTITUTIONS = 2
"""The most swaps :func:`candidates` and :func:`correct` make."""

CATEGORIES = frozenset("UJZ")
"""Equipment category identifiers of ISO 6346:2022."""

_NUMBER_RE = re.compile(r"[A-Z]{3}[UJZ][0-9]{7}")
_PREFIX_RE = re.compile(r"[A-Z]{4}[0-9]{6}")
_OWNER_SERIAL_RE = re.compile(r"[A-Z]{3}[UJZ][0-9]{6}")
_CUT_OWNER_RE = re.compile(r"[A-Z]{0,2}[UJZ][0-9]{7}")
_SEPARATORS = frozenset(" \t\n\r-./|_,:")
_ALNUM = frozenset(string.ascii_uppercase + string.digits)


def _swaps(spec: str, weight: int) -> dict[str, tuple[tuple[str, int], ...]]:
    """``"0:OD 1:I"`` -> ``{"0": (("O", w), ("D", w)), "1": (("I", w),)}``; a ``+`` after a
    replacement makes it 2 less likely (weight + 2)."""
    table: dict[str, tuple[tuple[str, int], ...]] = {}
    for item in spec.split():
        source, targets = item.split(":")
        options = re.findall(r"(\w)(\+?)", targets)
        table[source] = tuple((t, weight + 2 * len(plus)) for t, plus in options)
    return table


# Class-crossing swaps (weight 10-12): the position needs the other class.
_TO_LETTER = _swaps("0:ODQ+U+ 1:IL+J+ 2:Z 4:A 5:S 6:GS+ 7:T+ 8:B", 10)
_TO_DIGIT = _swaps("O:0 D:0 Q:0 U:0+ I:1 L:1 J:1+ T:7+ Z:2 A:4 S:5 G:6 B:8", 10)
# Same-class confusions (weight 15): only the check digit can expose them.
_SAME_LETTER = _swaps("O:DQ D:O Q:O U:V V:U I:JL J:I L:I M:N N:M E:F F:E C:G G:C", 15)
_SAME_DIGIT = _swaps("0:8 1:7 3:8 5:6 6:58 7:1 8:630", 15)


def check_digit(prefix10: str) -> int:
    """The ISO 6346 check digit of owner code, category and serial (``MSCU123456`` -> 6)."""
    if not isinstance(prefix10, str):
        raise InvalidInputError(f"container prefix must be str, got {type(prefix10).__name__}")
    prefix = prefix10.upper()
    if not _PREFIX_RE.fullmatch(prefix):
        raise InvalidInputError(f"container prefix must be 4 letters and 6 digits, got {prefix10!r}")
    return sum(_CHAR_VALUES[ch] << i for i, ch in enumerate(prefix)) % 11 % 10


def lacks_check_digit(text: str) -> bool:
    """Owner code, category and serial with nothing after them (``MSCU500627``).

    Painted numbers set the check digit apart, in a box of its own, so a crop that ends at the
    serial reads exactly this. Only the digit that is actually painted can confirm the rest:
    computing it from the ten characters would call any misread of them valid.
    """
    return isinstance(text, str) and _OWNER_SERIAL_RE.fullmatch(text) is not None


def lacks_owner_start(text: str) -> bool:
    """Serial and check digit after a category letter with only part of the owner code before it
    (``TSU6889054`` for ``DFSU6889054``): the box began inside the owner code. Only a read of the
    whole code, passing the check digit, can complete it."""
    return isinstance(text, str) and _CUT_OWNER_RE.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class ContainerNumber:
    """A valid ISO 6346 container number: 11 characters, check digit verified."""

    number: str

    def __post_init__(self) -> None:
        if not isinstance(self.number, str) or not _NUMBER_RE.fullmatch(self.number):
            raise InvalidInputError(f"not an ISO 6346 container number: {self.number!r}")
        if check_digit(self.number[:10]) != int(self.number[10]):
            raise InvalidInputError(f"check digit of {self.number!r} should be {check_digit(self.number[:10])}")

    @property
    def owner(self) -> str:
        """Owner code, 3 letters (``MSC``)."""
        return self.number[:3]

    @property
    def category(self) -> str:
        """Equipment category: ``U``, ``J`` or ``Z``."""
        return self.number[3]

    @property
    def serial(self) -> str:
        """Serial number, 6 digits."""
        return self.number[4:10]

    @property
    def check_digit(self) -> int:
        return int(self.number[10])

    @property
    def formatted(self) -> str:
        """Display form, ``MSCU 123456 6``."""
        return f"{self.number[:4]} {self.serial} {self.number[10]}"


def normalize(text: str) -> str | None:
    """Upper-case ``text`` without separators; ``None`` if it holds anything but Latin letters,
    digits and separators (space, newline, ``- . / | _ , :``) or is longer than 64 characters."""
    if not isinstance(text, str):
        raise InvalidInputError(f"container text must be str, got {type(text).__name__}")
    if len(text) > MAX_INPUT_CHARS:
        return None
    out: list[str] = []
    for ch in text.upper():
        if ch in _ALNUM:
            out.append(ch)
        elif ch not in _SEPARATORS:
            return None
    return "".join(out)


def parse(text: str) -> ContainerNumber | None:
    """The container number in ``text`` if it is valid as read (spacing, case and newlines free)."""
    norm = normalize(text)
    if norm is None or not _NUMBER_RE.fullmatch(norm):
        return None
    if check_digit(norm[:10]) != int(norm[10]):
        return None
    return ContainerNumber(norm)


def numbers_within(text: str) -> list[tuple[int, ContainerNumber]]:
    """Every valid number read as 11 consecutive characters of a longer ``text``, with where it
    starts (``MDFCIU5288353`` holds ``FCIU5288353`` from 2).

    A box that reaches past the number (marks painted above a vertical stack, a size/type code
    further along the line) reads them too. Each number must pass its own check digit as read;
    nothing is swapped to make one fit.
    """
    norm = normalize(text)
    if norm is None or len(norm) <= 11:
        return []
    found = ((start, parse(norm[start : start + 11])) for start in range(len(norm) - 10))
    return [(start, number) for start, number in found if number is not None]


def _options(ch: str, position: int) -> tuple[tuple[str, int], ...]:
    """What the character at ``position`` (0-based) may really be, with weights; 0 = as read."""
    if position < 4:
        ok = ch in CATEGORIES if position == 3 else ch.isalpha()
        swaps = _TO_LETTER.get(ch, ()) + _SAME_LETTER.get(ch, ())
        if position == 3:
            swaps = tuple(s for s in swaps if s[0] in CATEGORIES)
    else:
        ok = ch.isdigit()
        swaps = _TO_DIGIT.get(ch, ()) + _SAME_DIGIT.get(ch, ())
    return ((ch, 0), *swaps) if ok else swaps


def _variants(norm: str, max_subs: int) -> Iterator[tuple[str, int, int]]:
    """``(text, swaps, weight)`` for every position-valid text within ``max_subs`` swaps."""
    options = [_options(c, i) for i, c in enumerate(norm)]
    forced = [i for i, opts in enumerate(options) if not opts or opts[0][1] != 0]
    if len(forced) > max_subs or any(not options[i] for i in forced):
        return
    free = [i for i, opts in enumerate(options) if opts and opts[0][1] == 0 and len(opts) > 1]
    for extra in range(max_subs - len(forced) + 1):
        for chosen in combinations(free, extra):
            changed = sorted(forced + list(chosen))
            pools = [options[i] if i in forced else options[i][1:] for i in changed]
            for picks in product(*pools):
                chars = list(norm)
                for i, (alt, _) in zip(changed, picks, strict=True):
                    chars[i] = alt
                yield "".join(chars), len(changed), sum(w for _, w in picks)


def _ranked(text: str, max_subs: int) -> list[tuple[int, int, ContainerNumber]]:
    norm = normalize(text)
    if norm is None or len(norm) != 11:
        return []
    best: dict[str, tuple[int, int]] = {}
    for variant, subs, weight in _variants(norm, max_subs):
        if _NUMBER_RE.fullmatch(variant) and check_digit(variant[:10]) == int(variant[10]):
            best[variant] = min(best.get(variant, (subs, weight)), (subs, weight))
    ranked = sorted((subs, weight, number) for number, (subs, weight) in best.items())
    return [(subs, weight, ContainerNumber(number)) for subs, weight, number in ranked]


def candidates(text: str) -> list[ContainerNumber]:
    """Every valid number within :data:`MAX_SUBSTITUTIONS` swaps of ``text``, most likely first.

    A swap replaces one character by a look-alike: of the other class where the
    position needs a letter (1-4, with ``U``/``J``/``Z`` at 4) or a digit (5-11),
    or a common same-class confusion. Ranked by number of swaps, then summed
    weight (class-crossing swaps 10-12, same-class 15), then the number itself.
    Only 11-character texts (after dropping separators) have candidates.
    """
    return [number for _, _, number in _ranked(text, MAX_SUBSTITUTIONS)]


def correct(text: str) -> ContainerNumber | None:
    """The repaired number when it is unambiguous, else ``None``.

    Takes the candidates with the fewest swaps: a number valid as read always
    wins; otherwise exactly one candidate at the lowest swap count is returned,
    and two or more there (the check digit cannot tell them apart) give
    ``None`` rather than a guess. Never returns a number whose check digit fails.
    """
    ranked = _ranked(text, MAX_SUBSTITUTIONS)
    if not ranked:
        return None
    lowest = ranked[0][0]
    at_lowest = [number for subs, _, number in ranked if subs == lowest]
    return at_lowest[0] if len(at_lowest) == 1 else None


MAX_SHAPE_EDITS = 2
"""The most edits :func:`could_be_number` allows: look-alike swaps, another letter for the category, and
one character missed or one too many."""


def _shape_swaps(norm: str) -> int | None:
    """The class-crossing look-alike swaps that give 11 characters a number's shape (3 letters, a
    category, 7 digits); ``None`` if a character has no look-alike of its class. ``?`` stands for a
    character not read."""
    swaps = 0
    for i, ch in enumerate(norm):
        if ch == "?":
            continue
        if i == 3 and ch.isalpha() and ch not in CATEGORIES:
            swaps += 1  # a worn category letter (U read as O or L) is one edit, as a look-alike is
            continue
        options = _options(ch, i)
        if not options:
            return None
        swaps += options[0][1] != 0  # not as read: a look-alike of the other class
    return swaps


def could_be_number(text: str) -> bool:
    """Whether ``text`` may be a container number misread, though its check digit fails.

    An unverified read is worth reporting only if it is near a number's shape: the owner code's
    letters, a category (``U``, ``J``, ``Z``; another letter or a digit look-alike costs an edit) and
    seven digits, within :data:`MAX_SHAPE_EDITS` edits, each a look-alike swap of letter and digit
    or, at most once, a character missed or one read too many. Other stencilled text a container box may land on
    (``GR0SS30480K6`` from ``MAX GROSS 30480 KG``, ``MAXRSS716608``) is far from it. Valid
    numbers always pass.
    """
    norm = normalize(text)
    if norm is None or not 10 <= len(norm) <= 12:
        return False
    if len(norm) == 11:
        shapes = [norm]
    elif len(norm) == 12:
        shapes = [norm[:i] + norm[i + 1 :] for i in range(12)]
    else:
        shapes = [norm[:i] + "?" + norm[i:] for i in range(11)]
    length_edits = int(len(norm) != 11)
    swaps = [n for n in map(_shape_swaps, shapes) if n is not None]
    return bool(swaps) and min(swaps) + length_edits <= MAX_SHAPE_EDITS


def _letter_values() -> dict[str, int]:
    """ISO 6346 letter values: A = 10, counting up and skipping the multiples of 11."""
    values: dict[str, int] = {}
    v = 10
    for letter in string.ascii_uppercase:
        if v % 11 == 0:
            v += 1
        values[letter] = v
        v += 1
    return values


_VALUES = _letter_values()
_CHAR_VALUES = {**{d: int(d) for d in string.digits}, **_VALUES}
"""Every character's ISO 6346 value, digits as themselves (:func:`check_digit`)."""
_SILENT = {
    a: tuple(b for b in string.ascii_uppercase if b != a and (_VALUES[b] - _VALUES[a]) % 11 == 0)
    for a in string.ascii_uppercase
}
"""Letters the check digit cannot tell apart: values 11 apart add the same sum modulo 11 at any weight
(C = 13, M = 24, W = 35: ``C``, ``M`` and ``W`` are one such group)."""

KNOWN_OWNERS = frozenset(
    (
        "MSK", "MAE", "MRK", "MRS", "SUD", "MSC", "MED", "CMA", "CGM", "APL", "APZ", "APH", "HLX", "HLB", "HLC",
        "UAC", "EGH", "EIS", "EMC", "EGS", "OOL", "OOC", "COS", "CBH", "CCL", "TGH", "TEM", "TCN", "TRL", "TCL",
        "TTN", "TLL", "GES", "SEG", "CAI", "CAX", "FCI", "BMO", "BEA", "BSI", "DFS", "CRX", "INK", "GLD", "NYK",
        "MOL", "KKF", "ONE", "YML", "ZIM", "HDM", "HMM", "SIT", "KMT", "WHL", "PCI", "PON", "XIN", "GAT", "CLH",
        "CSL",
    )
)  # fmt: skip
"""Owner codes of the largest carriers and container lessors (BIC registry). Only used to choose between
numbers the check digit cannot separate (:func:`prefer_known_owner`), never to reject a number."""


def _silent_owners(owner: str) -> list[str]:
    """Owner codes one letter away from ``owner`` whose letter values are 11 apart: silent in any number."""
    return [owner[:i] + b + owner[i + 1 :] for i in range(3) for b in _SILENT[owner[i]]]


def _owner_alternatives(number: ContainerNumber) -> list[str]:
    """Owner codes one letter away with which ``number`` still passes its own check digit.

    Besides letters 11 apart (:data:`_SILENT`), a remainder of 10 is written as check digit 0, so
    a number ending in 0 also passes with a letter whose weighted value moves the sum by one either
    way: ``TRLU8274540`` (remainder 0) passes as ``IRLU8274540`` and ``SRLU8274540`` (remainder 10).
    """
    rest, digit = number.number[3:10], int(number.number[10])
    return [
        alt
        for i in range(3)
        for letter in string.ascii_uppercase
        if letter != number.owner[i]
        and check_digit((alt := number.owner[:i] + letter + number.owner[i + 1 :]) + rest) == digit
    ]


def _known_alternative(number: ContainerNumber) -> str | None:
    """The one known owner code that ``number`` silently passes with in place of an unknown owner
    code; ``None`` if its own is known, or there are none or several."""
    if number.owner in KNOWN_OWNERS:
        return None
    known = [o for o in _owner_alternatives(number) if o in KNOWN_OWNERS]
    return known[0] if len(known) == 1 else None


def silent_alternatives(number: ContainerNumber) -> list[ContainerNumber]:
    """Numbers one owner-code letter away that pass the same check digit: misreads the check digit
    cannot expose (``WSKU0539301`` for ``MSKU0539301``, ``IRLU8274540`` for ``TRLU8274540``)."""
    return [ContainerNumber(owner + number.number[3:]) for owner in _owner_alternatives(number)]


def prefer_known_owner(number: ContainerNumber) -> ContainerNumber:
    """``number``, or the one check-digit-silent alternative with a known owner code when ``number``'s
    own owner code is unknown; never a guess between two known alternatives."""
    owner = _known_alternative(number)
    return ContainerNumber(owner + number.number[3:]) if owner is not None else number


def random_container(rng: random.Random) -> ContainerNumber:
    """A random valid number: random owner letters, mostly category ``U``.

    Owner codes that :func:`prefer_known_owner` would read as a known one are drawn again, so a
    rendered number is always read back as itself.
    """
    owner = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
    while owner not in KNOWN_OWNERS and any(o in KNOWN_OWNERS for o in _silent_owners(owner)):
        owner = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
    category = rng.choices("UJZ", weights=(90, 5, 5))[0]
    serial = "".join(rng.choice(string.digits) for _ in range(6))
    prefix = owner + category + serial
    number = ContainerNumber(prefix + str(check_digit(prefix)))
    # A check digit 0 can also be silent to a known owner (see _owner_alternatives): draw again.
    return number if prefer_known_owner(number) == number else random_container(rng)


# --- size and type codes ---------------------------------------------------------------------------


class TypeGroup(StrEnum):
    """The type group letter of a size/type code (third character)."""

    GENERAL = "G"
    VENTILATED = "V"
    BULK = "B"
    NAMED_CARGO = "S"
    REFRIGERATED = "R"
    THERMAL = "H"
    OPEN_TOP = "U"
    PLATFORM = "P"
    TANK = "T"
    AIR_SURFACE = "A"


# Length code -> (length in mm, length in feet: nominal where the standard names one).
_LENGTHS: dict[str, tuple[int, float]] = {
    "1": (2991, 10.0), "2": (6068, 20.0), "3": (9125, 30.0), "4": (12192, 40.0),
    "A": (7150, 23.5), "B": (7315, 24.0), "C": (7430, 24.5), "D": (7450, 24.4),
    "E": (7820, 25.7), "F": (8100, 26.6), "G": (12500, 41.0), "H": (13106, 43.0),
    "K": (13600, 44.6), "L": (13716, 45.0), "M": (14630, 48.0), "N": (14935, 49.0),
    "P": (16154, 53.0),
}  # fmt: skip
_W_STD, _W_MID, _W_WIDE = "2438", "2438-2500", ">2500"
# Height/width code -> (height in mm or None when only a bound is given, height label, width in mm).
_HEIGHTS: dict[str, tuple[int | None, str, str]] = {
    "0": (2438, "8'", _W_STD), "2": (2591, "8'6\"", _W_STD), "4": (2743, "9'", _W_STD),
    "5": (2895, "9'6\"", _W_STD), "6": (None, ">9'6\"", _W_STD), "8": (1295, "4'3\"", _W_STD),
    "9": (None, "<=4'", _W_STD),
    "C": (2591, "8'6\"", _W_MID), "D": (2743, "9'", _W_MID), "E": (2895, "9'6\"", _W_MID),
    "F": (None, ">9'6\"", _W_MID),
    "L": (2591, "8'6\"", _W_WIDE), "M": (2743, "9'", _W_WIDE), "N": (2895, "9'6\"", _W_WIDE),
    "P": (None, ">9'6\"", _W_WIDE),
}  # fmt: skip
_ENDS = "openings at one or both ends"
_REEFER = "refrigerated and/or heated, removable equipment"
_TYPES: dict[str, str] = {
    "G0": f"general purpose, {_ENDS}",
    "G1": "general purpose, passive vents at upper part of cargo space",
    "G2": f"general purpose, {_ENDS} and full openings on one or both sides",
    "G3": f"general purpose, {_ENDS} and partial openings on one or both sides",
    "V0": "ventilated, non-mechanical vents at lower and upper parts",
    "V2": "ventilated, mechanical ventilation located internally",
    "V4": "ventilated, mechanical ventilation located externally",
    "B0": "dry bulk, non-pressurised, closed",
    "B1": "dry bulk, non-pressurised, airtight",
    "B3": "dry bulk, pressurised, horizontal discharge, test pressure 150 kPa",
    "B4": "dry bulk, pressurised, horizontal discharge, test pressure 265 kPa",
    "B5": "dry bulk, pressurised, tipping discharge, test pressure 150 kPa",
    "B6": "dry bulk, pressurised, tipping discharge, test pressure 265 kPa",
    "S0": "named cargo, livestock carrier",
    "S1": "named cargo, automobile carrier",
    "S2": "named cargo, live fish carrier",
    "R0": "thermal, mechanically refrigerated",
    "R1": "thermal, mechanically refrigerated and heated",
    "R2": "thermal, self-powered mechanically refrigerated",
    "R3": "thermal, self-powered mechanically refrigerated and heated",
    "H0": f"thermal, {_REEFER} located externally, K = 0.4 W/(m2.K)",
    "H1": f"thermal, {_REEFER} located internally",
    "H2": f"thermal, {_REEFER} located externally, K = 0.7 W/(m2.K)",
    "H5": "thermal, insulated, K = 0.4 W/(m2.K)",
    "H6": "thermal, insulated, K = 0.7 W/(m2.K)",
    "U0": f"open top, {_ENDS}",
    "U1": f"open top, {_ENDS}, removable top members in end frames",
    "U2": "open top, openings at one or both sides",
    "U3": f"open top, {_ENDS} and one or both sides",
    "U4": f"open top, {_ENDS}, partial on one side and full on the other",
    "U5": "open top, complete, fixed side and end walls, no doors",
    "P0": "platform, plain",
    "P1": "platform, two complete and fixed ends",
    "P2": "platform, fixed posts, free-standing or with removable top member",
    "P3": "platform, folding complete end structure",
    "P4": "platform, folding posts, free-standing or with removable top member",
    "P5": "platform, open top, open ends (skeletal)",
    "T0": "tank, non-dangerous liquids, minimum pressure 45 kPa",
    "T1": "tank, non-dangerous liquids, minimum pressure 150 kPa",
    "T2": "tank, non-dangerous liquids, minimum pressure 265 kPa",
    "T3": "tank, dangerous liquids, minimum pressure 150 kPa",
    "T4": "tank, dangerous liquids, minimum pressure 265 kPa",
    "T5": "tank, dangerous liquids, minimum pressure 400 kPa",
    "T6": "tank, dangerous liquids, minimum pressure 600 kPa",
    "T7": "tank, gases, minimum pressure 910 kPa",
    "T8": "tank, gases, minimum pressure 2200 kPa",
    "A0": "air/surface container",
}


@dataclass(frozen=True, slots=True)
class SizeType:
    """A decoded ISO 6346 size/type code such as ``45G1`` (40 ft, 9'6" high cube, general purpose).

    ``height_mm`` is ``None`` where the code gives only a bound (``>9'6"``, ``<=4'``);
    ``width`` is in mm, ``2438`` standard, ``2438-2500`` or ``>2500`` (pallet-wide).
    """

    code: str
    length_mm: int
    length_ft: float
    height_mm: int | None
    height: str
    width: str
    type_group: TypeGroup
    description: str

    def __post_init__(self) -> None:
        if len(self.code) != 4 or self.code[0] not in _LENGTHS or self.code[1] not in _HEIGHTS:
            raise InvalidInputError(f"not an ISO 6346 size/type code: {self.code!r}")
        if self.code[2:] not in _TYPES or self.type_group is not TypeGroup(self.code[2]):
            raise InvalidInputError(f"unknown ISO 6346 type code in {self.code!r}")

    @property
    def high_cube(self) -> bool:
        """Taller than the standard 8'6" box (9'6" and more)."""
        return self.code[1] in "56EFNP"


def parse_size_type(code: str) -> SizeType | None:
    """Decode a size/type code (``22G1``, ``45R1``, ``L5G1``; case and spaces free), else ``None``."""
    norm = normalize(code)
    if norm is None or len(norm) != 4:
        return None
    length, height, kind = norm[0], norm[1], norm[2:]
    if length not in _LENGTHS or height not in _HEIGHTS or kind not in _TYPES:
        return None
    length_mm, length_ft = _LENGTHS[length]
    height_mm, height_label, width = _HEIGHTS[height]
    return SizeType(
        code=norm,
        length_mm=length_mm,
        length_ft=length_ft,
        height_mm=height_mm,
        height=height_label,
        width=width,
        type_group=TypeGroup(kind[0]),
        description=_TYPES[kind],
    )


COMMON_SIZE_TYPES: dict[str, int] = {
    "22G1": 30, "42G1": 12, "45G1": 30, "L5G1": 3, "25G1": 2, "M5G1": 1, "22R1": 4, "45R1": 8,
    "42R1": 1, "22U1": 2, "42U1": 1, "45U1": 1, "22P1": 1, "42P1": 1, "45P3": 1, "22T6": 2,
    "22T0": 1, "22V0": 1, "22B0": 1,
}  # fmt: skip
"""Size/type codes :func:`random_size_type` draws, with weights (20 ft and 40 ft high cube dominate)."""


def random_size_type(rng: random.Random) -> SizeType:
    """A common size/type code, drawn by :data:`COMMON_SIZE_TYPES` weight."""
    codes = list(COMMON_SIZE_TYPES)
    code = rng.choices(codes, weights=[COMMON_SIZE_TYPES[c] for c in codes])[0]
    decoded = parse_size_type(code)
    if decoded is None:  # pragma: no cover - the table is checked by the tests
        raise AssertionError(f"bad entry {code!r} in COMMON_SIZE_TYPES")
    return decoded
