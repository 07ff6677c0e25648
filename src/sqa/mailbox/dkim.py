"""DKIM signing (RFC 6376) of outgoing mail with dkimpy, when an agent has a key.

Signed once, when the mail is rendered and queued: the stored bytes are what
is sent (and resent after a crash), so the signature always matches. ``h=``
covers both List-Unsubscribe headers (STANDARDS.md) and is over-signed for
them and the identity headers, so a relay cannot add a second copy.
"""

from __future__ import annotations

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

from sqa.config import ConfigError, DkimSettings

SIGNED = (b"from", b"to", b"subject", b"date", b"message-id", b"in-reply-to", b"references", b"mime-version",
          b"content-type", b"content-transfer-encoding", b"list-unsubscribe", b"list-unsubscribe-post")
OVERSIGNED = (b"from", b"subject", b"list-unsubscribe", b"list-unsubscribe-post")  # absent copies signed as empty


class DkimSigner:
    def __init__(self, settings: DkimSettings, default_domain: str, where: str = "dkim") -> None:
        self.selector = settings.selector.encode("ascii")
        self.domain = (settings.domain or default_domain).lower().encode("idna")
        self._key = settings.key()
        try:
            parse_pem_private_key(self._key)
        except (UnparsableKeyError, ValueError, IndexError) as exc:
            raise ConfigError(f"{where}.private_key: not a PEM RSA private key ({exc})") from None

    def sign(self, raw: bytes) -> bytes:
        """``raw`` (LF line ends, as compose.render gives) with a DKIM-Signature header in front."""
        crlf = raw.replace(b"\n", b"\r\n")
        header = dkim.sign(crlf, self.selector, self.domain, self._key, canonicalize=(b"relaxed", b"relaxed"),
                           include_headers=list(SIGNED + OVERSIGNED))
        return header.replace(b"\r\n", b"\n") + raw
