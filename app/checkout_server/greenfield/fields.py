"""Small field readers shared by the Greenfield routes."""

from __future__ import annotations

from app.core.errors import ValidationError


def optional_text(value: object, field: str) -> str | None:
    """A JSON string field, or None when absent; anything else is a 422 naming ``field``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"'{field}' must be a string.", field=field)
    return value
