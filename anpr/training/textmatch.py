"""Text comparison used to verify pseudo-labels against ground-truth plate text.

A detector box becomes a training label only when the OCR of its crop equals
the labelled text. The stock recogniser confuses look-alike glyphs (0/O/D,
1/I/L, 8/B ...), which say nothing about whether the *box* is right, so the
comparison is made after folding each confusion class onto one symbol.
"""

from __future__ import annotations

from anpr.plates import normalize

_FOLD = str.maketrans(
    {
        "O": "0", "D": "0", "Q": "0", "U": "0",
        "I": "1", "L": "1", "T": "1", "J": "1",
        "Z": "2", "S": "5", "G": "6", "B": "8", "A": "4",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """The normalised text with every confusion class folded onto one symbol."""
    return normalize(text).translate(_FOLD)


def levenshtein(a: str, b: str) -> int:
    """Plain edit distance (insert, delete, substitute all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


TIERS = ("exact", "folded", "near", "loose")
"""The tiers :func:`match_tier` returns, best first."""

LOOSE_EDITS = 3
"""Edits (after folding) a ``"loose"`` match may need: a small plate read with a few wrong glyphs."""


def match_tier(read: str, label: str) -> str | None:
    """How well a box's read matches the photo's label, best first.

    ``"exact"``; ``"folded"`` (equal up to look-alike glyphs); ``"near"`` (one edit after
    folding); ``"loose"`` (at most :data:`LOOSE_EDITS` edits after folding, and a length within
    one of the label's, so a box over part of the plate never qualifies); or None. Only plates of
    seven or more characters get slack: short ones leave too little text to tell plates apart.
    A loose match locates the labelled plate (its misread glyphs are what OCR training learns
    from), but it proves nothing about the reader.
    """
    if not read:
        return None
    if normalize(read) == normalize(label):
        return "exact"
    fr, fl = fold(read), fold(label)
    if fr == fl:
        return "folded"
    if len(fl) < 7:
        return None
    distance = levenshtein(fr, fl)
    if distance <= 1:
        return "near"
    if distance <= LOOSE_EDITS and abs(len(fr) - len(fl)) <= 1:
        return "loose"
    return None


def best_tier(label: str, *reads: str) -> str | None:
    """The best tier any of ``reads`` (say a reading's decoded and its raw text) reaches against ``label``."""
    tiers = [t for t in (match_tier(read, label) for read in reads) if t]
    return min(tiers, key=TIERS.index) if tiers else None
