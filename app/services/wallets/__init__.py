"""Wallets: watch-only and hot wallets, address allocation and usage."""
