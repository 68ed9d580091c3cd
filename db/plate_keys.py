"""Index keys for fuzzy plate lookup: confusion folding and one-deletion keys.

:func:`anpr.plates.confusion_distance` charges 0.5 for swapping look-alike
characters (``0``/``O``/``D``/``Q``, ``1``/``I``/``L``, ``8``/``B`` ...) and 1 for
any other edit. The look-alike pairs form cliques, so mapping every character
to one representative of its clique ("folding") makes two plates fold equal
exactly when they differ only by look-alike swaps. Plates within distance 1.5
of each other fold to strings within one plain edit (two plain edits already
cost 2, which is why the settings cap the thresholds at 1.5).

Two strings within one insertion, deletion or substitution share a *deletion
key*: the string itself or the string with one character removed (a
substitution at ``i`` leaves the same string when ``i`` is deleted from both;
an insertion is undone by deleting it from the longer one). So the
``plate_keys`` table (:mod:`db.fuzzy_index`) keeps, for every stored folded
plate, its deletion keys (about ten), and a fuzzy lookup reads the folded
plates listed under the query's own deletion keys: about ten index probes
instead of the ~500 strings of the query's one-edit neighbourhood. Sharing a
key also admits some plates two edits away (a transposition), so callers
re-rank with ``confusion_distance``.
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

_TRANSLATE = str.maketrans(FOLD)


def fold(text: str) -> str:
    """``text`` normalised (A-Z0-9) with every look-alike folded: ``51D-OB.1L`` -> ``5100811``."""
    return normalize(text).translate(_TRANSLATE)


def deletion_keys(folded: str) -> set[str]:
    """``folded`` and each string with one of its characters removed: ``"123"`` -> 123, 23, 13, 12."""
    keys = {folded[:i] + folded[i + 1 :] for i in range(len(folded))}
    keys.add(folded)
    keys.discard("")
    return keys


def lookup_keys(text: str, threshold: float) -> set[str]:
    """The deletion keys to look ``text`` up by, for plates within ``threshold``: from 1 on, every
    deletion key of its fold (a superset of the plates one plain edit away); below 1, only the fold
    itself (look-alike swaps only)."""
    folded = fold(text)
    if not folded:
        return set()
    return deletion_keys(folded) if threshold >= 1.0 else {folded}
