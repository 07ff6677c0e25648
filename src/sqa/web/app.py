"""The daemon's ASGI application."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from sqa.web.client import parse_networks
from sqa.web.guard import Guard
from sqa.web.observe import ObserveRoutes
from sqa.web.ratelimit import RateLimiter
from sqa.web.unsubscribe import UnsubscribeRoutes

if TYPE_CHECKING:
    from sqa.daemon.app import App


def make_web_app(app: App) -> Starlette:
    """Routes: GET /healthz, /livez, /metrics; GET and POST /u/{token}; POST /u/{token}/confirm and /u/{token}/resubscribe."""
    web = app.settings.web
    u = UnsubscribeRoutes(app)
    o = ObserveRoutes(app)
    routes = [
        Route("/healthz", o.healthz, methods=["GET"]),
        Route("/livez", o.livez, methods=["GET"]),
        Route("/metrics", o.prometheus, methods=["GET"]),
        Route("/u/{token}", u.page, methods=["GET"]),
        Route("/u/{token}", u.one_click, methods=["POST"]),
        Route("/u/{token}/confirm", u.confirm, methods=["POST"]),
        Route("/u/{token}/resubscribe", u.resubscribe, methods=["POST"]),
    ]
    guard = Middleware(Guard, limiter=RateLimiter(web.rate_limit_per_minute),
                       trusted=parse_networks(web.trusted_proxies))
    return Starlette(routes=routes, middleware=[guard])
