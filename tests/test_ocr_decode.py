"""CTC decoding (anpr.ocr_ctc) and grammar-aware decoding (anpr.ocr_grammar) on built frame probabilities."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from anpr import containers
from anpr.ctc_kernels import max_code_length, word_length
from anpr.ocr_ctc import (
    beam_search,
    beam_search_reference,
    char_confidences,
    fold,
    fold_matrix,
    greedy,
    log_likelihood,
    prefix_log_likelihoods,
    prefix_log_likelihoods_many,
)
from anpr.ocr_grammar import (
    ALPHABET,
    CONFIRMING_VIEWS,
    DecodeConfig,
    decode_completed,
    decode_container,
    decode_plate,
    decode_plates,
    decode_size_type,
    rescore_container,
    rescore_plate,
    score,
    score_all,
    score_many,
)

CASES = json.loads((Path(__file__).parent / "data" / "ocr_decode.json").read_text(encoding="utf-8"))["cases"]
Slot = str | Mapping[str, float]


def frames(slots: Sequence[Slot], sure: float = 0.95) -> np.ndarray:
    """One frame per slot (its characters with their probabilities, the rest blank), then a blank frame.

    A slot is one character read with probability ``sure`` or a map character -> probability.
    """
    blank = np.zeros(len(ALPHABET) + 1, np.float32)
    blank[0] = 1.0
    rows = [blank]
    for slot in slots:
        dist = {slot: sure} if isinstance(slot, str) else dict(slot)
        row = np.zeros(len(ALPHABET) + 1, np.float32)
        for ch, p in dist.items():
            row[ALPHABET.index(ch) + 1] = p
        row[0] = max(0.0, 1.0 - float(row.sum()))
        rows += [row, blank]
    return np.stack(rows).astype(np.float32)


# --- anpr.ocr_ctc -----------------------------------------------------------------------------------


def test_greedy_collapses_repeats_and_keeps_doubles_split_by_blank() -> None:
    text, confs = greedy(frames(["5", "5", "A"]), ALPHABET)
    assert text == "55A"
    assert confs == pytest.approx((0.95, 0.95, 0.95))


def test_log_likelihood_matches_brute_force_on_a_tiny_input() -> None:
    rng = np.random.default_rng(0)
    alphabet = "AB"
    raw = rng.random((4, 3)).astype(np.float32)
    probs = raw / raw.sum(axis=1, keepdims=True)
    # Restrict the brute force to the 2-letter alphabet by using the first columns of ALPHABET-sized rows.
    for text in ("A", "AB", "BA", "AA", "B"):
        expected = _brute(probs, text, alphabet)
        assert log_likelihood(probs, text, alphabet) == pytest.approx(expected, rel=1e-5)


def _brute(probs: np.ndarray, text: str, alphabet: str) -> float:
    return math.log(_brute_total(probs, text, alphabet))


def test_beam_search_with_room_for_every_prefix_is_exact() -> None:
    """With a beam wide enough for every prefix and pruning only what is impossible, beam search is the exact sum over
    alignments: every possible text is returned, scored as the brute force does."""
    import itertools

    rng = np.random.default_rng(3)
    alphabet = "AB"
    for _ in range(3):
        raw = rng.random((4, 3))
        raw[rng.random((4, 3)) < 0.3] = 0.0  # some frames rule characters out, some rule out the blank
        raw[:, 0] += 1e-3
        probs = (raw / raw.sum(axis=1, keepdims=True)).astype(np.float32)
        beams = dict(beam_search(probs, alphabet, beam_width=64, prune=1e-9))
        texts = ["".join(t) for n in range(5) for t in itertools.product(alphabet, repeat=n)]
        possible = {t: _brute(probs, t, alphabet) for t in texts if _brute_total(probs, t, alphabet) > 0.0}
        assert set(possible) <= set(beams)
        assert all(beams[t] < math.log(1e-12) + 1e-6 for t in set(beams) - set(possible))  # floored zeros
        for text, expected in possible.items():
            assert beams[text] == pytest.approx(expected, rel=1e-5, abs=1e-6)


def _brute_total(probs: np.ndarray, text: str, alphabet: str) -> float:
    """``p(text | frames)`` summed over every alignment (every path through the frames)."""
    import itertools

    total = 0.0
    for path in itertools.product(range(probs.shape[1]), repeat=probs.shape[0]):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        if "".join(alphabet[k - 1] for k in collapsed) == text:
            total += float(np.prod([probs[t, k] for t, k in enumerate(path)]))
    return total


def test_character_confidences_follow_the_single_most_likely_alignment() -> None:
    """Brute force over every path of classes through 5 frames: the likeliest path that collapses to
    the text gives each character its frames, and a character's confidence is its highest
    probability on them. Repeated letters (``AA``) need a blank between them on any path."""
    import itertools

    rng = np.random.default_rng(11)
    alphabet = "AB"
    for _ in range(12):
        probs = rng.dirichlet(np.ones(3) * 0.7, size=5).astype(np.float32)
        for text in ("A", "AB", "BA", "AA", "ABA"):
            best_p, best_path = -1.0, None
            for path in itertools.product(range(3), repeat=5):
                starts = [i for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
                if "".join(alphabet[path[i] - 1] for i in starts) != text:
                    continue
                prob = float(np.prod([probs[t, k] for t, k in enumerate(path)]))
                if prob > best_p:
                    best_p, best_path = prob, path
            if best_path is None:
                assert char_confidences(probs, text, alphabet) == tuple(0.0 for _ in text)
                continue
            expected = [0.0] * len(text)
            char = -1
            for i, k in enumerate(best_path):
                if k != 0 and (i == 0 or best_path[i - 1] != k):
                    char += 1
                if k != 0:
                    expected[char] = max(expected[char], float(probs[i, k]))
            assert char_confidences(probs, text, alphabet) == pytest.approx(expected), (text, best_path)


def _forward_reference(probs: np.ndarray, text: str, alphabet: str) -> list[float]:
    """The textbook CTC forward recursion in log space, one state at a time: ``log p(text[:k])``."""
    labels = [alphabet.index(c) + 1 for c in text]
    ext = [0]
    for label in labels:
        ext += [label, 0]
    logp = np.log(np.maximum(probs.astype(np.float64), 1e-12))
    alpha = [-math.inf] * len(ext)
    alpha[0] = logp[0, 0]
    if len(ext) > 1:
        alpha[1] = logp[0, ext[1]]
    for t in range(1, len(probs)):
        new = []
        for s, label in enumerate(ext):
            terms = [alpha[s]] + ([alpha[s - 1]] if s >= 1 else [])
            if s >= 2 and label != 0 and label != ext[s - 2]:
                terms.append(alpha[s - 2])
            new.append(float(np.logaddexp.reduce(terms)) + logp[t, label])
        alpha = new
    return [alpha[0]] + [float(np.logaddexp(alpha[2 * k - 1], alpha[2 * k])) for k in range(1, len(text) + 1)]


def test_prefix_likelihoods_of_a_long_noisy_line_match_the_log_space_recursion() -> None:
    """300 frames of noise: the likelihoods fall far below what a float can hold unscaled, and the
    rescaled recursion must still give the log-space values."""
    rng = np.random.default_rng(7)
    raw = rng.random((300, len(ALPHABET) + 1)) ** 4
    probs = (raw / raw.sum(axis=1, keepdims=True)).astype(np.float32)
    texts = ["51F12345", "29AA12345", "51F", "A"]
    for text, got in zip(texts, prefix_log_likelihoods(probs, texts, ALPHABET), strict=True):
        expected = _forward_reference(probs, text, ALPHABET)
        assert expected[-1] < -700  # e**-700 is below the smallest float64: rescaling is exercised
        assert got == pytest.approx(expected, rel=1e-9)


def test_log_likelihood_of_a_text_too_long_for_the_frames_is_minus_infinity_like() -> None:
    probs = frames(["A"])  # 4 frames cannot hold "AAAA" (doubles need a blank between them)
    assert log_likelihood(probs, "AAAA", ALPHABET) < -1e29
    assert log_likelihood(probs, "a", ALPHABET) < -1e29  # not in the alphabet


def test_prefix_likelihoods_of_several_texts_in_one_pass() -> None:
    probs = frames(["5", {"1": 0.7, "I": 0.3}, "F", "9"])
    texts = ["51F9", "5IF", "", "5Z"]
    for text, prefixes in zip(texts, prefix_log_likelihoods(probs, texts, ALPHABET), strict=True):
        assert len(prefixes) == len(text) + 1
        for k in range(len(text) + 1):
            assert prefixes[k] == pytest.approx(log_likelihood(probs, text[:k], ALPHABET), rel=1e-6, abs=1e-6)


def test_prefix_likelihoods_of_frame_sequences_of_different_lengths_in_one_pass() -> None:
    """Each text is scored on its own item's frames, as alone: a text that cannot fit its own
    frames cannot fit because another item has more, and an item without frames holds only the
    empty text."""
    rng = np.random.default_rng(3)
    items = []
    for length in (3, 11, 40, 0):
        raw = rng.random((length, len(ALPHABET) + 1)) ** 4
        probs = (raw / np.maximum(raw.sum(axis=1, keepdims=True), 1e-12)).astype(np.float32)
        items.append((probs, ["51F", "29AA12345", "", "7"]))
    together = prefix_log_likelihoods_many(items, ALPHABET)
    for (probs, texts), got in zip(items, together, strict=True):
        for alone, joint in zip(prefix_log_likelihoods(probs, texts, ALPHABET), got, strict=True):
            assert joint == pytest.approx(alone, rel=1e-9)
    assert together[0][1][-1] < -1e29  # 3 frames hold no 9-character plate, padded to 40 or not
    assert together[3][0][0] == 0.0 and together[3][0][1] < -1e29  # no frames: only the empty text


def test_scoring_and_decoding_many_views_together_equals_one_by_one() -> None:
    views = [
        _plate_view({"3": 0.45, "8": 0.55}),
        [frames(["5", "9", "L", "2"]), frames(["1", "4", "9", {"9": 0.6, "8": 0.4}, "9"])],
        [frames(list("5XQ12345"))],
        _plate_view({"3": 0.7, "8": 0.3}),
    ]
    texts = ["51F12385", "59L214999", "51F12335"]
    for alone, joint in zip(
        [score_all(v, texts, ALPHABET) for v in views], score_many([(v, texts) for v in views], ALPHABET), strict=True
    ):
        assert [parts for _, parts in joint] == [parts for _, parts in alone]
        assert [s for s, _ in joint] == pytest.approx([s for s, _ in alone], rel=1e-9)
    assert decode_plates(views) == [decode_plate(v) for v in views]
    assert [d.text for d in decode_plates(views)][:2] == ["51F12385", "59L214999"]


def _plate_like_line(rng: np.random.Generator, n_chars: int) -> np.ndarray:
    """A recogniser-like line: each character over two or three frames, most of its mass on one
    class and some on a look-alike, blanks between, and a little noise everywhere."""
    rows = []
    for _ in range(n_chars):
        main, other = rng.choice(len(ALPHABET), 2, replace=False) + 1
        for _ in range(int(rng.integers(2, 4))):
            row = rng.random(len(ALPHABET) + 1) ** 6 * 0.02
            row[main] += rng.uniform(0.4, 0.95)
            row[other] += rng.uniform(0.0, 0.4)
            rows.append(row / row.sum())
        blank = rng.random(len(ALPHABET) + 1) ** 6 * 0.01
        blank[0] = 1.0
        rows.append(blank / blank.sum())
    return np.array(rows, np.float32).reshape(-1, len(ALPHABET) + 1)


def test_compiled_beam_search_gives_the_reference_texts_and_numbers() -> None:
    """The compiled search visits prefixes in the reference's order and sums in its order, so the
    texts, their order and their log-probabilities are identical, not merely close."""
    rng = np.random.default_rng(11)
    for n_chars in (0, 1, 4, 7, 10):
        for width in (1, 3, 6, 16):
            probs = _plate_like_line(rng, n_chars)
            for prune in (1e-3, 1e-2):
                expected = beam_search_reference(probs, ALPHABET, width, prune)
                assert beam_search(probs, ALPHABET, width, prune) == expected


@pytest.mark.parametrize(("text", "compiled"), [("MSCU1234566 22G1", True), ("MSCU1234566 22G1 TARE 2200KG", False)])
def test_long_lines_are_searched_whole(text: str, compiled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Prefixes are held as two int64 words of 11 characters each of this alphabet: a container
    number with its size/type code beside it is searched compiled, and a line longer than 22
    characters by the reference; either way it is read whole, as the reference reads it."""
    from anpr import ocr_ctc

    base = len(ALPHABET) + 1
    assert (word_length(base), max_code_length(base)) == (11, 22)
    assert base**12 < 2**63  # a word of 11 characters shifted by one more still fits
    probs = frames([c for c in text if c != " "])
    expected = beam_search_reference(probs, ALPHABET, 6)
    assert expected[0][0] == text.replace(" ", "")
    calls: list[int] = []

    def reference(*args: Any) -> list[tuple[str, float]]:
        calls.append(1)
        return beam_search_reference(*args)

    monkeypatch.setattr(ocr_ctc, "beam_search_reference", reference)
    assert beam_search(probs, ALPHABET, 6) == expected
    assert calls == ([] if compiled else [1])


def test_beam_search_sums_alignments_and_ranks_the_runner_up() -> None:
    probs = frames(["M", {"8": 0.6, "B": 0.4}])
    beams = beam_search(probs, ALPHABET, beam_width=4)
    assert [t for t, _ in beams[:2]] == ["M8", "MB"]
    for text, lp in beams[:2]:
        assert lp == pytest.approx(log_likelihood(probs, text, ALPHABET), abs=1e-4)


def test_char_confidences_follow_the_aligned_frames() -> None:
    probs = frames(["5", {"1": 0.7, "I": 0.3}, "F"])
    assert char_confidences(probs, "51F", ALPHABET) == pytest.approx((0.95, 0.7, 0.95))
    assert char_confidences(probs, "5IF", ALPHABET) == pytest.approx((0.95, 0.3, 0.95))


def test_fold_maps_lower_case_to_upper_and_punctuation_to_blank() -> None:
    source = "0a-A"
    matrix = fold_matrix(source, "0A")
    probs = np.array([[0.1, 0.2, 0.3, 0.3, 0.1]], np.float32)  # blank, "0", "a", "-", "A"
    folded = fold(probs, matrix)
    assert folded[0] == pytest.approx([0.1 + 0.3, 0.2, 0.3 + 0.1])


def test_wrong_shapes_are_rejected() -> None:
    with pytest.raises(ValueError):
        greedy(np.zeros((3, 5), np.float32), ALPHABET)


# --- anpr.ocr_grammar -------------------------------------------------------------------------------


def _decode(case: dict[str, Any]) -> Any:
    lines = [frames(slots) for slots in case["lines"]]
    decoder = {"plate": decode_plate, "container": decode_container, "size_type": decode_size_type}[case["kind"]]
    return decoder(lines, ALPHABET, DecodeConfig())


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_decoding_table(case: dict[str, Any]) -> None:
    decoded = _decode(case)
    assert decoded.text == case["text"]
    assert decoded.formatted == case["formatted"]
    assert decoded.valid is case["valid"]
    assert len(decoded.char_confidences) == len(decoded.text)
    assert 0.0 <= decoded.confidence <= 1.0
    if "rows" in case:
        assert decoded.rows == case["rows"]


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "container"], ids=lambda c: c["note"])
def test_a_valid_container_always_passes_its_check_digit(case: dict[str, Any]) -> None:
    decoded = _decode(case)
    assert decoded.valid == (containers.parse(decoded.text) is not None)


def test_score_finds_the_row_break_of_a_two_line_read() -> None:
    lines = [frames(["5", "9", "L", "2"]), frames(["1", "4", "9", "9", "9"])]
    _, parts = score(lines, "59L214999", ALPHABET)
    assert parts == ("59L2", "14999")


def test_confidence_drops_with_an_uncertain_character() -> None:
    sure = decode_plate([frames(["5", "1", "F", "1", "2", "3", "4", "5"])])
    unsure = decode_plate([frames(["5", "1", "F", {"1": 0.5, "7": 0.45}, "2", "3", "4", "5"])])
    assert unsure.text == sure.text
    assert unsure.confidence < sure.confidence
    assert unsure.char_confidences[3] == pytest.approx(0.5)


def _plate_view(uncertain: Mapping[str, float]) -> list[np.ndarray]:
    """One line reading 51F-123?5, the ? split between characters as given."""
    return [frames(["5", "1", "F", "1", "2", "3", uncertain, "5"])]


def test_rescoring_sums_the_evidence_of_every_margin_rather_than_voting() -> None:
    views = [_plate_view({"3": 0.45, "8": 0.55}), _plate_view({"3": 0.7, "8": 0.3}), _plate_view({"3": 0.4, "8": 0.6})]
    decoded = [decode_plate(v) for v in views]
    assert [d.text for d in decoded] == ["51F12385", "51F12335", "51F12385"]  # two of three views say 8
    view, best = rescore_plate(views, decoded)
    # 0.45 * 0.7 * 0.4 beats 0.55 * 0.3 * 0.6: the one confident view outweighs two hesitant ones
    assert (best.text, best.formatted, best.valid, best.rows) == ("51F12335", "51F-123.35", True, 1)
    assert view == 1 and best.raw == decoded[1].raw  # measured on the view that likes it best
    assert best.char_confidences[6] == pytest.approx(0.7, abs=0.05)


def test_rescoring_never_turns_an_invalid_read_valid() -> None:
    views = [[frames(list("5XQ12345"))], [frames(list("5XQ12346"))]]  # Q is never a series letter
    decoded = [decode_plate(v, config=DecodeConfig(plate_max_drop=0.0)) for v in views]
    assert not any(d.valid for d in decoded)
    view, best = rescore_plate(views, decoded)
    assert not best.valid and best is decoded[view]


def test_rescoring_needs_one_decode_per_view_of_the_same_layout() -> None:
    one, two = _plate_view({"3": 0.9}), [frames(list("51F1")), frames(list("2345"))]
    with pytest.raises(ValueError, match="one decode per view"):
        rescore_plate([one, one], [decode_plate(one)])
    with pytest.raises(ValueError, match="same number of lines"):
        rescore_plate([one, two], [decode_plate(one), decode_plate(two)])


def _container_view(p: float) -> list[np.ndarray]:
    """One line reading ``CAIU89796`` then ``22`` (``CAIU8979622``) with probability ``p`` per character,
    else ``38`` (``CAIU8979638``): both pass the check digit."""
    return [frames([*"CAIU89796", {"2": p, "3": 1 - p}, {"2": p, "8": 1 - p}])]


def test_container_rescoring_sums_the_nudged_views_rather_than_voting() -> None:
    views = [_container_view(0.55), _container_view(0.1), _container_view(0.55)]
    decoded = [decode_container(v) for v in views]
    assert [d.text for d in decoded] == ["CAIU8979622", "CAIU8979638", "CAIU8979622"]
    assert all(d.valid for d in decoded)
    view, best = rescore_container(views, decoded, min_votes=3)
    # 0.55^2 * 0.1^2 * 0.55^2 is less than 0.45^2 * 0.9^2 * 0.45^2: one sure view outweighs two unsure
    assert (best.text, best.formatted, best.valid, best.rows) == ("CAIU8979638", "CAIU 897963 8", True, 1)
    assert view == 1 and best.char_confidences[9] == pytest.approx(0.9, abs=0.05)
    # the views agreeing, the first view's number stands
    same = [_container_view(0.9)] * 3
    assert rescore_container(same, [decode_container(v) for v in same], min_votes=3)[1].text == "CAIU8979622"


@pytest.mark.parametrize(("agreeing", "read"), [(2, ("CAIU89796", False)), (3, ("CAIU8979622", True))])
def test_a_box_read_invalid_takes_a_number_only_when_enough_nudged_views_read_it(
    agreeing: int, read: tuple[str, bool]
) -> None:
    own = [frames(list("CAIU89796"))]  # cut before the digits: invalid
    views = [own, *[_container_view(0.9)] * agreeing, [frames(list("CAIU8979"))]]
    decoded = [decode_container(v) for v in views]
    view, best = rescore_container(views, decoded, min_votes=3)
    assert (best.text, best.valid) == read
    if not best.valid:
        assert view == 0 and best is decoded[0]


def test_container_rescoring_counts_only_views_with_the_first_views_lines() -> None:
    own = [frames(list("CAIU89796"))]
    two_lines = [frames(list("CAIU")), frames(list("8979622"))]
    views = [own, two_lines, two_lines, two_lines]
    decoded = [decode_container(v) for v in views]
    assert all(d.valid for d in decoded[1:])
    assert rescore_container(views, decoded, min_votes=3) == (0, decoded[0])
    with pytest.raises(ValueError, match="one decode per view"):
        rescore_container(views, decoded[:2], min_votes=3)
    with pytest.raises(ValueError, match="min_votes"):
        rescore_container(views, decoded, min_votes=0)


@pytest.mark.parametrize("repeated", [False, True])
def test_a_valid_own_read_that_no_nudged_view_repeats_is_reported_unverified(repeated: bool) -> None:
    """Eight nudged views read a stack's serial one way (``S6RU5011288``, failing the check digit);
    the box's own view read another number that passes (``DERU5013288``, as on a real frame). Read
    by no other view, it is not reported valid: the views' likeliest text is, invalid. One nudged
    view repeating it makes it a proposal again."""
    own = [frames(list("DERU5013288"))]
    nudged = [[frames(list("S6RU5011288"))]] * (7 if repeated else 8)
    views = [own, *nudged, *([own] if repeated else [])]
    decoded = [decode_container(v) for v in views]
    assert decoded[0].valid and not any(d.valid for d in decoded[1 : 1 + len(nudged)])
    assert len(views) >= CONFIRMING_VIEWS
    view, best = rescore_container(views, decoded, min_votes=3)
    if repeated:
        assert (best.text, best.valid) == ("DERU5013288", True)
        return
    assert (best.text, best.valid) == ("S6RU5011288", False)
    assert view >= 1 and best.char_confidences[0] == pytest.approx(0.95, abs=0.01)
    # with fewer views than CONFIRMING_VIEWS (the first round settled nothing yet) it still stands
    few = views[: CONFIRMING_VIEWS - 1]
    assert rescore_container(few, decoded[: len(few)], min_votes=3)[1].text == "DERU5013288"


@pytest.mark.parametrize(("agreeing", "read"), [(2, ("CAIU89796", False)), (3, ("CAIU8979622", True))])
def test_a_valid_own_read_no_view_repeats_gives_way_only_to_a_number_enough_views_read(
    agreeing: int, read: tuple[str, bool]
) -> None:
    """As on a real vertical stack whose box cut the check digit: the box read ``TFIU8912523``, two of
    eleven nudged boxes ``TEIU8912521`` (both pass), none the painted ``TEMU8912520``. An own read no
    view repeats is as good as none, so another number needs ``min_votes`` views and a clear margin,
    as for a box read invalid; short of that the box is reported unverified."""
    own = [frames(list("CAIU8979638"))]
    cut = [frames(list("CAIU89796"))]
    views = [own, *[_container_view(0.9)] * agreeing, *[cut] * (6 - agreeing)]
    decoded = [decode_container(v) for v in views]
    assert decoded[0].valid and decoded[1].valid and decoded[1].text != decoded[0].text
    assert len(views) >= CONFIRMING_VIEWS
    _, best = rescore_container(views, decoded, min_votes=3)
    assert (best.text, best.valid) == read


CHECK_DIGIT, OWNER_CODE = ("MSCU500627", True), ("6889054", False)


@pytest.mark.parametrize(
    ("end", "lines", "expected"),
    [
        # owner code, category and serial known: the check digit after them completes the number
        (CHECK_DIGIT, ["MSCU5006271"], "MSCU 500627 1"),  # the digit read after the serial passes
        (
            CHECK_DIGIT,
            ["MSCU500627145G1"],
            "MSCU 500627 1",
        ),  # a size/type code after the digit is no part of it
        (CHECK_DIGIT, ["MSCU", "5006271"], "MSCU 500627 1"),  # two lines: the digit ends the serial row
        (CHECK_DIGIT, ["MSCU5006279"], None),  # the painted digit disagrees
        (CHECK_DIGIT, ["MSCU500627"], None),  # still no digit
        (CHECK_DIGIT, ["MSCU5006871"], None),  # a different serial, even if a repair could pass
        (CHECK_DIGIT, ["ABCU5006271"], None),  # another owner code
        # serial and check digit known: the whole owner code before them completes the number
        (OWNER_CODE, ["DFSU6889054"], "DFSU 688905 4"),  # the whole owner code, passing
        (OWNER_CODE, ["HC", "DFSU6889054"], "DFSU 688905 4"),  # a mark above the number is no part of it
        (OWNER_CODE, ["XDFSU6889054"], "DFSU 688905 4"),
        (OWNER_CODE, ["DFSU", "6889054"], "DFSU 688905 4"),  # two lines: the owner code is the first
        (OWNER_CODE, ["DESU6889054"], None),  # an owner code misread: the check digit refuses it
        (OWNER_CODE, ["DFSU6889055"], None),  # the check digit as read is kept, not a new one
        (OWNER_CODE, ["TSU6889054"], None),  # still cut
    ],
)
def test_a_stretched_crop_completes_a_cut_number_only_when_it_keeps_the_known_part_and_passes(
    end: tuple[str, bool], lines: list[str], expected: str | None
) -> None:
    known, at_start = end
    decoded = decode_completed([frames(list(line)) for line in lines], known, at_start, ALPHABET, DecodeConfig())
    if expected is None:
        assert decoded is None
        return
    assert decoded is not None
    assert (decoded.text, decoded.valid, decoded.formatted) == (expected.replace(" ", ""), True, expected)
    assert len(decoded.char_confidences) == 11 and 0.0 < decoded.confidence <= 1.0


WARM_UP_CHECK = """
import json
import numpy as np
from anpr import ctc_kernels
from anpr.ocr_ctc import char_confidences
from anpr.ocr_grammar import ALPHABET, decode_container, decode_plates, score_many

kernels = (ctc_kernels.prefix_beams, ctc_kernels.forward_prefixes, ctc_kernels.viterbi_states)
ctc_kernels.warm_up()
compiled = [[str(s) for s in k.signatures] for k in kernels]
rng = np.random.default_rng(0)
lines = [rng.dirichlet(np.full(len(ALPHABET) + 1, 0.05), size=n).astype(np.float32) for n in (30, 12, 40)]
decode_plates([[lines[0]], [lines[1], lines[2]]])
decode_container([lines[2]])
score_many([([lines[1], lines[2]], ["51F12385", "29A1"])], ALPHABET)
char_confidences(lines[0][::-1], "15", ALPHABET)  # a reversed, not contiguous, line too
print(json.dumps({"warm": compiled, "after": [[str(s) for s in k.signatures] for k in kernels]}))
"""


def test_the_warm_up_compiles_what_decoding_uses() -> None:
    """The engine compiles the kernels when it loads (``warm_up``); decoding afterwards must find its
    argument types (array layouts included) compiled, or the first frame would pay for compiling
    after all. A fresh interpreter, so nothing compiled by other tests hides a missing type."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", WARM_UP_CHECK], capture_output=True, text=True, check=True)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(got["warm"])
    assert got["after"] == got["warm"]


WITHOUT_NUMBA = """
import json, sys
sys.modules["numba"] = None  # importing it now fails, as on a machine without it
import numpy as np
import anpr.training.parallel_ocr, anpr.training.train_ocr  # what a lent training machine runs
from anpr import ctc_kernels
from anpr.ocr_ctc import beam_search
from anpr.ocr_grammar import ALPHABET, decode_container, decode_plates

rng = np.random.default_rng(5)
lines = [rng.dirichlet(np.full(len(ALPHABET) + 1, 0.05), size=n).astype(np.float32) for n in (30, 12, 40)]
print(json.dumps({
    "compiled": ctc_kernels.COMPILED,
    "beams": beam_search(lines[0], ALPHABET, 6),
    "plates": [d.text for d in decode_plates([[lines[0]], [lines[1], lines[2]]])],
    "container": decode_container([lines[2]]).text,
}))
"""


def test_without_numba_the_kernels_run_as_python_with_the_same_results() -> None:
    """A lent training machine has no numba (``anpr.training.parallel_ocr``): training and decoding
    still import, and the kernels, run as plain Python, decode as the compiled ones do."""
    import subprocess
    import sys

    from anpr import ctc_kernels

    done = subprocess.run([sys.executable, "-c", WITHOUT_NUMBA], capture_output=True, text=True, check=True)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["compiled"] is False and ctc_kernels.COMPILED is True
    rng = np.random.default_rng(5)
    lines = [rng.dirichlet(np.full(len(ALPHABET) + 1, 0.05), size=n).astype(np.float32) for n in (30, 12, 40)]
    beams = beam_search(lines[0], ALPHABET, 6)
    assert [t for t, _ in got["beams"]] == [t for t, _ in beams]
    assert [s for _, s in got["beams"]] == pytest.approx([s for _, s in beams], rel=1e-12)
    assert got["plates"] == [d.text for d in decode_plates([[lines[0]], [lines[1], lines[2]]])]
    assert got["container"] == decode_container([lines[2]]).text


NOWHERE_TO_CACHE = """
import json
import numba.core.caching
numba.core.caching.CacheImpl._locator_classes = []  # as a read-only install with no writable cache folder
import numpy as np
from anpr import ctc_kernels
from anpr.ocr_ctc import beam_search
from anpr.ocr_grammar import ALPHABET

probs = np.random.default_rng(5).dirichlet(np.full(len(ALPHABET) + 1, 0.05), size=30).astype(np.float32)
beams = beam_search(probs, ALPHABET, 6)
signatures = getattr(ctc_kernels.prefix_beams, "signatures", None)  # a numba dispatcher has them
print(json.dumps({"compiled": ctc_kernels.COMPILED, "signatures": signatures and len(signatures), "beams": beams}))
"""


def test_kernels_compile_uncached_where_numba_cannot_write_a_cache() -> None:
    """numba refuses ``cache=True`` at import when no cache folder is writable; the kernels are then
    compiled in the process, not lost, and decode as usual."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", NOWHERE_TO_CACHE], capture_output=True, text=True, check=True)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["compiled"] is True and got["signatures"] == 1
    probs = np.random.default_rng(5).dirichlet(np.full(len(ALPHABET) + 1, 0.05), size=30).astype(np.float32)
    assert [tuple(b) for b in got["beams"]] == beam_search(probs, ALPHABET, 6)
    assert "cannot cache" in done.stderr


def test_a_number_with_a_mark_beside_it_is_repaired_in_place() -> None:
    """A vertical stack's box also read the bracket above it, and a stencil G as a 6 (as on a real
    frame): ``LT6HU2703360``. Its 11 characters after the mark are repaired by look-alikes, and the
    number's confidences are its own characters'."""
    lines = [frames(["L", *"T", {"6": 0.6, "G": 0.35}, *"HU2703360"])]
    decoded = decode_container(lines)
    assert (decoded.text, decoded.valid) == ("TGHU2703360", True)
    assert len(decoded.char_confidences) == 11 and decoded.char_confidences[1] == pytest.approx(0.35, abs=0.01)


@pytest.mark.parametrize(("mark", "valid"), [("", True), ("L", False)])
def test_a_longer_read_takes_look_alikes_only(mark: str, valid: bool) -> None:
    """``N`` for ``M`` is a change the frames must support, not a look-alike. An 11-character read
    takes it (``TEMU2709541`` passes); a read with a mark beside it does not, since which characters
    are the number is a guess there as well (a roof marking became another valid number that way)."""
    lines = [frames([*mark, "T", "E", {"N": 0.6, "M": 0.35}, *"U2709541"])]
    decoded = decode_container(lines)
    assert decoded.valid is valid
    assert decoded.text == ("TEMU2709541" if valid else f"{mark}TENU2709541")


@pytest.mark.parametrize(("read", "code"), [("X22G1X", "22G1"), ("22G145G1", None), ("4221", None)])
def test_a_size_type_code_read_with_a_mark_beside_it(read: str, code: str | None) -> None:
    """A box that also read marks beside a stacked code (on a real frame the handle bracket above a
    ``22G1`` read as a ``4``): the one code within a read a character or two longer is taken, with its
    own characters' confidences. A longer read, or one without a code, stays as read, invalid."""
    decoded = decode_size_type([frames(list(read))])
    if code is None:
        assert (decoded.text, decoded.valid) == (read, False)
        return
    assert (decoded.text, decoded.valid) == (code, True)
    assert len(decoded.char_confidences) == 4
