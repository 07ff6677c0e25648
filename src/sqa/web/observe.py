"""GET /healthz and GET /metrics: the daemon's health and its Prometheus metrics.

Both carry operational data only (agent names, counts, times, mail servers'
error text), never lead data. Still, the web port usually sits behind the
public reverse proxy that serves the unsubscribe links, so the details are
for `web.metrics_allow` only (CIDRs; default loopback): the client address is
the one the guard decided (the socket peer, or the client a trusted proxy
names). /metrics answers anyone else 403. /healthz answers anyone else with
its status code and `{"status": ...}` alone, so an outside load balancer
probe still works.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sqa.observe import health
from sqa.observe.metrics import CONTENT_TYPE, Metrics
from sqa.web import pages
from sqa.web.client import Network, parse_networks

if TYPE_CHECKING:
    from sqa.daemon.app import App

LOOPBACK = ("127.0.0.0/8", "::1/128")


class ObserveRoutes:
    def __init__(self, app: App) -> None:
        self.app = app
        allow = getattr(app.settings.web, "metrics_allow", None)
        self.allow: tuple[Network, ...] = parse_networks(LOOPBACK if allow is None else allow)
        self.metrics = Metrics(app)

    def allowed(self, request: Request) -> bool:
        text = request.scope.get("state", {}).get("client_ip") or (request.client.host if request.client else "")
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return False
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        return any(addr.version == net.version and addr in net for net in self.allow)

    async def healthz(self, request: Request) -> Response:
        healthy, doc = await health.report(self.app)
        body = doc if self.allowed(request) else {"status": doc["status"]}
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def livez(self, _: Request) -> Response:
        """The process answers HTTP: no database, no detail (an HTTP round-trip floor for benchmarks)."""
        return pages.text("ok")

    async def prometheus(self, request: Request) -> Response:
        if not self.allowed(request):
            return pages.text("forbidden: /metrics is limited to web.metrics_allow", 403)
        return Response(await self.metrics.render(), media_type=CONTENT_TYPE)
