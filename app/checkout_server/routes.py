"""The server's features, in setup order, and the one table of their routes.

Every route declares itself public (shopper-facing) or private (app.checkout_server.feature.Route).
"""

from __future__ import annotations

from app.checkout_server import exposure, guards, health
from app.checkout_server.api import routes as api
from app.checkout_server.feature import Feature, Route
from app.checkout_server.greenfield import routes as greenfield
from app.checkout_server.refunds import routes as refunds
from app.checkout_server.shopper import routes as shopper
from app.checkout_server.terminal import routes as terminal

FEATURES = (
    Feature(setup=exposure.setup),  # first: the real client address for everything after it
    Feature(setup=guards.setup),  # then: Host and Origin checks before any handler runs
    Feature(health.routes),
    Feature(shopper.routes, shopper.setup),
    Feature(refunds.routes, refunds.setup),  # after shopper: its catalogs, assets and templates
    Feature(terminal.routes, terminal.setup),  # the web till at /t/; after shopper (catalogs, headers, QR)
    Feature(api.routes, api.setup),
    Feature(greenfield.routes, greenfield.setup),
)


def route_table() -> list[Route]:
    return [route for feature in FEATURES for route in feature.routes()]
