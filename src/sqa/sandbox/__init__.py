"""Private throwaway servers on loopback for tests, ``sqa demo`` and benchmarks.

Dovecot (IMAP + LMTP), an in-loop SMTP sink, PostgreSQL, Mosquitto and an OAuth2 server, each
on 127.0.0.1 with free ports and a temp root directory.
"""

from .dovecot import DovecotError, DovecotServer
from sqa.mailbox.imapfetch import FetchedMessage, IdleEvent, parse_fetch_lines, parse_fetch_responses, parse_idle_push
from .mosquitto import MosquittoError, MosquittoServer
from .oauth_server import OAuthServer
from .ports import free_port, port_accepts, wait_port
from .postgres import PostgresError, PostgresServer
from .smtpsink import CapturedMail, RejectedMail, SmtpSink

__all__ = [
    "CapturedMail",
    "DovecotError",
    "DovecotServer",
    "FetchedMessage",
    "IdleEvent",
    "MosquittoError",
    "MosquittoServer",
    "OAuthServer",
    "PostgresError",
    "PostgresServer",
    "RejectedMail",
    "SmtpSink",
    "free_port",
    "parse_fetch_lines",
    "parse_fetch_responses",
    "parse_idle_push",
    "port_accepts",
    "wait_port",
]
