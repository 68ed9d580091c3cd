"""Grammar-constrained repair of OCR confusions in Vietnamese plates, and a confusion-aware distance.

OCR engines confuse glyphs across the letter/digit line (``0``/``O``/``D``,
``8``/``B``, ``5``/``S`` ...). A plate's grammar fixes which positions hold
digits and which hold letters (Circular 79/2024/TT-BCA, see
:mod:`anpr.plates_grammar`), so a wrong-class character can be swapped for its
look-alike in the other class and the result checked against the grammar
again. Only these class-crossing swaps are tried; a digit read as another
digit cannot be detected from the text alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, permutations, product

from anpr.errors import InvalidInputError
from anpr.plates_grammar import Plate, Scan, check_rows, layout_cost, normalize, readings, scan, shape_of, shapes

MAX_CORRECTIONS = 3
"""The most substitutions :func:`correct` makes."""

LETTER_TO_DIGIT: dict[str, tuple[tuple[str, int], ...]] = {
    "O": (("0", 10),),
    "D": (("0", 10),),
    "Q": (("0", 10),),
    "I": (("1", 10),),
    "L": (("1", 12),),
    "Z": (("2", 10),),
    "S": (("5", 10),),
    "G": (("6", 10),),
    "B": (("8", 10),),
    "A": (("4", 12),),
}
"""A letter in a digit position: the digit it is taken for, with a weight (10 = most likely).

``T`` is left out: on Vietnamese plates ``1`` carries a flag and a foot, so a
``T``/``1`` swap is rare and would mostly invent digits."""

DIGIT_TO_LETTER: dict[str, tuple[tuple[str, int], ...]] = {
    "0": (("D", 10), ("O", 10), ("Q", 12)),
    "1": (("I", 10), ("L", 12)),
    "2": (("Z", 10),),
    "4": (("A", 12),),
    "5": (("S", 10),),
    "6": (("G", 10),),
    "8": (("B", 10),),
}
"""A digit in a letter position: the letters it is taken for. ``O``, ``Q`` and ``I``
only survive where the grammar allows them (legacy and military plates)."""

CONFUSION_COST = 0.5
"""Cost of substituting a confusable pair in :func:`confusion_distance`; other edits cost 1."""


def _confusable_pairs() -> frozenset[frozenset[str]]:
    pairs = {frozenset((a, b)) for a, alts in LETTER_TO_DIGIT.items() for b, _ in alts}
    pairs |= {frozenset((a, b)) for a, alts in DIGIT_TO_LETTER.items() for b, _ in alts}
    # Letters that share a digit look-alike also pass for each other (O/D/Q, I/L).
    twins: dict[str, set[str]] = {}
    for pair in list(pairs):
        digit = next((c for c in pair if c.isdigit()), None)
        letter = next((c for c in pair if c.isalpha()), None)
        if digit is not None and letter is not None:
            twins.setdefault(digit, set()).add(letter)
    for letters in twins.values():
        pairs |= {frozenset(p) for p in combinations(sorted(letters), 2)}
    return frozenset(pairs)


CONFUSABLE_PAIRS = _confusable_pairs()
"""Unordered pairs that cost :data:`CONFUSION_COST` in :func:`confusion_distance`."""


_SUBSTITUTION_COST = {(a, b): CONFUSION_COST for pair in CONFUSABLE_PAIRS for a, b in permutations(pair)}


def confusion_distance(a: str, b: str) -> float:
    """Edit distance between two plate texts after :func:`normalize`.

    Insertions and deletions cost 1, substitutions 1, or :data:`CONFUSION_COST`
    for a pair in :data:`CONFUSABLE_PAIRS`. Symmetric; 0 only for equal texts.
    """
    x, y = normalize(a), normalize(b)
    if x == y:
        return 0.0
    cost = _SUBSTITUTION_COST.get  # the fuzzy search runs this for every candidate: no sets, no min()
    previous = [float(j) for j in range(len(y) + 1)]
    for i, cx in enumerate(x, start=1):
        left = float(i)
        current = [left]
        for j, cy in enumerate(y, start=1):
            best = previous[j] + 1.0
            diagonal = previous[j - 1] if cx == cy else previous[j - 1] + cost((cx, cy), 1.0)
            if diagonal < best:
                best = diagonal
            if left + 1.0 < best:
                best = left + 1.0
            current.append(best)
            left = best
        previous = current
    return previous[-1]


@dataclass(frozen=True, slots=True)
class _Variant:
    text: str
    subs: int
    weight: int


def _alternatives(ch: str) -> tuple[tuple[str, int], ...]:
    return LETTER_TO_DIGIT.get(ch, ()) + DIGIT_TO_LETTER.get(ch, ())


def _variants(norm: str, max_subs: int) -> Iterator[_Variant]:
    """``norm`` with up to ``max_subs`` characters swapped for a look-alike of the other class,
    only where the result has a plate's shape.

    Every swap turns a letter into a digit or back, so the positions to swap for a shape are
    exactly those where ``norm``'s shape differs from it: each plate shape within ``max_subs``
    such differences gives its variants directly, and no other variant can have a reading.
    """
    current = shape_of(norm)
    for shape in shapes(len(norm)):
        chosen = [i for i, (have, want) in enumerate(zip(current, shape, strict=True)) if have != want]
        if len(chosen) > max_subs:
            continue
        options = [_alternatives(norm[i]) for i in chosen]
        if not all(options):
            continue
        for swaps in product(*options):
            chars = list(norm)
            for i, (alt, _) in zip(chosen, swaps, strict=True):
                chars[i] = alt
            yield _Variant("".join(chars), len(chosen), sum(w for _, w in swaps))


def _ranked(scanned: Scan, rows: int | None, max_subs: int) -> list[Plate]:
    scored: dict[Plate, tuple[int, int, int, int, str]] = {}
    for variant in _variants(scanned.norm, max_subs):
        for reading in readings(variant.text):
            key = (
                variant.subs,
                layout_cost(reading, scanned.seps, rows),
                variant.weight,
                reading.preference,
                reading.plate.formatted,
            )
            if reading.plate not in scored or key < scored[reading.plate]:
                scored[reading.plate] = key
    return sorted(scored, key=scored.__getitem__)


def candidates(text: str, rows: int | None = None, max_subs: int = 2) -> list[Plate]:
    """Valid plates within ``max_subs`` class-crossing swaps of ``text``, most likely first.

    Ranked by number of swaps, then fit to the input's separators and ``rows``
    hint, then swap weights, then form (one-row car first), then text. The
    first entry for a valid ``text`` is what :func:`anpr.plates.parse` returns.
    Raises :class:`~anpr.errors.InvalidInputError` for non-str text or a bad
    ``rows``/``max_subs``; returns ``[]`` for text that is not plate-like.
    """
    check_rows(rows)
    if isinstance(max_subs, bool) or not isinstance(max_subs, int) or not 0 <= max_subs <= MAX_CORRECTIONS:
        raise InvalidInputError(f"max_subs must be an int in 0..{MAX_CORRECTIONS}, got {max_subs!r}")
    if not isinstance(text, str):
        raise InvalidInputError(f"plate text must be str, got {type(text).__name__}")
    return list(_cached_candidates(text, rows, max_subs))


@lru_cache(maxsize=4096)
def _cached_candidates(text: str, rows: int | None, max_subs: int) -> tuple[Plate, ...]:
    """:func:`candidates` of checked arguments, kept for texts asked again: the views of one plate
    (margins, widened lines, the closer box) mostly read the same texts."""
    scanned = scan(text)
    if scanned is None or not 4 <= len(scanned.norm) <= 12:
        return ()
    return tuple(_ranked(scanned, rows, max_subs))


def correct(text: str, rows: int | None = None) -> Plate | None:
    """The most likely valid plate within :data:`MAX_CORRECTIONS` swaps of ``text``, or ``None``."""
    found = candidates(text, rows, MAX_CORRECTIONS)
    return found[0] if found else None
