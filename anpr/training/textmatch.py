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


def match_tier(read: str, label: str) -> str | None:
    """``"exact"``, ``"folded"`` (equal up to confusions), ``"near"`` (one edit after folding), or None."""
    if not read:
        return None
    if normalize(read) == normalize(label):
        return "exact"
    fr, fl = fold(read), fold(label)
    if fr == fl:
        return "folded"
    if len(fl) >= 7 and levenshtein(fr, fl) <= 1:
        return "near"
    return None
