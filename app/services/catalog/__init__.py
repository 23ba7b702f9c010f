"""Catalog: stores, products and their images."""
