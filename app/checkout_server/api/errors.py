"""API-edge errors (HTTP meaning only); the error middleware renders them like every UserFacingError."""

from __future__ import annotations

import pydantic

from app.checkout_server.api.messages import sentence
from app.core.errors import UserFacingError, ValidationError


class BadRequest(UserFacingError):
    code = "bad_request"
    http_status = 400


class Forbidden(UserFacingError):
    code = "forbidden"
    http_status = 403


class PayloadTooLarge(UserFacingError):
    code = "payload_too_large"
    http_status = 413


class ServiceUnavailable(UserFacingError):
    code = "unavailable"
    http_status = 503


def from_pydantic(exc: pydantic.ValidationError, *, prefix: str = "") -> UserFacingError:
    """The first problem, with a stable code: unknown_field, missing_field, invalid_json or invalid_value."""
    error = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in error["loc"]) or None
    name = f"{prefix}{field}" if field else prefix.rstrip(".") or None
    kind = error["type"]
    if kind == "json_invalid":
        return BadRequest("The request body is not valid JSON.", code="invalid_json")
    if kind == "extra_forbidden":
        return ValidationError(f"Unknown field '{name}'.", code="unknown_field", field=name)
    if kind == "missing":
        return ValidationError(f"Field '{name}' is required.", code="missing_field", field=name)
    return ValidationError(sentence(error, name), code="invalid_value", field=name)


class Unauthorized(UserFacingError):
    code = "unauthorized"
    http_status = 401
