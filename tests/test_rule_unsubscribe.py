"""The opt-out rules: mail to our unsubscribe address, and a person asking to stop (seven languages).

CHAIN below is the intended order (the lead's chain.py holds the real one); rules still being
written elsewhere are skipped. Measure with:
    .venv/bin/python -m tests.corpus_eval --chain tests.test_rule_unsubscribe:CHAIN -v
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path

import pytest

import sqa.mailbox.classify as classify_pkg
from sqa.mailbox.classify import Context, classify
from sqa.mailbox.classify.base import Flag, Kind, Rule
from sqa.mailbox.classify import unsubscribe as unsub
from sqa.mailbox.classify.unsubscribe import UnsubscribeAddress, UnsubscribeWords, fold, read
from sqa.mailbox.parse import parse

ORDER = ("unreadable", "self_loop", "bounce", "unsubscribe_address", "auto_reply_headers", "bulk",
         "auto_reply_text", "unsubscribe_words", "human")


def _rules_by_name() -> dict[str, Rule]:
    found: dict[str, Rule] = {"unsubscribe_address": UnsubscribeAddress(), "unsubscribe_words": UnsubscribeWords()}
    for info in pkgutil.iter_modules(classify_pkg.__path__):
        if info.name in ("chain", "base", "unsubscribe"):
            continue
        try:
            module = importlib.import_module(f"{classify_pkg.__name__}.{info.name}")
        except Exception:  # noqa: BLE001 - a rule being written by someone else may not import yet
            continue
        for value in vars(module).values():
            name = getattr(value, "name", None)
            if isinstance(value, type) and value.__module__ == module.__name__ and name in ORDER \
                    and callable(getattr(value, "check", None)) and name not in found:
                found[name] = value()
    return found


_FOUND = _rules_by_name()
CHAIN: tuple[Rule, ...] = tuple(_FOUND[name] for name in ORDER if name in _FOUND)

CTX = Context(own_addresses=frozenset({"ava@acme-analytics.test"}), loop_marker="ava@acme-analytics.test",
              unsubscribe_addresses=frozenset({"ava+unsubscribe@acme-analytics.test"}), domain="acme-analytics.test")
CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "labelled"
FOOTER = "To stop receiving these emails, unsubscribe: https://acme-analytics.test/u/AbCdEf123"
OUR_MAIL = ("Hi Sam,\n\nWould a 20-minute walkthrough next week be useful?\n\nBest,\nAva\n\n"
            "Ava is an AI assistant for Acme Analytics GmbH.\n\n" + FOOTER)


def mail(body: str, *, subject: str = "Re: Forecasting at Example", to: str = "ava@acme-analytics.test",
         sender: str = "sam@example.test", headers: str = "") -> bytes:
    date = format_datetime(datetime(2025, 3, 10, 9, 0, tzinfo=timezone.utc))
    raw = (f"From: Sam Lead <{sender}>\nTo: {to}\nSubject: {subject}\nDate: {date}\n"
           f"Message-ID: <t{abs(hash(body + subject + to))}@example.test>\n{headers}"
           "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
           f"{body}\n")
    return raw.replace("\n", "\r\n").encode("utf-8")


def verdict(body: str, **kw):  # noqa: ANN003, ANN201
    return classify(parse(mail(body, **kw)), CTX, CHAIN)


def words_hit(body: str, **kw):  # noqa: ANN003, ANN201
    """Only the words rule (no other rule in the way)."""
    return classify(parse(mail(body, **kw)), CTX, (UnsubscribeWords(),))


def assert_opt_out(body: str, *, unsure: bool | None = False, **kw) -> None:  # noqa: ANN003
    v = words_hit(body, **kw)
    assert v.kind is Kind.UNSUBSCRIBE, f"missed opt-out: {body!r} -> {v.rule}: {v.reason}"
    if unsure is not None:
        assert (Flag.UNSURE in v.flags) is unsure, f"{body!r}: flags {set(v.flags)}, reason {v.reason}"


def assert_not_opt_out(body: str, **kw) -> None:  # noqa: ANN003
    v = words_hit(body, **kw)
    assert v.kind is Kind.HUMAN, f"false opt-out: {body!r} -> {v.reason}"


# -- clear opt-outs, per language -------------------------------------------------------

CLEAR = {
    "en": ["Remove me.", "Please take me off your list.", "stop", "STOP", "unsubscribe", "Unsubscribe me please",
           "Not interested, don't contact me again.", "Please don't email me again. We have no need for this.",
           "Thanks, but I'd rather not receive these.", "Please stop sending these emails.",
           "Please remove me from your mailing list.", "Opt me out.", "I want to opt out.", "No more emails please.",
           "unsubscibe pls", "Take me off. Thanks.", "Kindly cease all further communication with this address.",
           "I object to the processing of my personal data for direct marketing purposes.",
           "Please remove Mr. Okonkwo from your distribution list.", "Please delete my address from your system.",
           "Not interested, stop emailing me.", "I do not wish to receive any more emails from you.",
           "How do I unsubscribe from this?", "Your unsubscribe link is broken, take me off now",
           "I already unsubscribed twice, why do you still write?", "Leave me alone.",
           "Please have me removed from your list.", "If you don't remove me I will report you.",
           "I have asked you three times to stop emailing me!!!", "This is spam. Stop.", "Stop spamming me",
           "Please stop contacting me, I'm not interested.", "We're all set, please take us off your list.",
           "Kindly unsubscribe this address.", "OPT-OUT", "I'd like to opt out of these emails.",
           "Please don't send me any more emails.", "Lose my number.", "I withdraw my consent.",
           "Remove me from this thread please.", "Please stop following up.", "Quit emailing me",
           "unusbscribe me", "un-subscribe", "Unsubcribe"],
    "de": ["abmelden", "Bitte keine weiteren E-Mails an diese Adresse.", "Bitte streichen Sie mich aus Ihrem Verteiler.",
           "Ich möchte von Ihnen nicht mehr angeschrieben werden.", "Bitte austragen.",
           "Bitte tragen Sie mich aus Ihrer Liste aus.", "Melden Sie mich bitte ab.",
           "Hiermit widerspreche ich der Verarbeitung meiner Daten zu Zwecken der Direktwerbung.",
           "Ich möchte mich abmelden.", "Keine E-Mails mehr, danke.",
           "Ich möchte keine E-Mails mehr von Ihnen erhalten.", "Bitte entfernen Sie mich aus Ihrem Verteiler.",
           "Bitte löschen Sie meine Daten.", "Kein Interesse, bitte nicht mehr anschreiben.", "Stopp", "Abbestellen"],
    "fr": ["Merci de me désabonner.", "Je ne souhaite plus recevoir vos e-mails.",
           "Retirez-moi de votre liste de diffusion svp", "Merci de ne plus me contacter.", "Désinscrivez-moi.",
           "Arrêtez de m'envoyer des messages.", "Merci de supprimer mon adresse de vos fichiers.",
           "Je souhaite me désinscrire.", "STOP merci", "Pas intéressé, merci de me retirer de votre liste.",
           "Ne m'envoyez plus d'e-mails.", "Désabonnement"],
    "es": ["Quiero darme de baja de esta lista.", "Por favor, no me envíen más correos.",
           "Bórrenme de su base de datos y dejen de escribirme.", "Denme de baja, gracias.",
           "No quiero recibir más correos.", "Por favor dejen de enviarme correos.", "Elimínenme de su lista.",
           "No me escriban más.", "Baja"],
    "nl": ["Graag afmelden.", "Haal mij alsjeblieft van jullie lijst, ik wil geen e-mails meer ontvangen.",
           "Graag uitschrijven.", "Schrijf me uit aub.", "Verwijder mij uit uw bestand.", "Ik wil me afmelden.",
           "Graag geen e-mails meer.", "Niet meer mailen aub.", "Gelieve mij uit uw mailinglijst te verwijderen.",
           "Wilt u ons van de verzendlijst halen?"],
    "it": ["Cancellami dalla vostra lista, grazie.", "Non voglio più ricevere queste email.",
           "Vi prego di disiscrivermi.", "Rimuovetemi dalla mailing list.", "Toglietemi dalla lista.",
           "Non scrivetemi più.", "Non contattatemi più."],
    "pt": ["Quero descadastrar meu e-mail.", "Por favor, me remova da sua lista.",
           "Não quero mais receber esses e-mails.", "Parem de me enviar mensagens.", "Não me enviem mais e-mails.",
           "Favor me descadastrar.", "Não tenho interesse, me tirem da lista.", "Remova meu e-mail da sua lista."],
}

# Look like an opt-out, are not one.
NOT_OPT_OUT = {
    "en": ["Please don't remove me from your list - I'm slammed until end of quarter. Ping me in April?",
           "Funny timing - I unsubscribed from ForecastHub's newsletter last week. Tell me more about yours.",
           "Ava, please unsubscribe the details from the thread before I forward it to our board.",
           "We're exhibiting in Barcelona. Stop by our booth (B14) and I'll introduce you to our CRO.",
           "We want to stop using spreadsheets for the forecast by Q3.",
           "How do I stop the trial if it does not work out for us?",
           "Question: can it stop reps from sandbagging?",
           "Please remove Jan from the invite, he can't make it.",
           "Does your platform handle unsubscribes? Legal wants GDPR-compliant opt-out tracking.",
           "No need to stop the emails entirely, but once a month is plenty for me.",
           "Not interested right now - budget is frozen. Check back in January.",
           "Don't email me before Monday, I'm travelling.",
           "Sure, send the deck.\n\nContoso respects your privacy. To unsubscribe from Contoso marketing "
           "communications, visit contoso.test/preferences.",
           "Sounds good, can you stop by on Tuesday?", "We need to stop losing deals in the last week of the quarter.",
           "Can you remove the watermark from the trial export?", "Please remove the old pricing from the proposal.",
           "Non-stop meetings this week, let's talk Friday.", "Our CFO wants to stop the bleeding on churn.",
           "Can your tool handle opt-outs for our campaigns?", "Your email landed in my spam folder, but I'm interested.",
           "Please remove my colleague Tom from the cc, he's not involved.", "Please take me through the pricing.",
           "Drop me a line next week.", "The trial stopped working yesterday, can you help?",
           "Unsubscribe rates on our newsletter are high, can you help?", "I'd love a demo. Don't stop the sequence.",
           "Don't unsubscribe me, I'm interested!", "I don't want to unsubscribe, just fewer emails.",
           "No, don't remove me.", "Stop the presses - this is exactly what we need!",
           "Send the deck.\n\nJohn\n\nIf you no longer wish to receive marketing emails from Contoso, reply STOP.",
           "Send the deck.\n\nJohn\n\nOpt-out: reply with REMOVE in the subject line."],
    "de": ["Bitte melden Sie mich nicht ab - ich bin nur gerade im Jahresabschluss.",
           "Ich habe mich letzte Woche von drei Software-Newslettern abgemeldet, aber Ihr Ansatz interessiert mich.",
           "Bitte nicht abmelden, wir melden uns im Mai.", "Wir wollen mit dem Excel-Chaos aufhören.",
           "Bitte nehmen Sie Herrn Schulz in den Verteiler auf.", "Ich habe mich für Ihr Webinar angemeldet.",
           "Gern.\n\nContoso GmbH - Wenn Sie keine weiteren Informationen wünschen, klicken Sie hier."],
    "fr": ["Ne me retirez pas de votre liste, le sujet nous intéresse.",
           "Je me suis désabonnée de plusieurs newsletters le mois dernier, mais votre message tombe à pic : "
           "nous voulons arrêter les prévisions sur Excel.", "Je ne suis plus chez Dupont, contactez Marie.",
           "Oui.\n\nPour vous désabonner de nos communications, cliquez ici."],
    "es": ["No me interesa la versión gratuita, pero sí el plan Enterprise con SSO.",
           "Queremos dejar de usar Excel para el forecast antes de verano.",
           "Nuestra directora está de baja por maternidad hasta junio, escríbame a mí.",
           "Sí.\n\nSi desea darse de baja de nuestras comunicaciones, responda a este correo."],
    "nl": ["We willen stoppen met Excel voor de forecast.", "Niet afmelden alsjeblieft, ik kijk er volgende week naar.",
           "Ik ben niet meer bij dit bedrijf, mail naar Jan.",
           "Prima.\n\nWil je geen e-mails meer ontvangen? Klik hier om je af te melden."],
    "it": ["Non cancellatemi dalla lista: il tema ci interessa, ma ne parliamo a maggio.",
           "Non vediamo l'ora di smettere con Excel.", "Sì.\n\nPer cancellarti dalla nostra newsletter clicca qui."],
    "pt": ["Por favor, não me remova da lista — encaminhei para o nosso diretor.",
           "Queremos parar de usar planilhas no forecast.", "Não vejo a hora de parar com as planilhas.",
           "Sim.\n\nPara se descadastrar, clique aqui."],
}

# Opt-out words whose meaning is unclear: honored AND flagged for a human.
UNSURE = [
    "Thanks for the note. We looked at a few tools last year and it was a lot of work for the team, the data "
    "never matched and my boss got annoyed with all the meetings about it, so honestly I think we should just "
    "stop. Anyway, I will forward it to Maria in case she sees it differently.",
    "I never signed up for this.",
    "Not interested.",
    "I'm not saying you should unsubscribe me.",
    "Can I unsubscribe later if we sign up?",
    "Remove me from this.",
    "Kein Interesse.",
]


@pytest.mark.parametrize(("lang", "body"), [(lang, b) for lang, bodies in CLEAR.items() for b in bodies])
def test_clear_opt_outs(lang: str, body: str) -> None:
    assert_opt_out(body)


@pytest.mark.parametrize(("lang", "body"), [(lang, b) for lang, bodies in NOT_OPT_OUT.items() for b in bodies])
def test_negations_and_other_topics_are_not_opt_outs(lang: str, body: str) -> None:
    assert_not_opt_out(body)


@pytest.mark.parametrize("body", UNSURE)
def test_unclear_opt_out_is_honored_and_flagged(body: str) -> None:
    assert_opt_out(body, unsure=True)


def test_unclear_negation_is_honored_and_flagged() -> None:
    v = words_hit("I'm not saying you should remove me.")
    assert v.kind is Kind.UNSUBSCRIBE and Flag.UNSURE in v.flags, v.reason


def test_clear_request_wins_over_an_unclear_word() -> None:
    v = words_hit("We never signed up for this. Please remove me from your list.")
    assert v.kind is Kind.UNSUBSCRIBE and Flag.UNSURE not in v.flags


# -- subject ---------------------------------------------------------------------------------

@pytest.mark.parametrize("subject", ["UNSUBSCRIBE", "unsubscribe", "Re: Forecasting at Example - remove me",
                                     "Re: Forecasting at Example [STOP]", "Abmelden", "Please remove me from your list"])
def test_opt_out_in_subject(subject: str) -> None:
    assert_opt_out("", subject=subject)


@pytest.mark.parametrize("subject", ["Re: Stop guessing your forecast", "Automatic forecasting - questions",
                                     "Re: Unsubscribe handling in your product"])
def test_subject_that_is_not_an_opt_out(subject: str) -> None:
    v = words_hit("Thanks, what does it cost?", subject=subject)
    assert v.kind is Kind.HUMAN or Flag.UNSURE in v.flags, v.reason


# -- new text only: quoted history and our own footer -------------------------------------------

def test_our_quoted_footer_is_not_an_opt_out() -> None:
    quoted = "\n".join("> " + line if line else ">" for line in OUR_MAIL.splitlines())
    body = "Sounds good, send me the case study.\n\nOn Mon, 10 Mar 2025 at 09:00, Ava <ava@acme-analytics.test> wrote:\n" \
        + quoted
    assert_not_opt_out(body)


@pytest.mark.parametrize("sep", ["", "\n________________________________\n", "\n-----Original Message-----\n"])
def test_our_footer_pasted_unquoted_is_not_an_opt_out(sep: str) -> None:
    block = "From: Ava Agent <ava@acme-analytics.test>\nSent: Monday, 10 March 2025 09:00\nTo: Sam\n" \
            "Subject: Forecasting at Example\n\n" if sep else ""
    assert_not_opt_out(f"Interesting. Send me the deck.\n{sep}{block}{OUR_MAIL}")


def test_footer_glued_into_one_line_is_not_an_opt_out() -> None:
    assert_not_opt_out("Yes, send the proposal.IanOn Wed, Ava wrote:> Hi Ian,>> " + FOOTER)


def test_opt_out_words_in_quoted_history_only_are_not_an_opt_out() -> None:
    body = "Thursday works.\n\nOn Mon, 10 Mar 2025, Sam <sam@example.test> wrote:\n> Please remove me from your list.\n"
    assert_not_opt_out(body)


def test_bottom_posted_opt_out_below_the_quote_is_found() -> None:
    quoted = "\n".join("> " + line if line else ">" for line in OUR_MAIL.splitlines())
    assert_opt_out("On Mon, 10 Mar 2025 at 09:00, Ava wrote:\n" + quoted + "\n\nPlease remove me from your list.")


def test_undecodable_accents_do_not_hide_an_opt_out() -> None:
    assert read(fold("Merci de me d\ufffd\ufffdsabonner. Je ne souhaite plus \ufffd\ufffdtre contact\ufffd\ufffde.")).sure
    assert read(fold("No me env\ufffden m\ufffds correos.")).sure
    assert read(fold("Merci de me dÃ©sabonner.")).sure  # UTF-8 read as Latin-1


# -- the address rule ------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["", "This message was automatically generated by Gmail.",
                                  "Hi, what does your product cost for a 5 person team?"])
def test_mail_to_unsubscribe_address_counts_whatever_its_text(body: str) -> None:
    v = verdict(body, to="ava+unsubscribe@acme-analytics.test", subject="question")
    assert v.kind is Kind.UNSUBSCRIBE and v.rule == "unsubscribe_address" and Flag.VIA_ADDRESS in v.flags


def test_unsubscribe_address_in_cc_or_delivered_to_counts() -> None:
    v = verdict("hello", headers="Cc: AVA+Unsubscribe@acme-analytics.test\n")
    assert v.kind is Kind.UNSUBSCRIBE and Flag.VIA_ADDRESS in v.flags
    v = verdict("hello", headers="Delivered-To: ava+unsubscribe@acme-analytics.test\n")
    assert v.kind is Kind.UNSUBSCRIBE and Flag.VIA_ADDRESS in v.flags


def test_address_rule_ignores_other_mail_and_missing_config() -> None:
    facts_ctx = Context(own_addresses=frozenset({"ava@acme-analytics.test"}), loop_marker="x")
    msg = parse(mail("hello", to="ava+unsubscribe@acme-analytics.test"))
    assert classify(msg, facts_ctx, (UnsubscribeAddress(),)).kind is Kind.HUMAN
    assert classify(parse(mail("hello")), CTX, (UnsubscribeAddress(),)).kind is Kind.HUMAN


@pytest.mark.skipif("bounce" not in _FOUND, reason="bounce rule not written yet")
def test_bounce_to_unsubscribe_address_stays_a_bounce() -> None:
    raw = (CORPUS / "messages" / "159-exim-550-no-such-user.eml").read_bytes()
    assert classify(parse(raw), CTX, CHAIN).kind is Kind.BOUNCE


def test_our_own_mail_to_unsubscribe_address_is_self() -> None:
    v = verdict("x", sender="ava@acme-analytics.test", to="ava+unsubscribe@acme-analytics.test")
    assert v.kind is Kind.SELF


# -- robustness and speed ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["", "\x00\x01 binary junk \ufffd\ufffd", "a" * 200_000, "stop " * 5000,
                                  "> " * 1000 + "\n>\n" * 1000])
def test_never_raises(body: str) -> None:
    v = words_hit(body)
    assert v.kind in (Kind.HUMAN, Kind.UNSUBSCRIBE)


def _labels() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text().splitlines() if line.strip()]


def test_corpus_unsubscribe_recall_and_precision() -> None:
    cases = [c for c in _labels() if c["kind"] in ("human", "unsubscribe")]
    got = {c["file"]: classify(parse((CORPUS / "messages" / c["file"]).read_bytes()), CTX, CHAIN) for c in cases}
    missed = [f for f, v in got.items() if v.kind is not Kind.UNSUBSCRIBE and _kind(cases, f) == "unsubscribe"]
    false = [f for f, v in got.items() if v.kind is Kind.UNSUBSCRIBE and _kind(cases, f) != "unsubscribe"]
    assert not missed, missed
    predicted = sum(v.kind is Kind.UNSUBSCRIBE for v in got.values())
    assert (predicted - len(false)) / predicted >= 0.95, false
    tricky = [c["file"] for c in cases if c["kind"] == "human" and c["note"].startswith("NOT an opt-out")]
    assert len(tricky) >= 15 and not set(tricky) & set(false)


def test_corpus_whole_chain_unsubscribe_precision() -> None:
    cases = _labels()
    verdicts = [classify(parse((CORPUS / "messages" / c["file"]).read_bytes()), CTX, CHAIN) for c in cases]
    wrong = [c["file"] for c, v in zip(cases, verdicts) if v.kind is Kind.UNSUBSCRIBE and c["kind"] != "unsubscribe"]
    predicted = sum(v.kind is Kind.UNSUBSCRIBE for v in verdicts)
    assert (predicted - len(wrong)) / predicted >= 0.95, wrong


def _kind(cases: list[dict], file: str) -> str:
    return next(c["kind"] for c in cases if c["file"] == file)


def test_dispatch_by_first_letters_finds_what_a_plain_scan_finds() -> None:
    """PatternSet tries a pattern only at words that start like it: it must miss nothing."""
    texts = [fold(b) for bodies in (*CLEAR.values(), *NOT_OPT_OUT.values(), UNSURE) for b in bodies]
    texts += [fold(parse((CORPUS / "messages" / c["file"]).read_bytes()).text) for c in _labels()]
    for ps in (unsub.STRONG_PRIORITY, unsub.SAFE, unsub.STRONG_PLAIN, unsub.STRONG_CHECKED, unsub.TRIGGERS):
        patterns = {id(rx): rx for rxs in ps.by_start.values() for rx in rxs}
        for text in texts:
            got = {(m.re.pattern, m.start()) for m in ps.finditer(text)}
            for rx in patterns.values():
                for m in rx.finditer(text):
                    assert (rx.pattern, m.start()) in got, (rx.pattern[:60], text[m.start():m.end()])

