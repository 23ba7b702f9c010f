"""The REST API (/api/v1) on the private listener: pydantic models define validation and OpenAPI."""
