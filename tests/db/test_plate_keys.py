"""Fuzzy-lookup keys: folding look-alikes, and deletion keys shared by every pair of close plates."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anpr.plates import CONFUSABLE_PAIRS, confusion_distance, random_plate
from db.plate_keys import FOLD, deletion_keys, fold, lookup_keys

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("51C-123.45", "51C12345"),  # nothing confusable but separators: only normalised
        ("51D-0B.1L", "5100811"),  # D and O fold to 0, B to 8, L to 1
        ("5IC12345", "51C12345"),  # I read for 1
        ("29h 123.4s", "29H12345"),  # lower case and S for 5
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_look_alikes_fold_together_and_nothing_else_does() -> None:
    for a in ALNUM:
        for b in ALNUM:
            same = a == b or frozenset((a, b)) in CONFUSABLE_PAIRS
            assert (FOLD[a] == FOLD[b]) == same, (a, b)


def test_deletion_keys_are_the_text_and_each_one_deletion() -> None:
    assert deletion_keys("123") == {"123", "23", "13", "12"}
    assert deletion_keys("1") == {"1"}  # the empty string is never a key
    assert deletion_keys("1100") == {"1100", "100", "110"}  # repeated letters give one key each
    assert len(deletion_keys("51C12345")) <= 9


def _edit(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text))
    kind = rng.choice(("sub", "ins", "del", "look"))
    if kind == "sub":
        return text[:i] + rng.choice(ALNUM) + text[i + 1 :]
    if kind == "ins":
        return text[:i] + rng.choice(ALNUM) + text[i:]
    if kind == "del":
        return text[:i] + text[i + 1 :]
    twins = [c for pair in CONFUSABLE_PAIRS if text[i] in pair for c in pair if c != text[i]]
    return text[:i] + (rng.choice(twins) if twins else text[i]) + text[i + 1 :]


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=1, max_value=4))
def test_every_plate_within_threshold_shares_a_key(seed: int, edits: int) -> None:
    rng = random.Random(seed)
    stored = random_plate(rng).text
    query = stored
    for _ in range(edits):
        query = _edit(rng, query) or query
    if confusion_distance(query, stored) <= 1.5:
        assert deletion_keys(fold(stored)) & lookup_keys(query, 1.5)


def test_two_plain_edits_rarely_share_a_key() -> None:
    """The keys stay selective: a different plate of the same shape shares none."""
    assert not deletion_keys(fold("51C12345")) & lookup_keys("51C12399", 1.5)
    assert deletion_keys(fold("51C12345")) & lookup_keys("51C12354", 1.5)  # a transposition does


def test_below_one_only_look_alike_swaps_are_searched() -> None:
    assert lookup_keys("51C12345", 0.5) == {"51C12345"}
    assert fold("5IC1234S") in lookup_keys("51C12345", 0.5)
    assert lookup_keys("51C12345", 1.0) == deletion_keys("51C12345")
    assert lookup_keys("--", 1.5) == set()


def test_fold_has_one_representative_per_clique() -> None:
    assert len(set(FOLD.values())) == 26
