"""Optional DKIM signing: the mail the SMTP server receives verifies, and h= covers both List-Unsubscribe headers."""

from __future__ import annotations

import base64
import re
import subprocess

import dkim
import pytest

from sqa.config import ConfigError
from sqa.daemon.app import build_app
from sqa.daemon.supervisor import drain_once
from sqa.leads import LeadInput, add_lead, queue_first_mails
from tests.support import LEAD_DOMAIN, agent_dict, make_settings


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory) -> tuple[str, bytes]:
    """(private PEM, public DER) made by openssl."""
    d = tmp_path_factory.mktemp("dkim")
    subprocess.run(["openssl", "genrsa", "-out", str(d / "k.pem"), "2048"], check=True, capture_output=True)
    subprocess.run(["openssl", "rsa", "-in", str(d / "k.pem"), "-pubout", "-outform", "DER", "-out", str(d / "k.der")],
                   check=True, capture_output=True)
    return (d / "k.pem").read_text(), (d / "k.der").read_bytes()


def _dns(public_der: bytes):
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der)

    def lookup(name, timeout=5):  # noqa: ANN001, ANN202 - dkimpy's dnsfunc
        return record if name == b"sqa1._domainkey.agent.test." else None
    return lookup


async def test_signed_mail_verifies_and_covers_list_unsubscribe(tmp_path, dovecot, smtp_sink, rsa_key):
    private, public = rsa_key
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink, dkim={"selector": "sqa1", "private_key": private})])
    app = await build_app(settings)
    try:
        agent = app.agents[0]
        await add_lead(app.sessionmaker, agent.runtime.id, LeadInput(email=f"lee@{LEAD_DOMAIN}", name="Lee"))
        await queue_first_mails(app.sessionmaker, agent.runtime)
        await drain_once(app)
        raw = bytes((await smtp_sink.wait_for(1))[0].raw)
    finally:
        await app.close()
    assert raw.startswith(b"DKIM-Signature:")
    assert dkim.verify(raw, dnsfunc=_dns(public))
    header = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n\t", b"").replace(b"\r\n ", b" ").decode()
    signed = re.search(r"\bh=([^;]+)", header).group(1).replace(" ", "").lower().split(":")
    assert {"list-unsubscribe", "list-unsubscribe-post", "from", "subject", "message-id"} <= set(signed)
    assert "d=agent.test" in header and "s=sqa1" in header
    # a relay that changes or adds a List-Unsubscribe header breaks the signature
    tampered = re.sub(rb"List-Unsubscribe:\s*<[^>]+>", b"List-Unsubscribe: <https://evil.example/x>", raw, count=1)
    assert tampered != raw and not dkim.verify(tampered, dnsfunc=_dns(public))
    added = raw.replace(b"\r\n\r\n", b"\r\nList-Unsubscribe: <https://evil.example/y>\r\n\r\n", 1)
    assert not dkim.verify(added, dnsfunc=_dns(public))


async def test_a_bad_key_is_a_config_error_at_start(tmp_path, dovecot, smtp_sink):
    settings = make_settings(tmp_path, [agent_dict(dovecot, smtp_sink, dkim={"selector": "sqa1", "private_key": "not a key"})])
    with pytest.raises(ConfigError, match=r"agents\[0\]\.dkim\.private_key"):
        await build_app(settings)
