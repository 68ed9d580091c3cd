"""Reading and writing images, with our own errors at the boundary."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import cv2
import numpy as np

from anpr.errors import ImageReadError
from anpr.types import ImageArray


def load_image(path: str | Path) -> ImageArray:
    """A BGR ``(h, w, 3)`` uint8 image, or :class:`ImageReadError` saying why not."""
    p = Path(path)
    if not p.exists():
        raise ImageReadError(f"no such file: {p}")
    if not p.is_file():
        raise ImageReadError(f"not a file: {p}")
    image = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise ImageReadError(f"not a readable image: {p}")
    return cast(ImageArray, image)


def decode_image(data: bytes) -> ImageArray:
    """Decode encoded image bytes (JPEG, PNG, ...) to BGR, or raise :class:`ImageReadError`."""
    if not data:
        raise ImageReadError("empty image data")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise ImageReadError("data is not a decodable image")
    return cast(ImageArray, image)


def try_load(path: str | Path) -> ImageArray | None:
    """:func:`load_image`, or ``None`` when the file is missing or unreadable."""
    try:
        return load_image(path)
    except ImageReadError:
        return None
