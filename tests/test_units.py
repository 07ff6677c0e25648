"""Small pure units: parse, compose, classify, the IMAP UID set, the send journal, backoff."""

from __future__ import annotations

from email import message_from_bytes
from email.header import decode_header, make_header

import pytest

from sqa.mailbox.classify.chain import CHAIN
from sqa.mailbox.classify import Context, Kind, classify
from sqa.mailbox.compose import (
    MAX_REFERENCES,
    Draft,
    new_message_id,
    render,
    reply_subject,
    thread_references,
    token_from_message_id,
)
from sqa.mailbox.imap import uid_set
from sqa.mailbox.journal import Mark, SendJournal
from sqa.mailbox.outbox import backoff
from sqa.mailbox.parse import parse

CTX = Context(own_addresses=frozenset({"sales@agent.test"}), loop_marker="sales@agent.test")


def _raw(headers: str, body: str = "Hello there.\r\n") -> bytes:
    return (headers.strip().replace("\n", "\r\n") + "\r\n\r\n" + body).encode("utf-8")


PLAIN = _raw("""
From: =?utf-8?q?J=C3=BCrgen_Lead?= <Juergen@Lead.TEST>
To: Sales <sales@agent.test>, other@lead.test
Cc: boss@lead.test
Subject: =?utf-8?q?Re:_Gr=C3=BC=C3=9Fe?=
Date: Tue, 25 Nov 2025 10:00:00 +0100
Message-ID: <abc@lead.test>
In-Reply-To: <sqa.tok1.0011@agent.test>
References: <root@agent.test>
 <sqa.tok1.0011@agent.test>
""", "Yes, tell me more.\r\n")


# --------------------------------------------------------------------------- parse

def test_parse_reads_the_headers_that_matter() -> None:
    msg = parse(PLAIN)
    assert msg.unreadable is None
    assert msg.message_id == "<abc@lead.test>" and msg.has_message_id
    assert msg.from_addr == "juergen@lead.test" and msg.from_name == "Jürgen Lead"
    assert msg.to_addrs == ("sales@agent.test", "other@lead.test", "boss@lead.test")
    assert msg.subject == "Re: Grüße"
    assert msg.in_reply_to == "<sqa.tok1.0011@agent.test>"
    assert msg.references == ("<root@agent.test>", "<sqa.tok1.0011@agent.test>")
    assert msg.date is not None and msg.date.utcoffset().total_seconds() == 0 and msg.date.hour == 9
    assert msg.text == "Yes, tell me more.\n"
    assert msg.size == len(PLAIN)


def test_parse_without_message_id_gets_a_stable_synthetic_one() -> None:
    raw = _raw("From: a@lead.test\nSubject: hi")
    one, two = parse(raw), parse(raw)
    assert not one.has_message_id
    assert one.message_id == two.message_id == f"<{one.content_hash}@sqa.invalid>"
    assert parse(raw + b"x").message_id != one.message_id


@pytest.mark.parametrize("raw", [
    b"",
    b"\x00\x01\x02\xff\xfe binary",
    b"just text, no header\r\n\r\nbody",
    bytes(range(256)) * 4,
], ids=["empty", "binary", "no-header", "all-bytes"])
def test_parse_never_raises_and_says_why_it_cannot_read(raw) -> None:
    msg = parse(raw)
    assert msg.unreadable == "no headers"
    assert msg.message_id.endswith("@sqa.invalid>")
    assert classify(msg, CTX).kind is Kind.QUARANTINE


@pytest.mark.parametrize("raw", [
    _raw("From: a@lead.test\nContent-Type: text/plain; charset=x-no-such-charset", "caf\xe9"),
    _raw("From: a@lead.test\nContent-Type: multipart/mixed", "no boundary at all"),
    _raw("From: a@lead.test\nContent-Type: multipart/mixed; boundary=zz", "--zz\r\nContent-Type: text/plain\r\n\r\nhi"),
    _raw("From: a@lead.test\nContent-Transfer-Encoding: base64", "!!!not base64!!!"),
    _raw("From: a@lead.test\nSubject: =?x-unknown?q?broken?=\nDate: yesterday-ish"),
    _raw("From: \"unterminated <a@lead.test>\nTo: ,,,@,"),
], ids=["unknown-charset", "multipart-no-boundary", "unterminated-multipart", "bad-base64", "bad-encoded-word", "bad-addresses"])
def test_parse_copes_with_broken_mime(raw) -> None:
    msg = parse(raw)
    assert msg.unreadable is None
    assert isinstance(msg.text, str) and isinstance(msg.subject, str)


def test_parse_takes_text_from_html_when_there_is_no_plain_part() -> None:
    raw = _raw("From: a@lead.test\nContent-Type: text/html; charset=utf-8",
               "<html><head><style>p{}</style></head><body><p>Hi&nbsp;there</p><script>x()</script>"
               "<div>Second &amp; last</div></body></html>")
    text = parse(raw).text
    assert "Hi there" in text.replace("\xa0", " ") and "Second & last" in text  # inscriptis: &nbsp; -> " "
    assert "x()" not in text and "<" not in text and "p{}" not in text


def test_parse_null_return_path() -> None:
    assert parse(_raw("Return-Path: <>\nFrom: a@lead.test")).return_path == ""
    assert parse(_raw("Return-Path: <Bounce@Lead.test>\nFrom: a@lead.test")).return_path == "bounce@lead.test"
    assert parse(_raw("From: a@lead.test")).return_path is None


# --------------------------------------------------------------------------- compose

@pytest.mark.parametrize("subject, expected", [
    ("Hello", "Re: Hello"),
    ("Re: Hello", "Re: Hello"),
    ("RE: x", "RE: x"),
    ("AW: Angebot", "AW: Angebot"),
    ("re:tight", "re:tight"),
    ("Reply needed", "Re: Reply needed"),
    ("", "Re:"),
    ("Two\r\nlines", "Re: Two lines"),
])
def test_reply_subject(subject, expected) -> None:
    assert reply_subject(subject) == expected


def test_thread_references() -> None:
    assert thread_references("<p@x>", ("<a@x>", "<b@x>"), "<b@x>") == "<a@x> <b@x> <p@x>"
    assert thread_references("<p@x>", (), "<b@x>") == "<b@x> <p@x>"
    assert thread_references("<p@x>", (), None) == "<p@x>"
    assert thread_references("<p@x>", ("<p@x>",), None) == "<p@x>"  # no repeats
    long = tuple(f"<{n}@x>" for n in range(50))
    refs = thread_references("<p@x>", long, None).split()
    assert len(refs) == MAX_REFERENCES
    assert refs[0] == "<0@x>" and refs[-1] == "<p@x>" and refs[-2] == "<49@x>"  # root and most recent kept


def test_message_ids_carry_the_lead_token_under_our_domain() -> None:
    a, b = new_message_id("agent.test", "tok1"), new_message_id("agent.test", "tok1")
    assert a != b and a.startswith("<sqa.tok1.") and a.endswith("@agent.test>")
    assert token_from_message_id(a, "agent.test") == "tok1"
    assert token_from_message_id(a, "other.test") is None
    assert token_from_message_id("<sqa.tok1.123@lead.test>", "agent.test") is None
    assert token_from_message_id(new_message_id("agent.test", None), "agent.test") is None
    assert token_from_message_id("<random@agent.test>", "agent.test") is None


def test_render_threads_strips_header_injection_and_round_trips_text() -> None:
    draft = Draft(from_name="Ava\r\nBcc: evil@x.test", from_addr="sales@agent.test", to_name="Zoë Lead",
                  to_addr="zoe@lead.test", subject="Grüße\r\nBcc: evil@x.test", body="Prices from 5 € — see you.\n",
                  message_id="<sqa.t.1@agent.test>", loop_marker="sales@agent.test",
                  in_reply_to="<p@lead.test>", references="<a@agent.test> <p@lead.test>")
    raw = render(draft)
    assert b"\r\nBcc:" not in raw and b"\nBcc:" not in raw
    msg = message_from_bytes(raw)
    assert msg.get_all("Bcc") is None
    assert str(make_header(decode_header(msg["Subject"]))) == "Grüße Bcc: evil@x.test"
    assert msg["Message-ID"] == "<sqa.t.1@agent.test>"
    assert msg["In-Reply-To"] == "<p@lead.test>"
    assert msg["References"] == "<a@agent.test> <p@lead.test>"
    assert msg["X-SQA-Loop"] == "sales@agent.test"
    assert msg.get_payload(decode=True).decode("utf-8") == "Prices from 5 € — see you.\n"
    assert raw.isascii()  # 7-bit safe on the wire
    # our own mail coming back is recognised as ours
    assert classify(parse(raw), CTX).kind is Kind.SELF


# --------------------------------------------------------------------------- classify

@pytest.mark.parametrize("headers, kind, rule", [
    ("From: lead@lead.test", Kind.HUMAN, "default"),
    ("From: lead@lead.test\nAuto-Submitted: no", Kind.HUMAN, "default"),
    ("From: lead@lead.test\nAuto-Submitted: auto-replied", Kind.AUTO_REPLY, "auto_reply_headers"),
    ("From: lead@lead.test\nAuto-Submitted: Auto-Generated; owner-email=x", Kind.AUTO_REPLY, "auto_reply_headers"),
    ("From: MAILER-DAEMON@lead.test", Kind.BULK, "bulk"),  # a system sender, but no delivery report
    ("From: postmaster@lead.test\nAuto-Submitted: auto-replied", Kind.AUTO_REPLY, "auto_reply_headers"),
    ("From: Sales <SALES@agent.test>", Kind.SELF, "self_loop"),
    ("From: lead@lead.test\nX-SQA-Loop: sales@agent.test", Kind.SELF, "self_loop"),
    ("Subject: no sender", Kind.QUARANTINE, "no_sender"),
])
def test_classify(headers, kind, rule) -> None:
    verdict = classify(parse(_raw(headers)), CTX)
    assert (verdict.kind, verdict.rule) == (kind, rule), verdict.reason
    assert verdict.reason
    assert verdict.kind.answerable is (kind is Kind.HUMAN)
    hits = [t for t in verdict.trail if t["result"] == "hit"]
    assert len(hits) == (0 if rule == "default" else 1)


def test_classify_trail_records_every_rule_consulted() -> None:
    verdict = classify(parse(_raw("From: lead@lead.test")), CTX)
    assert [t["rule"] for t in verdict.trail] == [rule.name for rule in CHAIN]
    assert {t["result"] for t in verdict.trail} == {"miss"}


def test_a_foreign_loop_marker_is_not_ours() -> None:
    assert classify(parse(_raw("From: lead@lead.test\nX-SQA-Loop: other@agent.test")), CTX).kind is Kind.HUMAN


# --------------------------------------------------------------------------- IMAP uid set

@pytest.mark.parametrize("uids, expected", [
    ([], ""),
    ([5], "5"),
    ([1, 2, 3], "1:3"),
    ([1, 2, 3, 7, 9, 10], "1:3,7,9:10"),
    ([10, 9, 1, 3, 2, 7, 3, 9], "1:3,7,9:10"),
    ([4294967295, 4294967294], "4294967294:4294967295"),
    ([1, 3, 5], "1,3,5"),
])
def test_uid_set(uids, expected) -> None:
    assert uid_set(uids) == expected


# --------------------------------------------------------------------------- send journal

def test_journal_keeps_the_furthest_mark_and_survives_reopening(tmp_path) -> None:
    path = tmp_path / "journal" / "sales.outbox"
    journal = SendJournal(path)
    assert journal.read() == {}
    journal.mark(Mark.DATA, 1)
    journal.mark(Mark.DATA, 2)
    journal.mark(Mark.SENT, 2)
    journal.mark(Mark.SENT, 3)
    journal.mark(Mark.DATA, 3)  # out of order: SENT stays
    journal.close()  # e.g. the process was killed: the file is all that is left
    with open(path, "a") as fh:
        fh.write("garbage line\nD notanumber\nX 9\nS 4\n")  # lines it does not know are skipped
    reopened = SendJournal(path)
    assert reopened.read() == {1: Mark.DATA, 2: Mark.SENT, 3: Mark.SENT, 4: Mark.SENT}
    reopened.clear()
    assert reopened.read() == {}
    reopened.mark(Mark.DATA, 5)
    assert reopened.read() == {5: Mark.DATA}  # appends after a clear start at the beginning
    assert path.read_text() == "D 5\n"
    reopened.close()


def test_a_journal_is_held_by_one_process_only(tmp_path) -> None:
    import subprocess
    import sys

    from sqa.mailbox.journal import JournalBusy

    path = tmp_path / "journal" / "sales.outbox"
    holder = SendJournal(path)
    code = "import sys; from pathlib import Path; from sqa.mailbox.journal import SendJournal, JournalBusy\n" \
           "try:\n    SendJournal(Path(sys.argv[1]))\nexcept JournalBusy as e:\n    print(e); sys.exit(3)\n"
    other = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=30)
    assert other.returncode == 3 and "held by another sqa process" in other.stdout
    holder.close()
    assert subprocess.run([sys.executable, "-c", code, str(path)], timeout=30).returncode == 0  # free again
    again = SendJournal(path)
    with pytest.raises(JournalBusy):
        SendJournal(path)  # a second open in the same process is refused too
    again.close()


def test_journal_read_when_the_file_is_gone(tmp_path) -> None:
    journal = SendJournal(tmp_path / "j")
    (tmp_path / "j").unlink()
    assert journal.read() == {}
    journal.close()


# --------------------------------------------------------------------------- backoff

def test_backoff_is_capped_and_never_zero() -> None:
    for attempt in range(1, 40):
        for _ in range(20):
            delay = backoff(attempt, 0.5, 30.0)
            assert 0.25 <= delay <= 30.0
    assert max(backoff(1, 1.0, 60.0) for _ in range(200)) <= 1.0  # the first retry comes soon
