"""Plate and container numbers typed into a search: checked against their grammars before any query.

Pure functions. A plate must read as a Vietnamese plate (Circular 79/2024/TT-BCA,
via :func:`anpr.plates.parse`) and a container number must pass the ISO 6346
check digit (:func:`anpr.containers.parse`), unless the caller asks for the
text as read (``raw``), which the OCR may have stored for an unreadable
pass. Either way only letters, digits and the usual separators are allowed,
so quotes, semicolons and other SQL-like text are refused with a reason.
"""

from __future__ import annotations

import re

from anpr import containers, plates
from anpr.errors import InvalidInputError

_TYPED = re.compile(r"[A-Za-z0-9Đđ .\-/|_,:]{1,64}")


def _typed(text: str, what: str) -> None:
    if not _TYPED.fullmatch(text):
        raise InvalidInputError(
            f"{what} {text[:64]!r} may only hold letters, digits, spaces and . - / | _ , : (at most 64 characters)"
        )


def plate_query(text: str, raw: bool = False) -> str:
    """The normalised plate to search for (``51c-123.45`` -> ``51C12345``)."""
    _typed(text, "plate")
    if raw:
        norm = plates.normalize(text)
        if not 4 <= len(norm) <= 12:
            raise InvalidInputError(f"plate {text!r}: 4-12 letters and digits expected")
        return norm
    parsed = plates.parse(text)
    if parsed is None:
        raise InvalidInputError(
            f"{text!r} is not a Vietnamese plate (Circular 79/2024/TT-BCA); "
            "use raw=true to search for text exactly as the OCR read it"
        )
    return parsed.text


def container_query(text: str, raw: bool = False) -> str:
    """The normalised container number to search for (``msku 123456 7`` -> ``MSKU1234567``)."""
    _typed(text, "container number")
    if raw:
        norm = containers.normalize(text)
        if norm is None or not 4 <= len(norm) <= 16:
            raise InvalidInputError(f"container number {text!r}: 4-16 letters and digits expected")
        return norm
    parsed = containers.parse(text)
    if parsed is None:
        raise InvalidInputError(
            f"{text!r} is not a valid ISO 6346 container number (owner code, category, serial, check digit); "
            "use raw=true to search for text exactly as the OCR read it"
        )
    return parsed.number
