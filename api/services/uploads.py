"""Checks on uploaded images: declared type, the bytes' own signature, pixel count, then decoding.

The size limit is enforced earlier, while the body streams in
(:class:`api.middleware.BodyLimit`). Here a part whose declared type or
leading bytes are not an allowed image is refused (415, nothing decoded), an
image with more pixels than allowed is refused from its header alone (413),
and bytes that still do not decode are refused (415).
"""

from __future__ import annotations

import io
import warnings

import cv2
import numpy as np
from PIL import Image

from anpr.errors import ImageReadError
from anpr.types import ImageArray

SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/bmp", b"BM", 0),
    ("image/webp", b"WEBP", 8),
    ("image/tiff", b"II*\x00", 0),
    ("image/tiff", b"MM\x00*", 0),
)
GENERIC_TYPES = frozenset({"", "application/octet-stream"})


class TooManyPixelsError(ImageReadError):
    """An image whose header announces more pixels than allowed (a decompression bomb guard)."""


def sniff(data: bytes) -> str | None:
    """The image type the bytes start with, or ``None``."""
    for kind, magic, offset in SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (kind != "image/webp" or data[:4] == b"RIFF"):
            return kind
    return None


def check_type(declared: str | None, data: bytes, allowed: tuple[str, ...]) -> str:
    """The image type of ``data`` if it and the declared type are allowed; else ``ImageReadError``."""
    declared_type = (declared or "").split(";")[0].strip().lower()
    if declared_type not in GENERIC_TYPES and declared_type not in allowed:
        raise ImageReadError(f"unsupported content type {declared_type!r}; send one of {list(allowed)}")
    actual = sniff(data)
    if actual is None or actual not in allowed:
        raise ImageReadError(f"the upload is not an image of an allowed type ({', '.join(allowed)})")
    if declared_type not in GENERIC_TYPES and declared_type != actual:
        raise ImageReadError(f"declared {declared_type} but the bytes are {actual}")
    return actual


def pixel_count(data: bytes) -> int:
    """Width x height from the image header (nothing is decoded)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:
        raise TooManyPixelsError(f"image is too large to decode: {exc}") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageReadError(f"the upload is not a readable image: {exc}") from exc
    return int(width) * int(height)


def decode_image(data: bytes, declared: str | None, allowed: tuple[str, ...], max_pixels: int) -> ImageArray:
    """A BGR image from uploaded bytes, after every check above."""
    if not data:
        raise ImageReadError("the upload is empty")
    check_type(declared, data, allowed)
    pixels = pixel_count(data)
    if pixels > max_pixels:
        raise TooManyPixelsError(f"image has {pixels} pixels; the limit is {max_pixels}")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageReadError("the upload does not decode as an image (truncated or corrupt?)")
    return image.astype(np.uint8, copy=False)
