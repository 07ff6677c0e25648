"""The token signer of a configuration: the configured key, or one made once in the state directory."""

from __future__ import annotations

from datetime import timezone

from sqa.config import Settings
from sqa.consent.tokens import TokenSigner, VerifyKey, load_or_create_key


def make_signer(settings: Settings) -> TokenSigner:
    c = settings.consent
    if c.token_key is not None:
        current = c.token_key.get_secret_value().encode("utf-8")
    else:
        current = load_or_create_key(settings.state_dir / "keys" / "token.key")
    old = tuple(VerifyKey(k.key.get_secret_value().encode("utf-8"),
                          k.verify_until if k.verify_until.tzinfo else k.verify_until.replace(tzinfo=timezone.utc))
                for k in c.old_keys if k.key is not None)
    return TokenSigner(current, old, c.token_max_age_days)
