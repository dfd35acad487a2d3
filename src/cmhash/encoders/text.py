"""Text handling shared by the text encoders: checking that a text is not empty."""

from __future__ import annotations

from cmhash.errors import InputError


def check_text(text: object) -> str:
    """The text itself; an :class:`InputError` if it is not a non-empty string."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"empty text ({text!r})")
    return text
