"""Security headers on every response of the listener (pages, JSON, assets, errors).

One strict policy: nothing inline, everything from our origin; QR codes may be data: images.
Only the modal checkout view (``/i/{id}?view=modal``) may be framed, by any origin.
"""

from __future__ import annotations

from aiohttp import web

from app.checkout_server.shopper.keys import FRAMEABLE

_BASE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'")
CSP = f"{_BASE_CSP}; frame-ancestors 'none'"
CSP_FRAMEABLE = f"{_BASE_CSP}; frame-ancestors *"


def security_headers(frameable: bool) -> dict[str, str]:
    """What add_security_headers sets, for responses that carry them from the start (pages.py)."""
    if frameable:
        return {"Content-Security-Policy": CSP_FRAMEABLE, "Referrer-Policy": "no-referrer",
                "X-Content-Type-Options": "nosniff"}
    return {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff"}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    if request.get(FRAMEABLE):
        headers.setdefault("Content-Security-Policy", CSP_FRAMEABLE)
    else:
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Content-Type-Options", "nosniff")
