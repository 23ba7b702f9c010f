"""Shared model bases and field types. Money: `*_sat` integers; fiat amounts are decimal strings."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.limits import MAX_JSON_DEPTH, MAX_MAGNITUDE, MAX_NUMBER_CHARS


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(**kwargs: Any) -> Any:
    """A PATCH field: may be omitted, but when given must have the declared type (null is not allowed)."""
    return Field(default=None, json_schema_extra=_drop_default, **kwargs)


class RequestModel(BaseModel):
    """JSON bodies: strict types (no "1" for 1, no 1.0 for 1), unknown fields rejected (`unknown_field`)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class QueryModel(BaseModel):
    """Query strings: values are text and converted; unknown parameters rejected (`unknown_field`)."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
DecimalString = Annotated[str, Field(pattern=r"^[0-9]{1,16}(\.[0-9]{1,8})?$", examples=["12.50"],
                                     description="A decimal number as a string (never a float).")]
Percent = Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,4})?$", examples=["2.5"],
                               description="0 to 100, as a decimal string.")]
SatAmount = Annotated[int, Field(ge=0, le=21_000_000 * 100_000_000, description="Satoshis.")]
JsonObject = Annotated[dict[str, Any], Field(description=(
    f"Any JSON object, nested at most {MAX_JSON_DEPTH} levels (the whole body counts), with numbers of at most "
    f"{MAX_NUMBER_CHARS} characters below 10^{MAX_MAGNITUDE}."))]


class ErrorDetail(ResponseModel):
    code: str = Field(description="Stable machine-readable code; match on this, never on the message.")
    message: str
    field: str | None = Field(default=None, description="The offending input, when there is one.")


class ErrorResponse(ResponseModel):
    error: ErrorDetail


class Paging(QueryModel):
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=50, ge=1, le=200)
