"""Motion gating: decide cheaply whether a frame is worth running the detector on.

Each frame is subsampled by pixel striding to about ``width`` pixels across
(no full-size resize or colour conversion), turned grey, blurred a little to
ignore sensor noise, and compared with the previous sample. The frame is
*moving* when the share of pixels whose grey level changed by at least
``pixel_delta`` is at least ``threshold``. After motion the gate stays open
for ``hold_s`` seconds, so a vehicle that stops under the camera is still
analysed and tracks can end properly. An idle 1080p lane costs well under a
millisecond per sampled frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import cv2
import numpy as np
import numpy.typing as npt

from anpr.types import ImageArray


@dataclass(frozen=True, slots=True)
class MotionResult:
    """``score`` is the share of changed pixels in ``[0, 1]``; ``moving`` includes the hold time."""

    moving: bool
    score: float


def small_grey(image: ImageArray, width: int) -> npt.NDArray[np.uint8]:
    """A grey, lightly blurred copy about ``width`` pixels wide, made by striding (shape ``(h', w')``)."""
    step = max(1, int(image.shape[1]) // width)
    small = np.ascontiguousarray(image[::step, ::step])
    if small.ndim == 3 and small.shape[2] == 1:
        small = np.ascontiguousarray(small[:, :, 0])
    elif small.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if small.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        small = np.asarray(cv2.cvtColor(small, code), dtype=np.uint8)
    return np.asarray(cv2.GaussianBlur(small, (3, 3), 0), dtype=np.uint8)


class MotionGate:
    """Frame differencing on a small grey image; one instance per camera (not thread-safe)."""

    def __init__(self, threshold: float, pixel_delta: int = 24, width: int = 160, hold_s: float = 2.0) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        if not 1 <= pixel_delta <= 255 or width < 8 or hold_s < 0:
            raise ValueError("pixel_delta must be 1-255, width >= 8 and hold_s >= 0")
        self.threshold = threshold
        self.pixel_delta = pixel_delta
        self.width = width
        self.hold_s = hold_s
        self._previous: npt.NDArray[np.uint8] | None = None
        self._moving_until: datetime | None = None

    def reset(self) -> None:
        """Forget the reference frame (after a reconnect the scene may have changed)."""
        self._previous = None
        self._moving_until = None

    def update(self, image: ImageArray, timestamp: datetime) -> MotionResult:
        """Compare ``image`` with the previous one. The first frame, or one of a new size, counts as motion."""
        grey = small_grey(image, self.width)
        previous, self._previous = self._previous, grey
        if previous is None or previous.shape != grey.shape:
            score = 1.0
        else:
            changed = cv2.absdiff(grey, previous) >= self.pixel_delta
            score = float(np.count_nonzero(changed)) / float(changed.size)
        if score >= self.threshold and score > 0.0:
            self._moving_until = timestamp + timedelta(seconds=self.hold_s)
        held = self._moving_until is not None and timestamp <= self._moving_until
        return MotionResult(moving=held, score=score)
