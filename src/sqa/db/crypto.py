"""Column encryption at rest with a customer-managed key (AES-256-GCM).

Why per column and not the whole database: the structured results (kinds, BANT
slots that are set, decisions, times) must stay queryable by SQL; what people
wrote (message text and subjects, the BANT evidence quotes, handoff summaries,
queued mail, OAuth tokens) is encrypted. A value is stored as

    enc:v1:<key id>:<urlsafe base64 of nonce(12) + ciphertext + tag>

- the prefix lets plaintext written before a key was set still read, and lets
  ``sqa keys status`` count values per key without decrypting them;
- the key id (8 hex digits of a hash of the key, nothing secret) picks the key to
  decrypt with, so old keys (``storage.old_keys``) keep working during a rotation;
- the column's name ("messages.text") is the GCM associated data: a value copied
  into another column does not decrypt.

The keyring lives on the engine's dialect (``use(engine, keyring)``), not in a
module global: two engines in one process (tests, a CLI next to the daemon) can
hold different keys, and nothing leaks from one test to the next. With no
keyring the types write plaintext (no cost beyond a ``None`` check) and still
refuse to hand out ciphertext as if it were text: a value that cannot be
decrypted raises DecryptError naming the column and the key id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, LargeBinary, Text, TypeDecorator

if TYPE_CHECKING:
    from sqa.config import Settings

PREFIX = "enc:v1:"
PREFIX_B = PREFIX.encode("ascii")
KID_LEN = 8
HEAD_LEN = len(PREFIX) + KID_LEN + 1  # "enc:v1:" + key id + ":"
NONCE_LEN = 12


class KeyFormatError(ValueError):
    """A configured key is not 32 bytes of (urlsafe) base64."""


class DecryptError(RuntimeError):
    """A stored value cannot be decrypted with any configured key (the message names the column)."""


def parse_key(text: str, where: str = "storage.key") -> bytes:
    """A 256-bit key from its base64 form (urlsafe or standard; a Fernet key is accepted)."""
    raw = text.strip()
    where = f"{where}: " if where else ""
    try:
        key = base64.urlsafe_b64decode(raw.replace("+", "-").replace("/", "_") + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise KeyFormatError(f"{where}not base64 (make one with `sqa keys generate`)") from None
    if len(key) != 32:
        raise KeyFormatError(f"{where}a key is 32 bytes in base64 (44 characters), not {len(key)} bytes "
                             "(make one with `sqa keys generate`)")
    return key


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def key_id(key: bytes) -> str:
    """A short public name for a key: stored with each value, shown by `sqa keys status`."""
    return hashlib.sha256(b"sqa-column-key:" + key).hexdigest()[:KID_LEN]


class Keyring:
    """The current key (encrypts) and the old ones (still decrypt)."""

    def __init__(self, current: bytes, old: Iterable[bytes] = ()) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.current_id = key_id(current)
        self._ciphers = {key_id(k): AESGCM(k) for k in (*old, current)}
        self._current = self._ciphers[self.current_id]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._ciphers)

    def seal(self, data: bytes, label: str) -> str:
        nonce = os.urandom(NONCE_LEN)
        body = base64.urlsafe_b64encode(nonce + self._current.encrypt(nonce, data, label.encode("utf-8")))
        return f"{PREFIX}{self.current_id}:{body.decode('ascii')}"

    def open(self, token: str, label: str) -> bytes:
        return _open(self, token, label)


def _open(keyring: Keyring | None, token: str, label: str) -> bytes:
    from cryptography.exceptions import InvalidTag

    kid = token[len(PREFIX):len(PREFIX) + KID_LEN]
    if keyring is None:
        raise DecryptError(f"{label}: the value is encrypted (key {kid}) but no key is configured (storage.key)")
    cipher = keyring._ciphers.get(kid)
    if cipher is None:
        raise DecryptError(f"{label}: the value is encrypted with key {kid}, which is not configured "
                           f"(storage.key / storage.old_keys hold {', '.join(keyring.key_ids)})")
    try:
        blob = base64.urlsafe_b64decode(token[HEAD_LEN:])
        return cipher.decrypt(blob[:NONCE_LEN], blob[NONCE_LEN:], label.encode("utf-8"))
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptError(f"{label}: the value under key {kid} does not decrypt (damaged, or from another column)") from None


def stored_key_id(value: Any) -> str | None:
    """The key id of a stored (raw) value, None for plaintext."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value[:HEAD_LEN]).decode("ascii", "replace")
    if isinstance(value, str) and value.startswith(PREFIX):
        return value[len(PREFIX):len(PREFIX) + KID_LEN]
    return None


# -- where the keyring lives: on the engine's dialect ---------------------------------------------


def use(engine: Any, keyring: Keyring | None) -> None:
    """Encrypt/decrypt through this engine (sync or async) with ``keyring`` (None: plaintext)."""
    sync = getattr(engine, "sync_engine", engine)
    sync.dialect.sqa_keyring = keyring


def keyring_of(engine_or_dialect: Any) -> Keyring | None:
    dialect = getattr(getattr(engine_or_dialect, "sync_engine", engine_or_dialect), "dialect", engine_or_dialect)
    return getattr(dialect, "sqa_keyring", None)


def keyring_from(settings: Settings, *, target: bytes | None = None) -> Keyring | None:
    """The keyring of ``settings.storage``; ``target`` (a rotation's new key) encrypts, the config's keys decrypt."""
    s = settings.storage
    keys = [parse_key(s.key.get_secret_value())] if s.key is not None else []
    keys += [parse_key(o.key.get_secret_value(), f"storage.old_keys[{i}]") for i, o in enumerate(s.old_keys) if o.key]
    if target is not None:
        return Keyring(target, keys)
    if not keys:
        return None
    return Keyring(keys[0], keys[1:])


# -- column types ----------------------------------------------------------------------------------


class _Sealed(TypeDecorator):
    """Encrypt on bind when the engine has a keyring; decrypt on result whatever it has (plaintext passes).

    ``label`` is "table.column": the associated data, and the name in errors.
    """

    cache_ok = True

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def to_bytes(self, value: Any) -> bytes:
        raise NotImplementedError

    def from_bytes(self, data: bytes) -> Any:
        raise NotImplementedError

    def stored(self, token: str) -> Any:
        return token

    def token_of(self, value: Any) -> str | None:
        return value if isinstance(value, str) and value.startswith(PREFIX) else None

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        keyring = getattr(dialect, "sqa_keyring", None)
        if value is None or keyring is None:
            return value
        return self.stored(keyring.seal(self.to_bytes(value), self.label))

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        token = self.token_of(value)
        if token is None:
            return value
        return self.from_bytes(_open(getattr(dialect, "sqa_keyring", None), token, self.label))


class EncryptedText(_Sealed):
    """Text, encrypted when the engine has a keyring."""

    impl = Text
    cache_ok = True

    def to_bytes(self, value: Any) -> bytes:
        return value.encode("utf-8")

    def from_bytes(self, data: bytes) -> Any:
        return data.decode("utf-8")


class EncryptedBytes(_Sealed):
    """Binary (a queued mail's bytes), encrypted when the engine has a keyring; stored as the ASCII token."""

    impl = LargeBinary
    cache_ok = True

    def to_bytes(self, value: Any) -> bytes:
        return bytes(value)

    def from_bytes(self, data: bytes) -> Any:
        return data

    def stored(self, token: str) -> Any:
        return token.encode("ascii")

    def token_of(self, value: Any) -> str | None:
        if value is None or bytes(value[:len(PREFIX_B)]) != PREFIX_B:
            return None
        return bytes(value).decode("ascii")


class EncryptedJSON(_Sealed):
    """JSON, encrypted when the engine has a keyring: the stored JSON is then one string, the token.

    No column type changes on either backend (a JSON string is JSON), so the
    migration needs no ALTER, and plaintext rows (objects) still read.
    """

    impl = JSON
    cache_ok = True

    def to_bytes(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), default=str).encode("utf-8")

    def from_bytes(self, data: bytes) -> Any:
        return json.loads(data)


ENCRYPTED_TYPES = (EncryptedText, EncryptedBytes, EncryptedJSON)
