"""The private servers in sqa.sandbox really work (and the FETCH parser copes with real output)."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from email.message import EmailMessage

import aioimaplib
import aiosmtplib
import pytest

from sqa.sandbox import (
    CapturedMail,
    DovecotServer,
    SmtpSink,
    free_port,
    parse_fetch_lines,
    parse_fetch_responses,
    parse_idle_push,
)


def _user() -> str:
    return f"u{uuid.uuid4().hex[:10]}@example.com"


def _raw(subject: str, body: str = "hello", **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Lead <lead@example.org>"
    msg["To"] = "sales@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@example.org>"
    for k, v in headers.items():
        msg[k.replace("_", "-")] = v
    msg.set_content(body)
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


# --------------------------------------------------------------------------- parser (offline)

def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_parse_fetch_lines_aioimaplib_shapes() -> None:
    body1 = bytearray(b"Subject: a)\r\n\r\n) ( {5}\r\n\xc3\xa9\r\n")
    body2 = bytearray(b"Subject: b\r\n\r\nx\r\n")
    lines = [
        b'1 FETCH (UID 7 FLAGS (\\Seen $Qualified) INTERNALDATE "26-Nov-2025 09:31:37 +0100" BODY[] {%d}' % len(body1),
        body1,
        b")",
        # FLAGS after the literal, UID last, "* " prefix kept (aioimaplib continuation case)
        b"* 2 FETCH (BODY[] {%d}" % len(body2),
        body2,
        b" FLAGS () RFC822.SIZE 17 MODSEQ (12) UID 9)",
        # unsolicited flag update without UID: skipped by parse_fetch_lines
        b"3 FETCH (FLAGS (\\Deleted))",
        b"Fetch completed (0.001 + 0.000 secs).",
    ]
    parsed = parse_fetch_lines(lines)
    assert [(uid, body) for uid, body, _ in parsed] == [(7, bytes(body1)), (9, bytes(body2))]
    assert parsed[0][2]["FLAGS"] == ("\\Seen", "$Qualified")
    assert parsed[0][2]["INTERNALDATE"] == "26-Nov-2025 09:31:37 +0100"
    assert parsed[1][2] == {"FLAGS": (), "RFC822.SIZE": 17, "MODSEQ": 12}
    assert all(isinstance(body, bytes) for _, body, _ in parsed)

    full = parse_fetch_responses(lines)
    assert [m.seq for m in full] == [1, 2, 3]
    assert full[2].uid is None and full[2].flags == ("\\Deleted",)
    assert full[0].internaldate is not None and full[0].internaldate.utcoffset().total_seconds() == 3600


def test_parse_fetch_lines_sections_quoted_nil_and_truncation() -> None:
    hdr = bytearray(b"Message-ID: <x@y>\r\n\r\n")
    lines = [
        b'4 FETCH (UID 11 BODY[HEADER.FIELDS (MESSAGE-ID IN-REPLY-TO)] {%d}' % len(hdr),
        hdr,
        b' ENVELOPE ("date" "sub (with) \\"paren" NIL NIL NIL NIL NIL NIL NIL NIL) BODY[]<0> {0}',
        bytearray(),
        b")",
        # cut short: no closing ")" line before the next response
        b"5 FETCH (UID 12 BODY[] {3}",
        bytearray(b"abc"),
        b"6 FETCH (UID 13 FLAGS (\\Answered))",
    ]
    parsed = {uid: (body, items) for uid, body, items in parse_fetch_lines(lines)}
    assert parsed[11][0] == b""  # BODY[]<0> was empty
    assert parsed[11][1]["BODY[HEADER.FIELDS (MESSAGE-ID IN-REPLY-TO)]"] == bytes(hdr)
    assert parsed[11][1]["ENVELOPE"][1] == 'sub (with) "paren'
    assert parsed[12][0] == b"abc"
    assert parsed[13] == (b"", {"FLAGS": ("\\Answered",)})
    assert parse_fetch_lines([b"Fetch completed."]) == []
    assert parse_fetch_lines([]) == []


def test_parse_idle_push() -> None:
    events = parse_idle_push([b"2 EXISTS", b"1 RECENT", b"OK Still here", b"stop_wait_server_push"])
    assert [(e.kind, e.number) for e in events] == [("EXISTS", 2), ("RECENT", 1), ("OTHER", None), ("STOP", None)]


# --------------------------------------------------------------------------- Dovecot

async def test_imap_append_and_fetch_round_trip(dovecot: DovecotServer) -> None:
    user = _user()
    raws = [
        b"From: a@example.org\r\nSubject: (unbalanced\r\n\r\n) ) ( {12}\r\nna\xc3\xafve caf\xc3\xa9 \xff\r\n",
        _raw("second"),
        _raw("third", "x" * 5000),
    ]
    for raw in raws:
        await dovecot.append(user, raw)
    async with dovecot.imap(user, select="INBOX") as client:
        resp = await client.uid("fetch", "1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])")
    assert resp.result == "OK"
    # the exact shape aioimaplib returns (documented in sqa.sandbox.imapfetch)
    assert resp.lines[0].startswith(b"1 FETCH (UID 1 FLAGS (")
    assert isinstance(resp.lines[0], bytes) and resp.lines[0].endswith(b"BODY[] {%d}" % len(raws[0]))
    assert type(resp.lines[1]) is bytearray and resp.lines[1] == raws[0]
    assert resp.lines[2] == b")"
    assert resp.lines[-1].startswith(b"Fetch completed")
    parsed = parse_fetch_lines(resp.lines)
    assert [uid for uid, _, _ in parsed] == [1, 2, 3]
    assert [body for _, body, _ in parsed] == raws
    assert all("INTERNALDATE" in items and "FLAGS" in items for _, _, items in parsed)
    assert await dovecot.list_messages(user) == raws


async def test_seed_is_visible_over_imap(dovecot: DovecotServer) -> None:
    user = _user()
    raws = [_raw(f"seed {i}") for i in range(20)]
    assert dovecot.seed(user, raws) == 20
    assert dovecot.seed(user, [_raw("archived")], folder="Archive") == 1
    got = await dovecot.list_messages(user)
    assert sorted(got) == sorted(raws)
    assert len(await dovecot.list_messages(user, "Archive")) == 1
    assert (dovecot.maildir(user) / "new").is_dir()


async def test_keywords_and_special_use(dovecot: DovecotServer) -> None:
    user = _user()
    await dovecot.append(user, _raw("kw"))
    async with dovecot.imap(user) as client:
        listing = await client.protocol.execute(aioimaplib.Command(
            "LIST", client.protocol.new_tag(), "(SPECIAL-USE)", '""', '"*"', loop=client.protocol.loop))
        assert listing.result == "OK"
        assert any(b"\\Sent" in line and line.endswith(b"Sent") for line in listing.lines)
        sel = await client.select("INBOX")
        perm = [line for line in sel.lines if b"PERMANENTFLAGS" in line]
        assert perm and b"\\*" in perm[0]
        st = await client.uid("store", "1", "+FLAGS", "($Qualified sqa-followup)")
        assert st.result == "OK"
        resp = await client.uid("fetch", "1", "(UID FLAGS)")
    [(uid, body, items)] = parse_fetch_lines(resp.lines)
    assert uid == 1 and body == b""
    assert {"$Qualified", "sqa-followup"} <= set(items["FLAGS"])


async def test_idle_push_after_lmtp_delivery(dovecot: DovecotServer) -> None:
    user = _user()
    dovecot.lmtp_deliver(user, _raw("first"))
    async with dovecot.imap(user, select="INBOX") as client:
        idle = await client.idle_start(timeout=30)
        t0 = time.monotonic()
        await asyncio.to_thread(dovecot.lmtp_deliver, user, _raw("pushed"))
        push = await client.wait_server_push(timeout=3)
        latency = time.monotonic() - t0
        client.idle_done()
        await asyncio.wait_for(idle, 5)
    # measured format: [b'2 EXISTS', b'1 RECENT'] ("* " stripped, one list per TCP read)
    assert isinstance(push, list) and all(isinstance(x, bytes) for x in push)
    assert b"2 EXISTS" in push, push
    assert [(e.kind, e.number) for e in parse_idle_push(push) if e.kind == "EXISTS"] == [("EXISTS", 2)]
    assert latency < 3


async def test_kill_then_restart_keeps_port_and_mail() -> None:
    with DovecotServer.start() as server:
        user = _user()
        raw = _raw("survives")
        server.lmtp_deliver(user, raw)
        imap_port, lmtp_port = server.imap_port, server.lmtp_port
        async with server.imap(user, select="INBOX"):
            pass
        server.kill()
        assert not server.running
        with pytest.raises(OSError):
            socket.create_connection((server.host, imap_port), timeout=1).close()
        server.restart()
        assert (server.imap_port, server.lmtp_port) == (imap_port, lmtp_port)
        got = await server.list_messages(user)
        assert len(got) == 1 and got[0].endswith(raw)
        server.lmtp_deliver(user, _raw("after restart"))
        assert len(await server.list_messages(user)) == 2
    assert not server.root.exists()


# --------------------------------------------------------------------------- SMTP sink

async def _send(sink: SmtpSink, raw: bytes, rcpts: list[str], sender: str = "sales@example.com", **kw) -> None:
    await aiosmtplib.send(raw, sender=sender, recipients=rcpts, hostname=sink.host, port=sink.port,
                          start_tls=False, use_tls=False, timeout=10, **kw)


async def test_sink_captures_and_delivers_local_mail_to_imap(smtp_sink: SmtpSink, dovecot: DovecotServer) -> None:
    user = _user()
    raw = _raw("Grüße (hi)", In_Reply_To="<orig@example.org>")
    await _send(smtp_sink, raw, [user, "lead@example.org"])
    [mail] = await smtp_sink.wait_for(1, timeout=5)
    assert isinstance(mail, CapturedMail)
    assert mail.raw == raw and mail.rcpt_tos == [user, "lead@example.org"]
    assert mail.subject == "Grüße (hi)" and mail.in_reply_to == "<orig@example.org>"
    assert mail.message_id and mail.message_id.startswith("<")
    assert mail.received_wall > 0 and mail.received_at <= time.monotonic()
    assert smtp_sink.by_in_reply_to() == {"<orig@example.org>": [mail]}
    # local recipient only: example.org is not a local domain
    [delivered] = await dovecot.wait_for_messages(user, 1, timeout=2)
    assert delivered.endswith(raw)
    assert dovecot.message_count(user) == 1
    assert smtp_sink.lmtp_deliveries == 1


async def test_sink_wait_for_times_out_with_message(smtp_sink: SmtpSink) -> None:
    with pytest.raises(TimeoutError, match="waited 0.2s for 1 message"):
        await smtp_sink.wait_for(1, timeout=0.2)


@pytest.mark.parametrize("code", [451, 550])
async def test_sink_rcpt_failure(smtp_sink: SmtpSink, code: int) -> None:
    smtp_sink.fail_next(code, "5.1.1 nope" if code == 550 else "4.2.0 try later", "rcpt")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as err:
        await _send(smtp_sink, _raw("r"), ["lead@example.org"])
    assert [e.code for e in err.value.recipients] == [code]
    assert smtp_sink.messages == [] and smtp_sink.rejected[0].stage == "rcpt"
    await _send(smtp_sink, _raw("again"), ["lead@example.org"])  # one use only
    assert len(await smtp_sink.wait_for(1)) == 1


async def test_sink_421_at_mail_closes_connection(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next(421, "4.3.2 shutting down", "mail")
    client = aiosmtplib.SMTP(hostname=smtp_sink.host, port=smtp_sink.port, start_tls=False, timeout=5)
    await client.connect()
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as err:
        await client.sendmail("sales@example.com", ["lead@example.org"], _raw("x"))
    assert err.value.code == 421
    assert not client.is_connected
    # the server really hung up: a raw socket sees EOF after the 421
    smtp_sink.fail_next(421, "4.3.2 bye", "mail")
    reader, writer = await asyncio.open_connection(smtp_sink.host, smtp_sink.port)
    await reader.readline()
    writer.write(b"EHLO t\r\n")
    while not (await reader.readline()).startswith(b"250 "):
        pass
    writer.write(b"MAIL FROM:<a@b.c>\r\n")
    assert (await reader.readline()).startswith(b"421 ")
    assert await asyncio.wait_for(reader.read(), 2) == b""
    writer.close()


async def test_sink_data_failure_and_count(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next(554, "5.7.1 spam", "data", count=2)
    for _ in range(2):
        with pytest.raises(aiosmtplib.SMTPDataError) as err:
            await _send(smtp_sink, _raw("d"), ["lead@example.org"])
        assert err.value.code == 554
    assert smtp_sink.messages == [] and [r.code for r in smtp_sink.rejected] == [554, 554]
    await _send(smtp_sink, _raw("ok"), ["lead@example.org"])
    assert len(smtp_sink.messages) == 1


async def test_sink_drop_after_data(smtp_sink: SmtpSink) -> None:
    smtp_sink.drop_after_data()
    raw = _raw("dropped")
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await _send(smtp_sink, raw, ["lead@example.org"])
    [mail] = await smtp_sink.wait_for(1)
    assert mail.raw == raw  # it WAS received
    await _send(smtp_sink, _raw("next"), ["lead@example.org"])
    assert len(await smtp_sink.wait_for(2)) == 2


async def test_sink_auth() -> None:
    async with SmtpSink(credentials={"agent": "s3cret"}) as sink:
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as err:
            await _send(sink, _raw("a"), ["x@example.org"], username="agent", password="wrong")
        assert err.value.code == 535
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as err2:  # no AUTH at all
            await _send(sink, _raw("a"), ["x@example.org"])
        assert err2.value.code == 530
        await _send(sink, _raw("b"), ["x@example.org"], username="agent", password="s3cret")
        assert [m.subject for m in await sink.wait_for(1)] == ["b"]


# --------------------------------------------------------------------------- PostgreSQL / Mosquitto

@pytest.mark.postgres
async def test_postgres_select_1(postgres) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    url = postgres.create_database(f"t_{uuid.uuid4().hex[:8]}")
    assert url.startswith(f"postgresql+asyncpg://postgres@127.0.0.1:{postgres.port}/")
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("select 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_mosquitto_pub_sub(mosquitto) -> None:
    import aiomqtt

    topic = f"sqa/test/{uuid.uuid4().hex}"
    async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier=f"sub-{uuid.uuid4().hex[:8]}") as sub:
        await sub.subscribe(topic, qos=1)
        async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier=f"pub-{uuid.uuid4().hex[:8]}") as pub:
            await pub.publish(topic, b"hello", qos=1)

        async def first():
            async for message in sub.messages:
                return message

        message = await asyncio.wait_for(first(), 5)
    assert message.topic.value == topic and message.payload == b"hello"


async def test_fetch_parser_survives_unbalanced_parens_in_envelope(dovecot: DovecotServer) -> None:
    """A quoted "(" confuses aioimaplib's paren counting: later responses keep their "* "."""
    user = _user()
    dovecot.seed(user, [
        b"Subject: (unbalanced\r\nFrom: a@example.org\r\n\r\nb\r\n",
        b"Subject: ok\r\n\r\nb\r\n",
        b'Subject: caf\xc3\xa9 "q"\r\n\r\nb\r\n',
    ])
    async with dovecot.imap(user, select="INBOX") as client:
        resp = await client.uid("fetch", "1:*", "(UID ENVELOPE FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert any(isinstance(line, bytes) and line.startswith(b"* 2 FETCH") for line in resp.lines)
    msgs = parse_fetch_responses(resp.lines)
    assert [m.uid for m in msgs] == [1, 2, 3]
    assert msgs[0].items["ENVELOPE"][1] == "(unbalanced"
    assert msgs[2].items["ENVELOPE"][1] == 'caf\xc3\xa9 "q"'.encode("latin-1")  # 8-bit subject comes as a literal
    assert msgs[1].body == b"Subject: ok\r\n\r\n"
