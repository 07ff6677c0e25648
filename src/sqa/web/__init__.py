"""The daemon's HTTP side: the unsubscribe pages and RFC 8058 one-click POST, served in the daemon's loop."""

from sqa.web.app import make_web_app
from sqa.web.server import WebBindError, WebServer

__all__ = ["WebBindError", "WebServer", "make_web_app"]
