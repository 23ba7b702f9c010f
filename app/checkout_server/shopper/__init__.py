"""Shopper-facing pages on the public listener: invoice checkout, receipt, ready store, checkout modal."""
