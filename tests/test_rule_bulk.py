"""The bulk rule: mailing lists, newsletters and notification senders are never answered."""

from __future__ import annotations

import json

import pytest

from sqa.mailbox.classify.base import Facts, Kind
from sqa.mailbox.classify.bulk import Bulk, in_our_thread
from sqa.mailbox.classify.chain import classify
from sqa.mailbox.parse import parse
from tests.test_rule_auto_reply import CHAIN, CORPUS, CTX

OUR_THREAD = "In-Reply-To: <sqa.tok.rnd@acme-analytics.test>\nReferences: <sqa.tok.rnd@acme-analytics.test>\n"


def mail(headers: str = "", *, sender: str = "Dana Writer <dana@news.test>", thread: str = "",
         body: str = "Hello, this week's issue is out.") -> bytes:
    return (f"From: {sender}\nTo: ava@acme-analytics.test\nSubject: Weekly issue\n"
            f"Date: Wed, 12 Mar 2025 10:00:00 +0000\nMessage-ID: <n1@news.test>\n{thread}{headers}"
            f"Content-Type: text/plain; charset=utf-8\n\n{body}\n").encode()


def verdict(raw: bytes):  # noqa: ANN201
    return classify(parse(raw), CTX, CHAIN)


@pytest.mark.parametrize("headers", [
    "List-Id: RevOps <revops.lists.test>\n",
    "List-ID: <a.b.test>\n",
    "List-Unsubscribe: <https://news.test/u>, <mailto:u@news.test>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n",
    "List-Post: <mailto:revops@lists.test>\n",
    "List-Help: <mailto:revops-request@lists.test?subject=help>\n",
    "List-Subscribe: <mailto:revops-join@lists.test>\n",
    "List-Archive: <https://lists.test/archives>\n",
    "Mailing-List: list team@groups.test; contact team+owners@groups.test\n",
    "Precedence: bulk\n",
    "Precedence: list\n",
    "Precedence: junk\n",
    "PRECEDENCE: Bulk\n",
    "Feedback-ID: 2b3c:8d1f:mc.us1:mcsv\n",
    "X-Campaign: 12345\n",
    "X-CampaignID: 99\n",
    "X-Mailchimp-Campaign: abc\n",
    "X-Mailer: Mailchimp Mailer - **CID2b3c4d5e6f**\n",
    "X-Mailer: CleverReach\n",
    "X-CSA-Complaints: csa-complaints@eco.de\n",
])
def test_list_and_newsletter_headers(headers: str) -> None:
    v = verdict(mail(headers))
    assert (v.kind, v.rule) == (Kind.BULK, "bulk"), v.reason
    assert not v.kind.answerable


@pytest.mark.parametrize("sender", [
    "noreply@billing.cloud.test", "no-reply@billing.cloud.test", "no_reply@x.test", "NoReply@x.test",
    "do-not-reply@alerts.bank.test", "donotreply@x.test", "messages-noreply@linkedin.test",
    "notifications@github.test", "notification@x.test", "calendar-notification@google.test",
    "newsletter@vertriebsprofi.test", "revops-digest-request@lists.revops.test", "owner-salestech-l@listserv.test",
    "revops-community-bounces@lists.revops.test", "mention@noreply.github.test", "alerts@bank.test",
])
def test_notification_and_list_manager_senders(sender: str) -> None:
    v = verdict(mail(sender=sender))
    assert v.kind is Kind.BULK, v.reason


@pytest.mark.parametrize("headers", [
    "Return-Path: <owner-salestech-l@listserv.uni.test>\n",
    "Return-Path: <revops-bounces+ava=acme-analytics.test@lists.revops.test>\n",
    "Sender: owner-salestech-l@listserv.uni.test\n",
    "Errors-To: owner-salestech-l@listserv.uni.test\n",
])
def test_list_manager_envelope(headers: str) -> None:
    assert verdict(mail(headers, sender="Prof. Reeve <a.reeve@uni.test>")).kind is Kind.BULK


@pytest.mark.parametrize("sender", ["sales@lead.test", "info@lead.test", "support@lead.test", "hello@lead.test",
                                    "noreen.ply@lead.test", "anotify@lead.test", "nora@lead.test"])
def test_ordinary_addresses_are_not_bulk(sender: str) -> None:
    assert Bulk().check(Facts(parse(mail(sender=sender)), CTX)) is None


@pytest.mark.parametrize("headers", ["", "X-Auto-Response-Suppress: All\n", "X-Mailer: Microsoft Outlook 16.0\n",
                                     "X-Mailer: HubSpot Sales\n", "Return-Path: <bounce-77@mta.esp.test>\n"])
def test_plain_mail_is_not_bulk(headers: str) -> None:
    assert Bulk().check(Facts(parse(mail(headers, sender="Lee <lee@lead.test>")), CTX)) is None


def test_a_person_replying_in_our_thread_through_a_list_is_not_bulk() -> None:
    """A lead answering through their team's group address: the reply must reach the unsubscribe and human rules."""
    raw = mail("List-Id: <sales.lead.test>\nPrecedence: list\n", sender="Lee <lee@lead.test>", thread=OUR_THREAD,
               body="Please remove me from your list.")
    assert in_our_thread(parse(raw), CTX)
    assert Bulk().check(Facts(parse(raw), CTX)) is None
    assert verdict(raw).kind is not Kind.BULK


def test_a_machine_in_our_thread_is_still_bulk() -> None:
    raw = mail(sender="no-reply@lead.test", thread=OUR_THREAD)
    v = verdict(raw)
    assert v.kind is Kind.BULK and "in our thread" in v.reason


def test_someone_elses_thread_is_not_ours() -> None:
    raw = mail("Precedence: list\n", thread="In-Reply-To: <acme/sqa/issues/42@github.test>\n")
    assert not in_our_thread(parse(raw), CTX)
    assert verdict(raw).kind is Kind.BULK


def test_self_and_bounce_beat_bulk() -> None:
    own = mail("List-Unsubscribe: <https://acme-analytics.test/u/x>\nX-SQA-Loop: ava@acme-analytics.test\n",
               sender="Ava Agent <ava@acme-analytics.test>")
    assert verdict(own).kind is Kind.SELF
    bounce = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.lead.test>\nTo: ava@acme-analytics.test\n"
        "Subject: Undelivered Mail Returned to Sender\nDate: Wed, 12 Mar 2025 10:00:00 +0000\n"
        "Message-ID: <b1@mx.lead.test>\nAuto-Submitted: auto-replied\nPrecedence: bulk\nList-Id: <staff.lead.test>\n"
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
        "--B\nContent-Type: text/plain\n\nDelivery failed.\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.lead.test\n\n"
        "Final-Recipient: rfc822; gone@lead.test\nAction: failed\nStatus: 5.1.1\n\n--B--\n"
    ).encode()
    assert verdict(bounce).kind is Kind.BOUNCE


def test_never_raises() -> None:
    for raw in (b"", b"From: <>\n\n", mail("Sender: <<<@@>>\nErrors-To: \n", sender="@"), mail("List-Id:\n")):
        Bulk().check(Facts(parse(raw), CTX))


@pytest.mark.skipif(not (CORPUS / "labels.jsonl").exists(), reason="no labelled corpus")
def test_corpus_bulk_precision_and_recall() -> None:
    cases = [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text().splitlines() if line.strip()]
    missed, stolen = [], []
    for case in cases:
        v = classify(parse((CORPUS / "messages" / case["file"]).read_bytes()), CTX, CHAIN)
        if case["kind"] == "bulk" and v.kind is not Kind.BULK:
            missed.append(case["file"])
        if case["kind"] != "bulk" and v.kind is Kind.BULK:
            stolen.append(case["file"])
    assert not missed
    assert not stolen
