"""SMTP submission adapter over aiosmtplib. Nothing from aiosmtplib leaks past it.

Security: implicit TLS (465) or mandatory STARTTLS (587), certificates and host
names verified with the system trust store; ``plain`` only on loopback (the
config refuses it elsewhere). AUTH is never sent before TLS.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import aiosmtplib

from sqa.config import Security, SmtpSettings


class SmtpError(Exception):
    """Base of our SMTP errors; carries the server's reply where there is one."""

    def __init__(self, code: int | None, text: str) -> None:
        super().__init__(f"{code} {text}" if code else text)
        self.code = code
        self.text = text

    @property
    def reply(self) -> str:
        return f"{self.code} {self.text}".strip() if self.code else self.text


class SmtpTemporary(SmtpError):
    """4yz or a lost connection before the message was handed over: retry later."""


class SmtpReconnect(SmtpTemporary):
    """421: the server is closing the connection; reconnect and retry."""


class SmtpPermanent(SmtpError):
    """5yz: this recipient failed; the reply is kept."""


class SmtpAuthFailed(SmtpError):
    """535 or no usable AUTH: stop sending for this agent and alert."""


class SmtpUnknownOutcome(SmtpError, ConnectionError):
    """Lost after the message data was sent, before the final reply: never resend blindly."""


def _map_response(exc: aiosmtplib.SMTPResponseException) -> SmtpError:
    code, text = exc.code, exc.message
    if code == 421:
        return SmtpReconnect(code, text)
    if code in (530, 534, 535, 538):
        return SmtpAuthFailed(code, text)
    if 400 <= code < 500:
        return SmtpTemporary(code, text)
    return SmtpPermanent(code, text)


class SmtpConnection:
    """One reusable connection to the submission server."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: aiosmtplib.SMTP | None = None

    @property
    def connected(self) -> bool:
        return self._smtp is not None and self._smtp.is_connected

    async def connect(self) -> None:
        s = self.settings
        context = ssl.create_default_context()  # verifies certificate and host name
        smtp = aiosmtplib.SMTP(
            hostname=s.host, port=s.port, timeout=s.timeout_s,
            use_tls=s.security is Security.TLS,
            start_tls=True if s.security is Security.STARTTLS else False,
            tls_context=context if s.security is not Security.PLAIN else None,
        )
        try:
            await smtp.connect()
            if s.password is not None or s.password_credential:
                await smtp.ehlo()  # connect() only says EHLO for STARTTLS: learn the extensions (AUTH) first
                if not smtp.supports_extension("auth"):
                    raise SmtpAuthFailed(None, "server offers no AUTH")
                await smtp.login(s.username, s.secret())
        except aiosmtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise SmtpAuthFailed(exc.code, exc.message) from None
        except aiosmtplib.SMTPResponseException as exc:
            smtp.close()
            raise _map_response(exc) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            smtp.close()
            raise SmtpTemporary(None, f"cannot connect to {s.host}:{s.port}: {exc}") from None
        self._smtp = smtp

    async def send(self, mail_from: str, rcpt: str, raw: bytes, before_data: Callable[[], None] | None = None) -> str:
        """Send one message; return the server's final reply.

        ``before_data`` runs just before the message data is handed over: the
        point after which a lost connection is an unknown outcome.
        """
        if not self.connected:
            await self.connect()
        smtp = self._smtp
        assert smtp is not None
        try:
            await smtp.mail(mail_from)
            await smtp.rcpt(rcpt)
        except aiosmtplib.SMTPResponseException as exc:
            err = _map_response(exc)
            await self._after_error(err)
            raise err from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            self.close()
            raise SmtpTemporary(None, f"connection lost before DATA: {exc}") from None
        if before_data is not None:
            before_data()
        try:
            response = await smtp.data(raw)
        except aiosmtplib.SMTPResponseException as exc:
            err = _map_response(exc)
            await self._after_error(err)
            raise err from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            self.close()
            raise SmtpUnknownOutcome(None, f"connection lost during DATA: {exc}") from None
        return f"{response.code} {response.message}"

    async def _after_error(self, err: SmtpError) -> None:
        if isinstance(err, SmtpReconnect) or not self.connected:
            self.close()
            return
        try:
            await self._smtp.rset()  # type: ignore[union-attr]
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            self.close()

    async def quit(self) -> None:
        if self._smtp is not None and self._smtp.is_connected:
            try:
                await self._smtp.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                pass  # closing anyway
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None
