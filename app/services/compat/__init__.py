"""Compatibility adapters for other processors' clients."""
