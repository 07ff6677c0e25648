"""SMTP submission adapter over aiosmtplib. Nothing from aiosmtplib leaks past it.

Security: implicit TLS (465) or mandatory STARTTLS (587), certificates and host
names verified with the system trust store; ``plain`` only on loopback (the
config refuses it elsewhere). AUTH is never sent before TLS. AUTH is PLAIN/LOGIN
with the password, or XOAUTH2 with an OAuth2 access token (sqa.mailbox.oauth).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

import aiosmtplib
import aiosmtplib.protocol

from sqa.config import AuthMethod, Security, SmtpSettings
from sqa.mailbox.oauth import OAuthError, TokenProvider, provider_for


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


class SmtpTokenError(SmtpAuthFailed):
    """No OAuth2 access token (the refresh failed): the token provider has already raised the alert."""

    alerted = True


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

    def __init__(self, settings: SmtpSettings, tokens: TokenProvider | None = None) -> None:
        self.settings = settings
        self.tokens = tokens  # for auth = "xoauth2"; default: the agent's registered provider
        self._smtp: aiosmtplib.SMTP | None = None

    @property
    def connected(self) -> bool:
        return self._smtp is not None and self._smtp.is_connected

    async def connect(self) -> None:
        s = self.settings
        # verifies certificate and host name; not built for plain loopback (it costs ~25 ms)
        context = ssl.create_default_context() if s.security is not Security.PLAIN else None
        smtp = aiosmtplib.SMTP(
            hostname=s.host, port=s.port, timeout=s.timeout_s,
            use_tls=s.security is Security.TLS,
            start_tls=True if s.security is Security.STARTTLS else False,
            tls_context=context,
        )
        try:
            await smtp.connect()
            if s.auth is AuthMethod.XOAUTH2 or s.password is not None or s.password_credential:
                await smtp.ehlo()  # connect() only says EHLO for STARTTLS: learn the extensions (AUTH) first
                if not smtp.supports_extension("auth"):
                    raise SmtpAuthFailed(None, "server offers no AUTH")
                if s.auth is AuthMethod.XOAUTH2:
                    await self._xoauth2(smtp)
                else:
                    await smtp.login(s.username, s.secret())
        except SmtpAuthFailed:
            smtp.close()
            raise
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

    async def _xoauth2(self, smtp: aiosmtplib.SMTP) -> None:
        """AUTH XOAUTH2; a refused token (535) gets one fresh token and one more try."""
        s = self.settings
        if "xoauth2" not in smtp.server_auth_methods:
            raise SmtpAuthFailed(None, "server offers no AUTH XOAUTH2")
        try:
            tokens = self.tokens or provider_for(s)
        except OAuthError as exc:  # not set up (a tool that did not register the agents): no alert was raised
            raise SmtpAuthFailed(None, f"XOAUTH2 login as {s.username}: {exc}") from None
        stale: str | None = None
        for attempt in range(2):
            try:
                token = await tokens.token(stale=stale)
            except OAuthError as exc:
                raise SmtpTokenError(None, f"XOAUTH2 login as {s.username}: {exc}") from None
            try:
                await smtp.auth_xoauth2(s.username, token)
                return
            except aiosmtplib.SMTPAuthenticationError as exc:
                if attempt or exc.code != 535:
                    raise
                stale = token

    async def send(self, mail_from: str, rcpt: str, raw: bytes, before_data: Callable[[], None] | None = None) -> str:
        """Send one message; return the server's final reply.

        ``before_data`` runs just before the final ``.`` of the message data is
        handed over: the point after which a lost connection is an unknown
        outcome (before it, the server cannot have taken the message).
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
        handed_over = [False]
        try:
            response = await self._data(smtp, raw, before_data, handed_over)
        except aiosmtplib.SMTPResponseException as exc:
            err = _map_response(exc)
            await self._after_error(err)
            raise err from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            self.close()
            if not handed_over[0]:  # no final "." went out: the server cannot have taken the message
                raise SmtpTemporary(None, f"connection lost during DATA, before the end of the data: {exc}") from None
            raise SmtpUnknownOutcome(None, f"connection lost during DATA: {exc}") from None
        return f"{response.code} {response.message}"

    async def _data(self, smtp: aiosmtplib.SMTP, raw: bytes, before_data: Callable[[], None] | None,
                    handed_over: list[bool]) -> aiosmtplib.SMTPResponse:
        """DATA, the message, then ``before_data()`` and only then the final ``.`` line.

        A server takes the message with the final dot (RFC 5321 4.1.1.4: data cut
        short is discarded). Marking before the DATA command, as aiosmtplib's
        ``data()`` forces, left the 354 round trip and the whole message inside
        the window where a killed process counts as "unknown" and is never resent
        although the server never got it (benchmarks/crash.py lost answers that way).
        Now the window is the few instructions between the mark and handing the
        dot to the kernel; before the mark nothing was delivered and a resend is safe.
        """
        protocol = smtp.protocol
        lock = protocol._command_lock if protocol is not None else None  # aiosmtplib internals, pinned <6
        if protocol is None or lock is None:
            raise aiosmtplib.SMTPServerDisconnected("connection lost")
        timeout = self.settings.timeout_s
        body = aiosmtplib.protocol.PERIOD_REGEX.sub(b"..", aiosmtplib.protocol.normalize_message_line_endings(raw))
        async with lock:
            protocol._response_pending = True
            protocol.write(b"DATA\r\n")
            start = await protocol.read_response(timeout=timeout)
            if start.code != 354:
                raise aiosmtplib.SMTPDataError(start.code, start.message)
            protocol.write(body)
            transport = protocol.transport
            while transport is not None and transport.get_write_buffer_size():  # type: ignore[attr-defined]
                await asyncio.sleep(0.001)  # all but the final dot is with the kernel
                if protocol.transport is None:
                    raise aiosmtplib.SMTPServerDisconnected("connection lost")
            if before_data is not None:
                before_data()
            handed_over[0] = True
            protocol._response_pending = True
            protocol.write(b".\r\n")
            response = await protocol.read_response(timeout=timeout)
            if response.code != 250:
                raise aiosmtplib.SMTPDataError(response.code, response.message)
        return response

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
