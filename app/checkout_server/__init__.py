"""The embedded aiohttp server: shopper pages (public listener) and API/admin (private listener)."""
