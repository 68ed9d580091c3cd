"""Index keys for fuzzy plate lookup: confusion folding and a one-edit neighbourhood.

:func:`anpr.plates.confusion_distance` charges 0.5 for swapping look-alike
characters (``0``/``O``/``D``/``Q``, ``1``/``I``/``L``, ``8``/``B`` ...) and 1 for
any other edit. The look-alike pairs form cliques, so mapping every character
to one representative of its clique ("folding") makes two plates fold equal
exactly when they differ only by look-alike swaps. Storing the folded plate in
an indexed column turns "within distance 1.5" into an index lookup of the
folded query and its one-plain-edit neighbours (about 500 keys), followed by
an exact re-rank with ``confusion_distance``. Radius 1 is exact for thresholds
below 2 (two plain edits already cost 2), which is why the settings cap the
thresholds at 1.5.
"""

from __future__ import annotations

import string

from anpr.plates import CONFUSABLE_PAIRS, normalize


def _fold_table() -> dict[str, str]:
    parent = {c: c for c in string.ascii_uppercase + string.digits}

    def root(c: str) -> str:
        while parent[c] != c:
            c = parent[c]
        return c

    for pair in CONFUSABLE_PAIRS:
        a, b = sorted(pair)
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # digits sort first: each clique folds to its digit
    return {c: root(c) for c in parent}


FOLD = _fold_table()
"""Each of A-Z0-9 mapped to the representative of its look-alike clique."""

FOLDED_ALPHABET = "".join(sorted(set(FOLD.values())))
_TRANSLATE = str.maketrans(FOLD)


def fold(text: str) -> str:
    """``text`` normalised (A-Z0-9) with every look-alike folded: ``51D-OB.1L`` -> ``5100811``."""
    return normalize(text).translate(_TRANSLATE)


def neighbourhood(folded: str) -> set[str]:
    """``folded`` and every string one insertion, deletion or substitution away (folded alphabet)."""
    keys = {folded}
    for i in range(len(folded) + 1):
        head, tail = folded[:i], folded[i:]
        keys.update(head + c + tail for c in FOLDED_ALPHABET)
        if tail:
            keys.add(head + tail[1:])
            keys.update(head + c + tail[1:] for c in FOLDED_ALPHABET)
    keys.discard("")
    return keys


def lookup_keys(text: str, threshold: float) -> set[str]:
    """Folded keys whose rows may lie within ``threshold`` of ``text``: exact fold below 1, else radius 1."""
    folded = fold(text)
    if not folded:
        return set()
    return neighbourhood(folded) if threshold >= 1.0 else {folded}
