"""create_app(services, public=...) -> web.Application; the listener decides which routes exist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from app.checkout_server.errors import error_middleware
from app.checkout_server.keys import IS_PUBLIC, SERVICES
from app.checkout_server.routes import FEATURES
from app.checkout_server.shopper.keys import KNOWN_INVOICES

if TYPE_CHECKING:
    from app.services.container import Services

MAX_BODY_BYTES = 1024 * 1024


def create_app(services: Services, *, public: bool) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)
    app[SERVICES] = services
    app[IS_PUBLIC] = public
    for feature in FEATURES:
        if feature.setup is not None:
            feature.setup(app)
        for route in feature.routes():
            if route.public or not public:
                app.router.add_route(route.method, route.path, route.handler, name=route.name)
    if KNOWN_INVOICES in app:  # the invoice-id filter loads from the database file in a worker thread
        app[KNOWN_INVOICES].read_file(services.settings.db_path)
    return app
