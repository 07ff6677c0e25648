"""Per-recipient unsubscribe tokens: opaque, signed, short enough for a mailto plus-address.

A token names an agent and a lead, never an address: 21 bytes written in
lower-case base32 (34 characters; case-insensitive, because mail systems may
fold the case of a local part)::

    key id (1) | agent id (2) | lead id (4) | issued, days since 2020-01-01 (2) | HMAC-SHA256 (first 12)

The MAC covers a context string and the first 9 bytes. The key id is the
first byte of SHA-256 of the key, so old keys are found without a lookup table;
an old key verifies until its ``verify_until`` time (rotation), and a token
older than ``max_age_days`` is refused (unsubscribe links must work for at
least 30 days after a mail: CAN-SPAM; the default keeps them for two years).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path

EPOCH = date(2020, 1, 1)
_CONTEXT = b"sqa-unsubscribe-v1"
_BODY = struct.Struct(">BHIH")  # key id, agent id, lead id, day
_MAC_BYTES = 12
TOKEN_BYTES = _BODY.size + _MAC_BYTES
TOKEN_CHARS = 34
MIN_KEY_BYTES = 16


class TokenProblem(StrEnum):
    MALFORMED = "malformed"  # wrong length or alphabet: truncated or mangled
    UNKNOWN_KEY = "unknown_key"  # signed with a key we do not hold (or one retired)
    BAD_SIGNATURE = "bad_signature"  # tampered
    EXPIRED = "expired"


class TokenError(ValueError):
    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Claims:
    agent_id: int
    lead_id: int
    issued: date


@dataclass(frozen=True, slots=True)
class VerifyKey:
    secret: bytes
    verify_until: datetime | None = None  # None: the current key


def key_id(secret: bytes) -> int:
    return hashlib.sha256(secret).digest()[0]


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def _unb32(text: str) -> bytes:
    text = text.strip().upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


class TokenSigner:
    def __init__(self, current: bytes, old: tuple[VerifyKey, ...] = (), max_age_days: int = 730) -> None:
        if len(current) < MIN_KEY_BYTES:
            raise ValueError(f"the token key must be at least {MIN_KEY_BYTES} bytes")
        self._current = current
        self._keys = (VerifyKey(current), *old)
        self.max_age = timedelta(days=max_age_days)

    def sign(self, agent_id: int, lead_id: int, today: date | None = None) -> str:
        day = ((today or datetime.now(timezone.utc).date()) - EPOCH).days
        if not (0 <= agent_id < 1 << 16 and 0 <= lead_id < 1 << 32):
            raise ValueError(f"agent {agent_id} / lead {lead_id} out of the token's range")
        body = _BODY.pack(key_id(self._current), agent_id, lead_id, day)
        return _b32(body + self._mac(self._current, body))

    def verify(self, token: str, now: datetime | None = None) -> Claims:
        """The claims of a genuine, current token; else TokenError saying why."""
        now = now or datetime.now(timezone.utc)
        if len(token.strip()) != TOKEN_CHARS:
            raise TokenError(TokenProblem.MALFORMED)
        try:
            raw = _unb32(token)
        except ValueError:
            raise TokenError(TokenProblem.MALFORMED) from None
        if len(raw) != TOKEN_BYTES:
            raise TokenError(TokenProblem.MALFORMED)
        body, mac = raw[: _BODY.size], raw[_BODY.size:]
        kid, agent_id, lead_id, day = _BODY.unpack(body)
        candidates = [k for k in self._keys if key_id(k.secret) == kid and (k.verify_until is None or now <= k.verify_until)]
        if not candidates:
            raise TokenError(TokenProblem.UNKNOWN_KEY)
        if not any(hmac.compare_digest(self._mac(k.secret, body), mac) for k in candidates):
            raise TokenError(TokenProblem.BAD_SIGNATURE)
        issued = EPOCH + timedelta(days=day)
        if now.date() - issued > self.max_age:
            raise TokenError(TokenProblem.EXPIRED)
        return Claims(agent_id, lead_id, issued)

    @staticmethod
    def _mac(secret: bytes, body: bytes) -> bytes:
        return hmac.new(secret, _CONTEXT + body, hashlib.sha256).digest()[:_MAC_BYTES]


def load_or_create_key(path: Path) -> bytes:
    """The key in ``path``; a new random one (mode 0600) when there is none: the embedded default."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = base64.urlsafe_b64encode(os.urandom(32))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes().strip()
    try:
        os.write(fd, secret + b"\n")
    finally:
        os.close(fd)
    return secret
