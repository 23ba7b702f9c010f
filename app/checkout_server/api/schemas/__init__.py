"""Pydantic models of the API: request models forbid unknown fields; they also generate OpenAPI."""
