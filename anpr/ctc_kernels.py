"""Compiled inner loops of the CTC decoding in :mod:`anpr.ocr_ctc` (numba, numbers in and out).

The prefix beam search, the forward algorithm and the Viterbi alignment step through a line's
frames one by one, a few states at a time. In Python and numpy that cost more in interpretation
than in arithmetic: on a held-out street photo, whose plate is read from a dozen crops, the first
two took about a tenth of the photo's time, and on a gate frame the alignments of container
repairs took 6%. These kernels are the same recursions compiled by numba, and :mod:`anpr.ocr_ctc`
keeps the checks and the conversion from and to texts.

Compiled code is cached beside this file (``cache=True``), so a process after the first loads it
in a fraction of a second; numba falls back to a per-user cache where that folder is read-only.
Without numba (a lent training machine has only what training needs) the kernels run as plain
Python: the same results, many times slower (:data:`COMPILED` says which).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)

_numba_njit: Any
try:
    from numba import njit as _numba_njit
except ImportError:  # a bare training machine (anpr.training.parallel_ocr) has no numba
    _numba_njit = None
COMPILED = _numba_njit is not None
"""Whether the kernels run compiled (numba is installed) or as plain Python."""


def njit(**options: Any) -> Callable[[F], F]:
    """numba's ``njit`` with these options; without numba, the function as it is.

    With ``cache=True`` and nowhere to write the cache (a read-only install with no writable home
    or ``NUMBA_CACHE_DIR``), numba refuses the function at import; it is then compiled uncached,
    in every process, rather than not at all.
    """

    def compile_(function: F) -> F:
        if _numba_njit is None:
            return function
        try:
            return cast(F, _numba_njit(**options)(function))
        except RuntimeError as exc:  # numba: "cannot cache function ...: no locator available"
            if not options.get("cache"):
                raise
            log.warning("numba cannot cache %s (%s); compiling it in each process", function.__name__, exc)
            return cast(F, _numba_njit(**{**options, "cache": False})(function))

    return compile_


RESCALE_EVERY = 4
"""The forward recursion rescales each text's states by their largest every this many frames."""
NEG_INF = -1e30
"""The log-likelihood of an impossible prefix."""
FLOOR = 1e-12
"""Probabilities under this count as this in logs."""


def word_length(classes: int) -> int:
    """Characters of base ``classes`` one int64 word of a prefix code holds, with room to shift in one more."""
    return int((63 * math.log(2)) // math.log(classes)) - 1


def max_code_length(classes: int) -> int:
    """The longest prefix :func:`prefix_beams` can hold: two int64 words in base ``classes``."""
    return 2 * word_length(classes)


def spelled(high: int, low: int, length: int, alphabet: str) -> str:
    """The text of a prefix code of :func:`prefix_beams` (classes written in base ``len(alphabet) + 1``)."""
    base = len(alphabet) + 1
    code = high * base ** word_length(base) + low
    chars = []
    for _ in range(length):
        code, k = divmod(code, base)
        chars.append(alphabet[k - 1])
    return "".join(reversed(chars))


@njit(cache=True)
def _find(high: np.ndarray, low: np.ndarray, lengths: np.ndarray, used: int, hi: int, lo: int, length: int) -> int:
    for r in range(used):
        if low[r] == lo and high[r] == hi and lengths[r] == length:
            return r
    return -1


@njit(cache=True)
def prefix_beams(
    values: np.ndarray,
    hit_start: np.ndarray,
    hit_class: np.ndarray,
    hit_prob: np.ndarray,
    beam_width: int,
    base: int,
    max_length: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """CTC prefix beam search over ``values`` (``(T, C)`` float64 probabilities, column 0 blank).

    Frame ``t`` expands the classes ``hit_class[hit_start[t]:hit_start[t + 1]]`` (with their
    probabilities ``hit_prob``), in that order. A prefix is held as its classes written in base
    ``base`` over two int64 words, ``high * base**w + low`` with ``w`` :func:`word_length`
    characters in ``low`` (every class is at least 1, so the length tells ``"0"`` from ``""``).
    Returns the final beams' high and low words, lengths and ``log p(prefix | frames)``, and
    ``False`` (with nothing else) when a prefix would outgrow ``max_length`` classes
    (:func:`max_code_length`).

    Step for step this is :func:`anpr.ocr_ctc.beam_search_reference`: prefixes are visited and
    created in the same order, sums are added in the same order and ties keep that order, so both
    give the same texts and the same numbers.
    """
    n_frames, n_classes = values.shape
    word = 1
    for _ in range(max_length // 2):
        word *= base
    room = beam_width * (1 + n_classes)
    high = np.zeros(beam_width, np.int64)
    low = np.zeros(beam_width, np.int64)
    lengths = np.zeros(beam_width, np.int64)
    p_blank = np.zeros(beam_width)
    p_char = np.zeros(beam_width)
    p_blank[0] = 1.0
    held = 1
    next_high = np.zeros(room, np.int64)
    next_low = np.zeros(room, np.int64)
    next_lengths = np.zeros(room, np.int64)
    next_blank = np.zeros(room)
    next_char = np.zeros(room)
    totals = np.zeros(room)
    log_scale = 0.0
    for t in range(n_frames):
        blank = values[t, 0]
        first, last_hit = hit_start[t], hit_start[t + 1]
        if first == last_hit:  # only the blank is likely: every prefix's mass moves onto its blank ending
            mass = 0.0
            for i in range(held):
                mass += p_blank[i] + p_char[i]
            if mass * blank <= 0.0:
                break
            log_scale += math.log(mass * blank)
            for i in range(held):
                p_blank[i] = (p_blank[i] + p_char[i]) / mass
                p_char[i] = 0.0
            continue
        used = 0
        for i in range(held):
            hi, lo, length = high[i], low[i], lengths[i]
            same = _find(next_high, next_low, next_lengths, used, hi, lo, length)
            if same < 0:
                same = used
                next_high[used], next_low[used], next_lengths[used] = hi, lo, length
                next_blank[used], next_char[used] = 0.0, 0.0
                used += 1
            next_blank[same] += (p_blank[i] + p_char[i]) * blank
            last = lo % base if length > 0 else -1
            for h in range(first, last_hit):
                if length >= max_length:
                    return high[:0], low[:0], lengths[:0], p_blank[:0], False
                k, p = hit_class[h], hit_prob[h]
                shifted = lo * base + k  # below base**(w + 1): fits
                grown_hi, grown_lo = hi * base + shifted // word, shifted % word
                grown = _find(next_high, next_low, next_lengths, used, grown_hi, grown_lo, length + 1)
                if grown < 0:
                    grown = used
                    next_high[used], next_low[used], next_lengths[used] = grown_hi, grown_lo, length + 1
                    next_blank[used], next_char[used] = 0.0, 0.0
                    used += 1
                if k == last:
                    next_char[same] += p_char[i] * p  # a repeat without a blank collapses into the same char
                    next_char[grown] += p_blank[i] * p
                else:
                    next_char[grown] += (p_blank[i] + p_char[i]) * p
        for r in range(used):
            totals[r] = next_blank[r] + next_char[r]
        order = np.argsort(-totals[:used], kind="mergesort")  # stable: ties keep their order, as sorted() does
        held = min(beam_width, used)
        total = 0.0
        for r in range(held):
            total += totals[order[r]]
        if total <= 0.0:
            break
        log_scale += math.log(total)
        for r in range(held):
            o = order[r]
            high[r], low[r], lengths[r] = next_high[o], next_low[o], next_lengths[o]
            p_blank[r], p_char[r] = next_blank[o] / total, next_char[o] / total
    scores = np.empty(held)
    for i in range(held):
        scores[i] = math.log(max(p_blank[i] + p_char[i], FLOOR)) + log_scale
    return high[:held].copy(), low[:held].copy(), lengths[:held].copy(), scores, True


@njit(cache=True)
def forward_prefixes(
    frames: np.ndarray,
    item_start: np.ndarray,
    item_frames: np.ndarray,
    text_item: np.ndarray,
    labels: np.ndarray,
    label_start: np.ndarray,
    out: np.ndarray,
    out_start: np.ndarray,
) -> None:
    """The CTC forward algorithm for many texts, each on its own item's frames.

    ``frames`` stacks every item's ``(T, C)`` probabilities (floored at :data:`FLOOR`); item
    ``i`` holds ``item_frames[i]`` of them from row ``item_start[i]``. Text ``r`` reads item
    ``text_item[r]`` and is ``labels[label_start[r]:label_start[r + 1]]`` (classes, at least 1).
    Writes ``log p(text[:k] | frames)`` for ``k = 0 .. len(text)`` at ``out[out_start[r]:]``,
    :data:`NEG_INF` where impossible. Items without frames are left to the caller.

    The recursion runs on probabilities, the states rescaled by their largest every
    :data:`RESCALE_EVERY` frames and the scales kept as logs, over the blank-interleaved
    labels (state ``2j + 1`` is character ``j``; a character may follow the previous one
    directly when they differ).
    """
    longest = 0
    for r in range(text_item.shape[0]):
        longest = max(longest, label_start[r + 1] - label_start[r])
    alpha = np.zeros(2 * longest + 1)
    for r in range(text_item.shape[0]):
        item = text_item[r]
        n_frames, row0 = item_frames[item], item_start[item]
        if n_frames == 0:
            continue
        lab0, n_chars = label_start[r], label_start[r + 1] - label_start[r]
        n_states = 2 * n_chars + 1
        alpha[:n_states] = 0.0
        alpha[0] = frames[row0, 0]
        if n_states > 1:
            alpha[1] = frames[row0, labels[lab0]]
        log_scale = 0.0
        for t in range(1, n_frames):
            row = row0 + t
            for s in range(n_states - 1, -1, -1):  # downwards, so states below still hold frame t - 1
                value = alpha[s]
                if s >= 1:
                    value += alpha[s - 1]
                if s >= 3 and s % 2 == 1 and labels[lab0 + s // 2] != labels[lab0 + s // 2 - 1]:
                    value += alpha[s - 2]
                alpha[s] = value * frames[row, labels[lab0 + s // 2] if s % 2 == 1 else 0]
            if t % RESCALE_EVERY == 0 or t == n_frames - 1:
                top = 0.0
                for s in range(n_states):
                    top = max(top, alpha[s])
                if top <= 0.0:
                    top = 1.0
                for s in range(n_states):
                    alpha[s] /= top
                log_scale += math.log(top)
        at = out_start[r]
        out[at] = math.log(alpha[0]) + log_scale if alpha[0] > 0.0 else NEG_INF
        for k in range(1, n_chars + 1):
            ends = alpha[2 * k - 1] + alpha[2 * k]  # the prefix's last character, or a blank after it
            out[at + k] = math.log(ends) + log_scale if ends > 0.0 else NEG_INF


def as_int64(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """``values`` as a contiguous int64 array (what the kernels take for indices)."""
    return np.ascontiguousarray(values, dtype=np.int64)


@njit(cache=True)
def viterbi_states(emit: np.ndarray, skip: np.ndarray) -> tuple[np.ndarray, bool]:
    """The most likely alignment's state per frame, for ``emit`` (``(T, S)`` log-probabilities of
    each frame emitting each state's class) and ``skip`` (where a state may be reached from two
    states back, over a blank); ``False`` when no alignment reaches the end.

    Ties go to staying, then to one step, as in :func:`anpr.ocr_ctc.char_confidences`' alignments
    since they were first written in numpy (the same sums, so the same paths).
    """
    n_frames, n_states = emit.shape
    back = np.zeros((n_frames, n_states), np.int8)
    score = np.full(n_states, NEG_INF)
    score[0] = emit[0, 0]
    if n_states > 1:
        score[1] = emit[0, 1]
    previous = np.empty(n_states)
    for t in range(1, n_frames):
        previous[:] = score
        for s in range(n_states):
            best, move = previous[s], 0
            if s >= 1 and previous[s - 1] > best:
                best, move = previous[s - 1], 1
            if s >= 2 and skip[s] and previous[s - 2] > best:
                best, move = previous[s - 2], 2
            back[t, s] = move
            score[s] = best + emit[t, s]
    end = n_states - 1 if n_states == 1 or score[n_states - 1] >= score[n_states - 2] else n_states - 2
    path = np.empty(n_frames, np.int64)
    if score[end] <= NEG_INF / 2:
        return path[:0], False
    path[n_frames - 1] = end
    for t in range(n_frames - 1, 0, -1):
        path[t - 1] = path[t] - back[t, path[t]]
    return path, True


def warm_up() -> None:
    """Compile every kernel now (or load it from the cache), with the argument types the decoding
    passes, so the first frame a process reads does not pay for it (about 3 s on a first run,
    0.4 s from the cache)."""
    values = np.ascontiguousarray([[0.5, 0.5], [0.9, 0.1]], dtype=np.float64)
    prefix_beams(values, as_int64([0, 1, 1]), as_int64([1]), np.array([0.5]), 2, 2, max_code_length(2))
    out = np.full(2, NEG_INF)
    forward_prefixes(
        values, as_int64([0]), as_int64([2]), as_int64([0]), as_int64([1]), as_int64([0, 1]), out, as_int64([0, 2])
    )
    viterbi_states(np.log(values), np.zeros(2, np.bool_))
