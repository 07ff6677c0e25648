"""The complaint rule: RFC 5965 feedback reports become complaints naming the returned mail; not-spam and
auth-failure reports are recorded only; delivery reports and people's mail are not complaints."""

from __future__ import annotations

import pytest

from sqa.mailbox.classify import Context, Kind, classify
from sqa.mailbox.parse import parse
from tests.arf_support import arf_report, forwarded

CTX = Context(own_addresses=frozenset({"ava@acme-analytics.test"}), loop_marker="ava@acme-analytics.test",
              unsubscribe_addresses=frozenset({"ava+unsubscribe@acme-analytics.test"}), domain="acme-analytics.test")
OUR_ID = "<sqa.tok7f3a.9b2c4d1e@acme-analytics.test>"
LINK = "https://sqa.acme-analytics.test/u/ABCDEFGH"
MAILTO = "mailto:ava+unsubscribe-ABCDEFGH@acme-analytics.test?subject=unsubscribe"
ORIGINAL = (
    "From: Ava <ava@acme-analytics.test>\r\nTo: Lee Lead <lee@leads.test>\r\nSubject: Quick question\r\n"
    f"Message-ID: {OUR_ID}\r\nDate: Wed, 25 Nov 2026 09:00:00 +0000\r\n"
    f"List-Unsubscribe: <{LINK}>, <{MAILTO}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Lee, would a demo help?\r\n"
).encode()


def _verdict(raw: bytes):  # noqa: ANN202
    return classify(parse(raw), CTX)


def test_abuse_report_names_recipient_original_and_links() -> None:
    verdict = _verdict(arf_report(ORIGINAL, rcpt="lee@leads.test"))
    assert verdict.kind is Kind.COMPLAINT and verdict.rule == "complaint"
    info = verdict.complaint
    assert info is not None and info.feedback_type == "abuse" and info.reporter == "Hotmail FBL"
    assert info.recipients == ("lee@leads.test",) and info.original_message_id == OUR_ID
    assert info.unsubscribe == (LINK, MAILTO.split(">")[0])
    assert not verdict.kind.answerable and verdict.reply_text is None
    assert "Feedback-Type: abuse" in verdict.reason and OUR_ID in verdict.reason


@pytest.mark.parametrize("variant", ["redacted", "headers_only", "encoded_fields", "forwarded"])
def test_provider_variants_still_name_our_mail(variant: str) -> None:
    if variant == "redacted":  # Microsoft JMRP: the recipient replaced, no Original-Rcpt-To
        raw = arf_report(ORIGINAL, redact="lee@leads.test")
    elif variant == "headers_only":
        raw = arf_report(ORIGINAL, rcpt="lee@leads.test", headers_only=True)
    elif variant == "encoded_fields":
        raw = arf_report(ORIGINAL, rcpt="lee@leads.test", encode_fields=True, feedback_type="fraud")
    else:
        raw = forwarded(arf_report(ORIGINAL, rcpt="lee@leads.test"))
    verdict = _verdict(raw)
    assert verdict.kind is Kind.COMPLAINT, verdict.reason
    info = verdict.complaint
    assert info is not None and info.original_message_id == OUR_ID and LINK in info.unsubscribe
    if variant == "redacted":
        assert info.recipients == ("redacted@example.invalid",)
    else:
        assert info.recipients == ("lee@leads.test",)
    assert info.feedback_type == ("fraud" if variant == "encoded_fields" else "abuse")


@pytest.mark.parametrize("feedback_type", ["not-spam", "auth-failure"])
def test_reports_that_are_not_complaints_are_recorded_only(feedback_type: str) -> None:
    verdict = _verdict(arf_report(ORIGINAL, rcpt="lee@leads.test", feedback_type=feedback_type))
    assert verdict.kind is Kind.BULK and verdict.rule == "complaint" and verdict.complaint is None
    assert feedback_type in verdict.reason


def test_unknown_feedback_type_counts_as_a_complaint() -> None:
    verdict = _verdict(arf_report(ORIGINAL, rcpt="lee@leads.test", feedback_type="opt-out"))
    assert verdict.kind is Kind.COMPLAINT and verdict.complaint.feedback_type == "opt-out"


def test_our_own_addresses_are_never_the_complainant() -> None:
    original = ORIGINAL.replace(b"To: Lee Lead <lee@leads.test>", b"To: ava@acme-analytics.test")
    verdict = _verdict(arf_report(original, rcpt="ava+unsubscribe@acme-analytics.test"))
    assert verdict.kind is Kind.COMPLAINT and verdict.complaint.recipients == ()


def test_delivery_reports_and_people_are_not_complaints() -> None:
    dsn = arf_report(ORIGINAL, rcpt="lee@leads.test").replace(b"report-type=feedback-report", b"report-type=delivery-status")
    assert _verdict(dsn).kind is not Kind.COMPLAINT
    person = (b"From: Lee <lee@leads.test>\r\nTo: ava@acme-analytics.test\r\nSubject: Re: Quick question\r\n"
              b"Message-ID: <p1@leads.test>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
              b"Content-Type: text/plain\r\n\r\nSee the forwarded mail.\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
              + ORIGINAL + b"\r\n--b--\r\n")
    verdict = _verdict(person)
    assert verdict.kind is Kind.HUMAN, verdict.reason
