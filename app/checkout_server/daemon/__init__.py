"""Bitcart-compatible daemon listener: JSON-RPC on POST /, error spec on GET /spec, events on GET /ws."""
