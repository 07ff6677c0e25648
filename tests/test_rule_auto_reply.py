"""The auto-reply rules (headers, then text) and the return date.

``CHAIN`` is the intended order with the rules that exist so far, for
``python -m tests.corpus_eval --chain tests.test_rule_auto_reply:CHAIN -v``:
unreadable, self_loop, bounce, no_sender, unsubscribe_address, auto_reply_headers,
bulk, machine_sender (what is left of it: mailer-daemon/postmaster mail that the
bounce rule did not take; its null-return-path case is auto_reply_headers' now),
auto_reply_text, unsubscribe_words, human.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sqa.mailbox.classify.auto_reply import AutoReplyHeaders, AutoReplyText, new_text
from sqa.mailbox.classify.base import Context, Facts, Flag, Kind
from sqa.mailbox.classify.bounce import Bounce
from sqa.mailbox.classify.bulk import Bulk
from sqa.mailbox.classify.chain import classify
from sqa.mailbox.classify.machine_sender import MachineSender
from sqa.mailbox.classify.returndate import extract_return_date
from sqa.mailbox.classify.self_loop import SelfLoop
from sqa.mailbox.classify.unreadable import NoSender, Unreadable
from sqa.mailbox.parse import parse

try:  # written by another helper: measured with it when it is there
    from sqa.mailbox.classify.unsubscribe import UnsubscribeAddress, UnsubscribeWords

    _ADDRESS: tuple = (UnsubscribeAddress(),)
    _WORDS: tuple = (UnsubscribeWords(),)
except ImportError:  # pragma: no cover
    _ADDRESS = _WORDS = ()

CHAIN = (Unreadable(), SelfLoop(), Bounce(), NoSender(), *_ADDRESS, AutoReplyHeaders(), Bulk(), MachineSender(),
         AutoReplyText(), *_WORDS)

CTX = Context(own_addresses=frozenset({"ava@acme-analytics.test"}), loop_marker="ava@acme-analytics.test",
              unsubscribe_addresses=frozenset({"ava+unsubscribe@acme-analytics.test"}), domain="acme-analytics.test")
CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "labelled"


def mail(body: str = "Sounds good, Thursday works.", *, subject: str = "Re: Forecasting at Lead Corp",
         headers: str = "", date_header: str = "Wed, 12 Mar 2025 10:00:00 +0000", sender: str = "Lee Lead <lee@lead.test>",
         ctype: str = "text/plain; charset=utf-8") -> bytes:
    return (f"From: {sender}\nTo: Ava Agent <ava@acme-analytics.test>\nSubject: {subject}\nDate: {date_header}\n"
            f"Message-ID: <m1@lead.test>\nIn-Reply-To: <sqa.tok.rnd@acme-analytics.test>\n"
            f"References: <sqa.tok.rnd@acme-analytics.test>\n{headers}"
            f"MIME-Version: 1.0\nContent-Type: {ctype}\n\n{body}\n").encode()


def verdict(raw: bytes):  # noqa: ANN201
    return classify(parse(raw), CTX, CHAIN)


# --------------------------------------------------------------------------- headers

@pytest.mark.parametrize("headers", [
    "Auto-Submitted: auto-replied\n",
    "Auto-Submitted: auto-replied (vacation)\n",
    "Auto-Submitted: Auto-Generated; owner-email=x@lead.test\n",
    "X-Autoreply: yes\n",
    "X-Autorespond: Autoreply: Forecasting\n",
    "Precedence: auto_reply\n",
    "X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: lee@lead.test\n",
    "X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply\nX-MS-Exchange-Transport-Rules-Loop: 1\n",
    "Return-Path: <>\n",
])
def test_auto_reply_headers(headers: str) -> None:
    v = verdict(mail(headers=headers))
    assert (v.kind, v.rule) == (Kind.AUTO_REPLY, "auto_reply_headers"), v.reason
    assert not v.kind.answerable


@pytest.mark.parametrize("headers", [
    "Auto-Submitted: no\n",
    "X-Auto-Response-Suppress: All\n",  # Outlook sets it on mail written by people
    "X-Autoreply: no\n",
    "Precedence: first-class\n",
])
def test_headers_that_do_not_make_an_auto_reply(headers: str) -> None:
    v = verdict(mail(headers=headers))
    assert v.kind is Kind.HUMAN, v.reason


def test_auto_generated_notification_with_list_headers_is_bulk() -> None:
    raw = mail(headers="Auto-Submitted: auto-generated\nList-Id: <builds.ci.test>\nPrecedence: bulk\n",
               sender="CI <ci@ci.test>", subject="Build #41 failed")
    raw = raw.replace(b"In-Reply-To: <sqa.tok.rnd@acme-analytics.test>\nReferences: <sqa.tok.rnd@acme-analytics.test>\n", b"")
    v = verdict(raw)
    assert (v.kind, v.rule) == (Kind.BULK, "bulk"), v.reason


def test_auto_replied_wins_over_precedence_bulk() -> None:
    """Unix vacation(1) sends Precedence: bulk with Auto-Submitted: auto-replied: still an auto-reply."""
    v = verdict(mail("I am on vacation until 20 March.", headers="Auto-Submitted: auto-replied\nPrecedence: bulk\n"))
    assert v.kind is Kind.AUTO_REPLY
    assert v.return_date == date(2025, 3, 20)


def test_header_rule_reports_flags_and_date() -> None:
    v = verdict(mail("Jane Doe is no longer with Lead Corp. Please direct enquiries to sales@lead.test.",
                     headers="X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: jane@lead.test\n"))
    assert v.kind is Kind.AUTO_REPLY and Flag.LEFT_COMPANY in v.flags and v.return_date is None
    v = verdict(mail("Your request (#12345) has been received.", subject="[Request received] Re: Forecasting",
                     headers="Auto-Submitted: auto-generated\nX-Zendesk-From-Account-Id: a1\n", sender="support@lead.test"))
    assert v.kind is Kind.AUTO_REPLY and Flag.TICKET in v.flags


# --------------------------------------------------------------------------- subject markers

@pytest.mark.parametrize("subject", [
    "Automatic reply: Forecasting at Lead Corp", "Autoreply: Forecasting", "Auto-Reply: Forecasting",
    "Out of Office AutoReply: Forecasting", "Automatische Antwort: Forecasting", "Abwesenheitsnotiz: Forecasting",
    "Réponse automatique : Prévisions", "Respuesta automática: Previsión", "Automatisch antwoord: Forecasting",
    "Risposta automatica: Previsioni", "Resposta automática: Previsão",
])
def test_strong_subject_markers(subject: str) -> None:
    v = verdict(mail("Back soon.", subject=subject))
    assert (v.kind, v.rule) == (Kind.AUTO_REPLY, "auto_reply_text"), v.reason


@pytest.mark.parametrize("subject", ["Out of Office", "Abwesend", "Absence", "Afwezig: Forecasting", "Fuori sede",
                                     "Ausente", "Fora do escritório"])
def test_weak_subject_markers_need_a_text_that_is_not_a_person(subject: str) -> None:
    assert verdict(mail("Limited access to email.", subject=subject)).kind is Kind.AUTO_REPLY
    assert verdict(mail("Can we move our call to Friday?", subject=subject)).kind is Kind.HUMAN


@pytest.mark.parametrize("subject", ["Automatic forecasting - questions", "Re: Automatic reply: Forecasting",
                                     "Auto insurance quote", "Absences in the team and forecasting"])
def test_subjects_that_only_look_like_markers(subject: str) -> None:
    assert verdict(mail(subject=subject)).kind is Kind.HUMAN


# --------------------------------------------------------------------------- text only (no headers)

AUTO_TEXTS = [
    ("en", "I am currently out of the office with no access to email until 17 March.", "2025-03-17"),
    ("en", "Thank you for your email. I am out of the office until Friday 14 March and will respond on my return.",
     "2025-03-14"),
    ("en", "I'm travelling this week with limited access to email and will reply when I'm back on Tuesday.",
     "2025-03-18"),
    ("en", "Thank you for your email. I'm on annual leave from 3 to 14 March, back on 17 March.", "2025-03-17"),
    ("en", "Thank you for your email. I will be out of the office on Friday, March 14 and will reply on my return.",
     "2025-03-14"),
    ("de", "Vielen Dank für Ihre E-Mail. Ich bin vom 10. bis 21. März im Urlaub und ab dem 24. März wieder im Büro.",
     "2025-03-24"),
    ("de", "Ich bin bis einschließlich Freitag, 21.03.2025 nicht erreichbar. Ihre Nachricht wird nicht weitergeleitet.",
     "2025-03-21"),
    ("fr", "Merci pour votre message. Je serai absente du 17 au 28 mars. Je vous répondrai à mon retour.", "2025-03-28"),
    ("fr", "Je suis en déplacement, de retour lundi. Je vous répondrai dès que possible.", "2025-03-17"),
    ("es", "Gracias por su mensaje. Estaré de vacaciones hasta el lunes 24 de marzo, con acceso limitado al correo.",
     "2025-03-24"),
    ("nl", "Bedankt voor uw bericht. Ik ben afwezig t/m 28 maart. Uw e-mail wordt niet doorgestuurd.", "2025-03-28"),
    ("it", "Grazie per il suo messaggio. Sono fuori ufficio fino a venerdì 21 marzo. Per urgenze: info@x.test.",
     "2025-03-21"),
    ("pt", "Obrigado pela sua mensagem. Estou ausente até 31 de março, com acesso limitado ao e-mail.", "2025-03-31"),
    ("en", "Thank you for your email. The office is closed for the holidays and I'm back on 6 January.", "2026-01-06"),
    ("en", "Thank you for your email. I am on leave until 20 March.\nHelp: https://lead.test/help?topic=urgent&x=1\n",
     "2025-03-20"),  # the "?" of a URL is not a question
]


@pytest.mark.parametrize("lang, body, want", AUTO_TEXTS, ids=[f"{t[0]}-{i}" for i, t in enumerate(AUTO_TEXTS)])
def test_out_of_office_text_without_headers(lang: str, body: str, want: str) -> None:
    v = verdict(mail(body))
    assert (v.kind, v.rule) == (Kind.AUTO_REPLY, "auto_reply_text"), v.reason
    assert v.return_date == date.fromisoformat(want)


# People who mention an absence are people: the agent must answer them.
HUMAN_TEXTS = [
    "I was out of the office until yesterday. Does Tuesday work?",
    "I'm out of office next week (school holidays), so let's aim for the week of the 24th.",
    "Thanks for your email. I'm out of the office until Monday - could we talk then?",
    "Thanks for your email! I'm on vacation until March 20, but I'd love to see a demo after that.",
    "Thank you for your message. I am on leave until 24 March; please follow up with me after that.",
    "Thanks for the note. I am back in the office on Monday and will review your proposal then.",
    "I'll be back on Monday, let's talk then.",
    "Sorry for the late reply, I was on annual leave. Yes, Thursday works.",
    "My colleague is on leave until 3 April. I'll forward your email to her when she's back.",
    "Our CFO is no longer with the company, so I'm taking over. What does pricing look like for 40 seats?",
    "Ich bin bis Freitag im Urlaub. Melden Sie sich gerne nach meiner Rückkehr, wir haben Interesse.",
    "Vielen Dank für Ihre Nachricht. Ich bin bis zum 20.03. nicht im Büro - können wir danach telefonieren?",
    "Je suis en congé jusqu'au 24 mars : recontactez-moi après cette date.",
    "Merci pour votre message. Je suis absent jusqu'au 28 mars, mais votre solution m'intéresse.",
    "Estoy de vacaciones hasta el 4 de abril. ¿Podemos hablar después?",
    "Ik ben tot vrijdag met vakantie. Kunnen we daarna bellen?",
    "Sono in ferie fino al 22 aprile, ricontattami dopo.",
    "Estou de férias até 5 de maio, mas tenho interesse. Podemos falar depois?",
]


@pytest.mark.parametrize("body", HUMAN_TEXTS)
def test_a_person_mentioning_an_absence_is_human(body: str) -> None:
    v = verdict(mail(body))
    assert v.kind is Kind.HUMAN, v.reason


@pytest.mark.parametrize("body", [
    "I'm on leave until Monday. Please remove me from your list.",
    "Ich bin bis Freitag im Urlaub. Bitte tragen Sie mich aus Ihrem Verteiler aus.",
    "Je suis absent jusqu'au 28 mars. Merci de me désabonner.",
])
def test_an_opt_out_is_left_to_the_unsubscribe_rules(body: str) -> None:
    assert AutoReplyText().check(Facts(parse(mail(body)), CTX)) is None
    if _WORDS:
        assert verdict(mail(body)).kind is Kind.UNSUBSCRIBE


def test_left_company_and_ticket_without_headers() -> None:
    v = verdict(mail("Jane Smith is no longer with Lead Corp. This mailbox is no longer monitored."))
    assert v.kind is Kind.AUTO_REPLY and Flag.LEFT_COMPANY in v.flags and v.return_date is None
    v = verdict(mail("Your request SUP-4821 has been received. We aim to respond within two business days."))
    assert v.kind is Kind.AUTO_REPLY and Flag.TICKET in v.flags and v.return_date is None
    v = verdict(mail("Frau Schneider ist nicht mehr für die Lead GmbH tätig. Ihre E-Mail wird nicht weitergeleitet."))
    assert v.kind is Kind.AUTO_REPLY and Flag.LEFT_COMPANY in v.flags


def test_the_quoted_original_is_not_read() -> None:
    """Our own mail quoted below a reply names weekdays and 'next week': they are not a return date."""
    body = ("Thanks, Thursday works for me.\n\nOn Mon, 10 Mar 2025 at 09:00, Ava <ava@acme-analytics.test> wrote:\n"
            "> I am out of the office until Friday 14 March. Thank you for your email.\n")
    assert new_text(parse(mail(body))) == "Thanks, Thursday works for me."
    assert verdict(mail(body)).kind is Kind.HUMAN


def test_html_only_auto_reply() -> None:
    v = verdict(mail("<html><body><p>Thank you for your email.</p><p>I am out of the office until 20 March.</p>"
                     "</body></html>", ctype="text/html; charset=utf-8"))
    assert v.kind is Kind.AUTO_REPLY and v.return_date == date(2025, 3, 20)


# --------------------------------------------------------------------------- return dates

SENT_WED = date(2025, 3, 12)


@pytest.mark.parametrize("text, sent, want", [
    ("I am out of the office until Friday 14 March.", SENT_WED, "2025-03-14"),
    ("Back on Monday.", SENT_WED, "2025-03-17"),
    ("Back on Wednesday.", SENT_WED, "2025-03-19"),  # a bare weekday is the next one AFTER the date
    ("I'm out today and back tomorrow.", SENT_WED, "2025-03-13"),
    ("returning 2025-04-07", SENT_WED, "2025-04-07"),
    ("until 3/14", SENT_WED, "2025-03-14"),  # US m/d (no month 14)
    ("returning Mon 4/7", date(2025, 4, 1), "2025-04-07"),  # the weekday settles the order
    ("back on 12.05.2025", SENT_WED, "2025-05-12"),  # dots: day first, also in English
    ("from 14 April to 25 April inclusive", SENT_WED, "2025-04-25"),
    ("on leave from 3 to 14 March, back on 17 March", date(2025, 3, 4), "2025-03-17"),  # the return day wins
    ("back on 6 January", date(2024, 12, 23), "2025-01-06"),  # the next year
    ("until 14 March", date(2025, 3, 14), "2025-03-14"),  # the same day stays this year
    ("Ich bin bis zum 3.4. nicht im Büro", SENT_WED, "2025-04-03"),
    ("ich bin ab dem 7. April wieder erreichbar", SENT_WED, "2025-04-07"),
    ("Ich bin ab Montag, den 14.04. wieder im Haus", date(2025, 4, 8), "2025-04-14"),
    ("ich bin am Montag wieder im Büro", date(2025, 5, 7), "2025-05-12"),
    ("Je suis absente jusqu'au 2 mai inclus", SENT_WED, "2025-05-02"),
    ("absent du 3 au 14 mars", date(2025, 3, 1), "2025-03-14"),
    ("de retour lundi", date(2025, 3, 27), "2025-03-31"),
    ("hasta el 21 de marzo", SENT_WED, "2025-03-21"),
    ("Vuelvo el lunes", date(2025, 3, 28), "2025-03-31"),
    ("tot en met vrijdag 11 april", SENT_WED, "2025-04-11"),
    ("Ik ben maandag weer terug", date(2025, 3, 20), "2025-03-24"),
    ("fino al 18/04/2025", SENT_WED, "2025-04-18"),
    ("Rientro lunedì 7 aprile", SENT_WED, "2025-04-07"),
    ("até 25 de abril", SENT_WED, "2025-04-25"),
    ("de volta na segunda-feira, 14 de abril", SENT_WED, "2025-04-14"),
    ("I'm out until the 14th, back on Monday the 17th.", SENT_WED, "2025-03-17"),
    ("back on the 3rd", SENT_WED, "2025-04-03"),  # the 3rd has passed this month
    ("I'll be back to work on Monday 17 March.", SENT_WED, "2025-03-17"),
    ("Ich bin bis 14. März nicht da und danach wieder im Büro.", SENT_WED, "2025-03-14"),
    ("This address will be closed on 30 April.", SENT_WED, None),  # no return cue
    ("I'll get back to you on Monday.", SENT_WED, None),
    ("We aim to respond within 2 business days. Call us 9.15-17.30 Uhr.", SENT_WED, None),
    ("I am out until 3 March.", SENT_WED, None),  # passed 9 days ago: a stale notice, not next March
    ("I am out until 3 March 2026.", SENT_WED, "2026-03-03"),  # an explicit year is believed
])
def test_return_dates(text: str, sent: date, want: str | None) -> None:
    got = extract_return_date(text, sent)
    assert (got.isoformat() if got else None) == want


def test_relative_dates_use_the_senders_local_day() -> None:
    """Sunday 23:30 in New York is Monday in UTC: 'back tomorrow' is Monday."""
    v = verdict(mail("I am out of the office today and back tomorrow. Thank you for your email.",
                     date_header="Sun, 23 Mar 2025 23:30:00 -0500"))
    assert v.return_date == date(2025, 3, 24)


def test_dateparser_is_imported_lazily() -> None:
    code = ("import sys; import sqa.mailbox.classify.auto_reply, sqa.mailbox.classify.bulk; "
            "assert 'dateparser' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_rules_never_raise() -> None:
    for raw in (b"", b"From: a@b.test\n\n", mail("\x00\xff garbage", headers="Auto-Submitted: auto-replied\n"),
                mail("until 31/31/2025 back on 99.99.", headers="X-Autoreply: yes\n"),
                mail("x" * 500_000, subject="Automatic reply: x")):
        msg = parse(raw)
        for rule in (AutoReplyHeaders(), AutoReplyText()):
            rule.check(Facts(msg, CTX))


# --------------------------------------------------------------------------- the labelled corpus

def _corpus() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.skipif(not (CORPUS / "labels.jsonl").exists(), reason="no labelled corpus")
def test_corpus_auto_replies_and_return_dates() -> None:
    wrong_kind, wrong_date, stolen = [], [], []
    for case in _corpus():
        v = classify(parse((CORPUS / "messages" / case["file"]).read_bytes()), CTX, CHAIN)
        if case["kind"] == "auto_reply":
            if v.kind is not Kind.AUTO_REPLY:
                wrong_kind.append(case["file"])
            if (v.return_date.isoformat() if v.return_date else None) != case["return_date"]:
                wrong_date.append(case["file"])
        elif v.kind is Kind.AUTO_REPLY:
            stolen.append(case["file"])
    assert not stolen  # no person (and no other kind) read as an auto-reply
    assert not wrong_kind
    assert not wrong_date
