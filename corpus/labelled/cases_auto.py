"""Auto-replies: out-of-office (with and without RFC 3834 / Exchange headers),
'has left the company', address changes, ticket acknowledgements; return dates
in many formats and languages, relative ones resolved against the Date header."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from _build import Corpus
from _kit import (BRT, CEST, EDT, OUR_FROM, UTC, Lead, dt, enc_subject, html_paras, inbound_received,
                  message, msgid_for, multipart, boundary, ours, quote_lines, rfcdate, text_part, tz)

GMT = UTC


def exchange_headers(lead: Lead, loop: bool = False, suppress: bool = True, auto_submitted: bool = True,
                     thread_topic: str = "") -> list[tuple[str, str]]:
    hs = []
    if thread_topic:
        hs += [("Thread-Topic", enc_subject(thread_topic)),
               ("Thread-Index", base64.b64encode(hashlib.md5(lead.email.encode()).digest()[:18]).decode())]
    hs += [("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", "")]
    if auto_submitted:
        hs.append(("Auto-Submitted", "auto-replied"))
    if suppress:
        hs.append(("X-Auto-Response-Suppress", "All"))
    if loop:
        hs.append(("X-MS-Exchange-Inbox-Rules-Loop", lead.email))
    hs += [("X-MS-Exchange-Organization-AuthAs", "Internal"), ("X-MS-Exchange-Organization-SCL", "-1"),
           ("Content-Language", {"en": "en-US", "de": "de-DE", "fr": "fr-FR", "es": "es-ES", "nl": "nl-NL",
                                 "it": "it-IT", "pt": "pt-BR"}.get(lead.lang, "en-US"))]
    return hs


def A(c: Corpus, slug: str, lead: Lead, *, odate, delay: float, subject: str | None, body: str,
      headers: list[tuple[str, str]] | None = None, return_date: str | None, note: str, lang: str | None = None,
      z=None, fmt: str = "plain", html: str | None = None, return_path: str | None = None, from_: str | None = None,
      quote: bool = False, charset: str = "utf-8", cte: str | None = None, thread: bool = True,
      client: str | None = None, variant: int = 0) -> None:
    o = ours(lead, odate, variant)
    if client is None:
        client = "exchange" if any(k.startswith("X-MS-") for k, _ in headers or []) else "other"
    d = (o.date + timedelta(hours=delay)).astimezone(z or o.date.tzinfo)
    subj = subject if subject is not None else "Re: " + o.subject
    subj = subj.replace("{subject}", o.subject)
    rp = lead.email if return_path is None else return_path
    hs = [("Return-Path", f"<{rp}>")] + inbound_received(f"mail.{lead.domain}", "192.0.2.44", d)
    hs += [("From", from_ or lead.addr()), ("To", OUR_FROM), ("Subject", enc_subject(subj)), ("Date", rfcdate(d)),
           ("Message-ID", msgid_for("outlook" if client == "exchange" else client, slug + lead.email, lead.domain))]
    if thread:
        hs += [("In-Reply-To", o.msgid), ("References", o.msgid)]
    hs += headers or []
    text = body
    if quote:
        text = body.rstrip("\n") + "\n\n" + quote_lines(o.text) + "\n"
    if fmt == "plain":
        part = text_part(text, charset=charset, cte=cte)
    else:
        htm = html or (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}"></head>'
                       f'<body><div style="font-family:Calibri,sans-serif;font-size:11pt">{html_paras(body, "p")}</div></body></html>\n')
        hpart = text_part(htm, "html", charset=charset, cte=cte or "quoted-printable")
        part = hpart if fmt == "html" else multipart(
            "alternative", [text_part(text, charset=charset, cte=cte), hpart],
            boundary("outlook" if client == "exchange" else client, slug))
    c.add(slug, message(hs, part), "auto_reply", return_date=return_date, language=lang or lead.lang, note=note)


def build(c: Corpus) -> None:
    # ---------------------------------------------------------------- with headers, English
    L = Lead("Megan", "Holt", "megan.holt@crestview-media.test", "Crestview Media")
    A(c, "exchange-ooo-until-14-march", L, odate=dt(2025, 3, 10, 9, 0), delay=0.02, z=GMT,
      subject="Automatic reply: {subject}", return_path="",
      headers=exchange_headers(L, thread_topic="Forecasting at Crestview Media"), fmt="alt",
      body="Thank you for your message. I am out of the office until Friday 14 March with limited access\n"
           "to email. For anything urgent please contact my colleague Josh Reid (josh.reid@crestview-media.test).\n\n"
           "Kind regards,\nMegan",
      return_date="2025-03-14",
      note="Exchange OOF: Auto-Submitted + X-Auto-Response-Suppress, Return-Path <> (null sender) - an auto-reply, not a bounce")

    L = Lead("Chris", "Dalton", "chris.dalton@gmail.test", "Dalton Consulting")
    A(c, "gmail-vacation-back-on-monday", L, odate=dt(2025, 3, 19, 9, 0), delay=0.1, z=GMT,
      subject="Away at a conference",
      headers=[("Auto-Submitted", "auto-replied")], client="gmail",
      body="Hi,\n\nI'm away at a conference and back on Monday. I'll reply to your email then.\n\nChris\n",
      return_date="2025-03-24",
      note="Gmail vacation responder (Auto-Submitted: auto-replied, custom subject); 'back on Monday' resolved against Date Wed 19 Mar 2025")

    L = Lead("Ashley", "Morgan", "amorgan@lakeshore-it.test", "Lakeshore IT")
    A(c, "x-autoreply-returning-iso", L, odate=dt(2025, 3, 31, 15, 0), delay=0.01, z=EDT,
      subject="Out of Office", headers=[("X-Autoreply", "yes")],
      body="I'm on vacation, returning 2025-04-07. Emails will not be forwarded.\n",
      return_date="2025-04-07", note="X-Autoreply: yes; ISO date 'returning 2025-04-07'")

    L = Lead("Gordon", "Pike", "gordon@pike-marine.test", "Pike Marine")
    A(c, "x-autorespond-cpanel", L, odate=dt(2025, 3, 12, 10, 0), delay=0.01, z=GMT,
      subject="Autoreply: {subject}", headers=[("X-Autorespond", "Autoreply: Forecasting at Pike Marine")],
      body="Thanks for your email. I'm out on the water until Thursday 20th March and checking mail only\n"
           "occasionally. For quotes please call the office on 01234 567890.\n",
      return_date="2025-03-20", note="cPanel/Exim autoresponder header X-Autorespond; '20th March' ordinal")

    L = Lead("Holly", "Benson", "holly.benson@summerfield-foods.test", "Summerfield Foods")
    A(c, "precedence-auto-reply-no-date", L, odate=dt(2025, 3, 12, 11, 0), delay=0.02, z=GMT,
      subject="Out of Office: {subject}", headers=[("Precedence", "auto_reply")],
      body="I am currently out of the office with limited access to email. I will respond as soon as\npossible.\n",
      return_date=None, note="Precedence: auto_reply; no return date stated (pause uses the default)")

    L = Lead("Kyle", "Jensen", "kjensen@pinnacle-ortho.test", "Pinnacle Orthopedics")
    A(c, "exchange-us-date-3-14", L, odate=dt(2025, 3, 10, 14, 0), delay=0.02, z=EDT,
      subject="Automatic reply: {subject}",
      headers=exchange_headers(L, thread_topic="Forecasting at Pinnacle Orthopedics"),
      body="I'll be out of the office until 3/14 with no access to email. If you need immediate\n"
           "assistance, please call our front desk at (555) 010-2345.\n",
      return_date="2025-03-14", note="US m/d date '3/14' (unambiguous: no month 14)")

    L = Lead("Natalie", "Cooper", "natalie.cooper@harrowgate.test", "Harrowgate Consulting")
    A(c, "exchange-html-only-back-tomorrow", L, odate=dt(2025, 3, 13, 10, 0), delay=0.02, z=GMT,
      subject="Automatic reply: {subject}", fmt="html",
      headers=exchange_headers(L, thread_topic="Forecasting at Harrowgate Consulting"),
      body="Hello,\n\nI'm out today and back tomorrow. I'll get back to you then.\n\nNatalie",
      return_date="2025-03-14",
      note="HTML-only Exchange auto-reply; 'back tomorrow' resolved against Date Thu 13 Mar 2025")

    L = Lead("Simon", "Archer", "simon.archer@quayside-dev.test", "Quayside Developments")
    A(c, "ooo-quotes-original-with-footer", L, odate=dt(2025, 4, 4, 9, 0), delay=0.01, z=tz(1),
      subject="Out of office: {subject}", headers=[("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")],
      quote=True, variant=1,
      body="Thank you for your email. I am on annual leave and will return on Wednesday 9 April.\n",
      return_date="2025-04-09",
      note="auto-reply that quotes our whole original below it - including our 'unsubscribe' footer; still auto_reply, not unsubscribe")

    L = Lead("Rachel", "Nguyen", "rachel.nguyen@brightpoint.test", "Brightpoint Learning")
    A(c, "range-from-to-inclusive", L, odate=dt(2025, 4, 11, 9, 0), delay=0.02, z=tz(1),
      subject="Automatic reply: {subject}", headers=exchange_headers(L, thread_topic="Quick question about your pipeline reviews"),
      variant=1,
      body="I am out of the office from 14 April to 25 April inclusive. Your email will not be forwarded.\n"
           "For urgent matters contact sales@brightpoint.test.\n",
      return_date="2025-04-25", note="date range: the end of the stated absence is the return_date")

    L = Lead("Victoria", "Lang", "victoria.lang@marlowe-fin.test", "Marlowe Finance")
    A(c, "eu-date-in-english", L, odate=dt(2025, 5, 2, 9, 0), delay=0.01, z=tz(1),
      subject="Out of Office", headers=[("Auto-Submitted", "auto-replied")],
      body="Thank you for your message. I am travelling and will be back on 12.05.2025.\n",
      return_date="2025-05-12", note="English text with a European dd.mm.yyyy date")

    L = Lead("Owen", "Price", "owen.price@tarragon-labs.test", "Tarragon Labs")
    A(c, "parental-leave-september", L, odate=dt(2025, 3, 17, 9, 0), delay=0.02, z=tz(0),
      subject="Automatic reply: {subject}", headers=exchange_headers(L, thread_topic="Forecasting at Tarragon Labs"),
      body="Hi there,\n\nI am on parental leave until 1 September 2025. During this time, please contact\n"
           "Maria Gomez (maria.gomez@tarragon-labs.test) for anything commercial.\n\nThanks,\nOwen\n",
      return_date="2025-09-01", note="long absence, return date months later")

    L = Lead("Dennis", "Ward", "dennis.ward@northgate-tools.test", "Northgate Tools")
    A(c, "us-short-date-returning-mon", L, odate=dt(2025, 4, 1, 11, 0), delay=0.01, z=EDT,
      subject="Out of Office: {subject}", headers=[("X-Autoreply", "yes"), ("Auto-Submitted", "auto-replied")],
      body="Out of office - returning Mon 4/7. For orders call 800-555-0199.\n",
      return_date="2025-04-07", note="terse US format 'returning Mon 4/7'")

    # ---------------------------------------------------------------- left the company / address change / tickets
    L = Lead("Jane", "Doe", "jane.doe@contoso-mfg.test", "Contoso Manufacturing")
    A(c, "left-the-company-exchange-rule", L, odate=dt(2025, 3, 11, 9, 0), delay=0.01, z=EDT,
      subject="Automatic reply: {subject}",
      headers=exchange_headers(L, loop=True, auto_submitted=False, thread_topic="Forecasting at Contoso Manufacturing"),
      body="Jane Doe is no longer with Contoso Manufacturing. This mailbox is not monitored.\n"
           "Please direct sales enquiries to sales@contoso-mfg.test.\n",
      return_date=None,
      note="'has left the company' notice (flag for the lead's owner); Exchange inbox-rule reply: X-MS-Exchange-Inbox-Rules-Loop + X-Auto-Response-Suppress, no Auto-Submitted")

    L = Lead("Claudia", "Schneider", "claudia.schneider@frankenland-versand.test", "Frankenland Versand", lang="de")
    A(c, "de-nicht-mehr-im-unternehmen", L, odate=dt(2025, 3, 12, 9, 0), delay=0.01,
      subject="Automatische Antwort: {subject}",
      headers=exchange_headers(L, thread_topic="Forecasting bei Frankenland Versand"),
      body="Sehr geehrte Damen und Herren,\n\nFrau Schneider ist nicht mehr für die Frankenland Versand GmbH tätig.\n"
           "Ihre E-Mail wird nicht weitergeleitet. Bitte wenden Sie sich an vertrieb@frankenland-versand.test.\n\n"
           "Mit freundlichen Grüßen\nFrankenland Versand GmbH\n",
      return_date=None, note="German 'nicht mehr ... tätig' (left the company) Exchange auto-reply")

    L = Lead("Martin", "Ng", "martin.ng@oldmail-corp.test", "Oldmail Corp")
    A(c, "address-changed-notice", L, odate=dt(2025, 3, 13, 9, 0), delay=0.01, z=GMT,
      subject="My email address has changed", headers=[("Auto-Submitted", "auto-replied")],
      body="Please note that my email address has changed to martin.ng@newmail-corp.test.\n"
           "This address will be closed on 30 April. Please update your records.\n",
      return_date=None,
      note="address-change auto-reply; the date named is when the mailbox closes, not a return date")

    L = Lead("Support", "Team", "support@helpwise-saas.test", "Helpwise")
    A(c, "zendesk-ticket-ack", L, odate=dt(2025, 3, 13, 10, 0), delay=0.01, z=GMT,
      subject="[Request received] Re: {subject}", from_="Helpwise Support <support@helpwise-saas.test>",
      headers=[("Auto-Submitted", "auto-generated"), ("X-Mailer", "Zendesk Mailer"),
               ("X-Zendesk-From-Account-Id", "a1b2c3d")], fmt="alt",
      body="##- Please type your reply above this line -##\n\nYour request (#12345) has been received and is being\n"
           "reviewed by our support staff.\n\nTo add additional comments, reply to this email.\n",
      return_date=None, note="helpdesk ticket acknowledgement (Zendesk), Auto-Submitted: auto-generated")

    L = Lead("Service", "Desk", "servicedesk@ridgeway-energy.test", "Ridgeway Energy")
    A(c, "jira-ticket-ack-no-headers", L, odate=dt(2025, 3, 14, 10, 0), delay=0.02, z=GMT,
      subject="SUP-4821 Re: {subject}", from_="Ridgeway Service Desk <servicedesk@ridgeway-energy.test>",
      body="Hi,\n\nYour request SUP-4821 has been received. We aim to respond within two business days.\n"
           "You can view and update it at https://ridgeway-energy.atlassian.test/servicedesk/customer/portal/2/SUP-4821\n",
      return_date=None, note="ticket acknowledgement with NO auto-reply headers at all (text only)")

    L = Lead("Info", "", "info@alpine-outfitters.test", "Alpine Outfitters")
    A(c, "generic-info-ack", L, odate=dt(2025, 3, 14, 11, 0), delay=0.01, z=tz(1),
      subject="Thank you for contacting Alpine Outfitters", from_="Alpine Outfitters <info@alpine-outfitters.test>",
      headers=[("Auto-Submitted", "auto-replied")],
      body="Thank you for your email. This is an automatic confirmation that we have received it.\n"
           "We aim to respond within 2 business days.\n\nAlpine Outfitters Customer Care\n",
      return_date=None, note="generic shared-mailbox acknowledgement")

    # ---------------------------------------------------------------- with headers, other languages
    L = Lead("Wolfgang", "Richter", "w.richter@saale-chemie.test", "Saale Chemie", lang="de")
    A(c, "de-exchange-bis-zum-3-4", L, odate=dt(2025, 3, 24, 9, 0), delay=0.01,
      subject="Automatische Antwort: {subject}", headers=exchange_headers(L, thread_topic="Forecasting bei Saale Chemie"),
      body="Vielen Dank für Ihre Nachricht. Ich bin bis zum 3.4. nicht im Büro und habe keinen Zugriff auf\n"
           "meine E-Mails. In dringenden Fällen wenden Sie sich bitte an Frau Kuhn (0345 123-456).\n",
      return_date="2025-04-03", note="German Exchange OOF; 'bis zum 3.4.' (day.month, year from the Date header)")

    L = Lead("Monika", "Fuchs", "monika.fuchs@bodensee-tech.test", "Bodensee Tech", lang="de")
    A(c, "de-abwesenheitsnotiz-ab-7-april", L, odate=dt(2025, 3, 28, 9, 0), delay=0.02,
      subject="Abwesenheitsnotiz: {subject}", headers=[("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")],
      body="Guten Tag,\n\nich bin ab dem 7. April wieder erreichbar. Ihre Nachricht wird nicht weitergeleitet.\n\n"
           "Mit freundlichen Grüßen\nMonika Fuchs\n",
      return_date="2025-04-07", note="subject 'Abwesenheitsnotiz:' (Lotus/Domino style); 'ab dem 7. April wieder erreichbar'")

    L = Lead("Dieter", "Krause", "dieter.krause@weser-holz.test", "Weser Holz", lang="de")
    A(c, "de-bilingual-bis-einschliesslich", L, odate=dt(2025, 4, 2, 9, 0), delay=0.01, z=CEST,
      subject="Automatische Antwort: {subject}", headers=exchange_headers(L, thread_topic="Forecasting bei Weser Holz"),
      body="Ich bin bis einschließlich 11.04.2025 nicht im Büro. Ihre E-Mail wird nicht weitergeleitet.\n\n"
           "I am out of the office until 11 April 2025 inclusive. Your email will not be forwarded.\n",
      return_date="2025-04-11", note="bilingual German/English OOF (common in DACH); language recorded as de")

    L = Lead("Thomas", "Brunner", "thomas.brunner@inntal-bau.test", "Inntal Bau", lang="de")
    A(c, "de-am-montag-wieder", L, odate=dt(2025, 5, 7, 9, 0), delay=0.02, z=CEST,
      subject="Abwesenheit: {subject}", headers=[("Auto-Submitted", "auto-replied (vacation)")],
      body="Hallo,\n\nich bin am Montag wieder im Büro und melde mich dann.\n\nGruß\nThomas Brunner\n",
      return_date="2025-05-12",
      note="Sieve vacation ('auto-replied (vacation)'); relative 'am Montag' resolved against Date Wed 7 May 2025")

    L = Lead("Isabelle", "Mercier", "isabelle.mercier@seine-conseil.test", "Seine Conseil", lang="fr")
    A(c, "fr-reponse-automatique-2-mai", L, odate=dt(2025, 4, 22, 9, 0), delay=0.01, z=CEST,
      subject="Réponse automatique : {subject}", headers=exchange_headers(L, thread_topic="Prévisions commerciales chez Seine Conseil"),
      body="Bonjour,\n\nJe suis absente jusqu'au 2 mai inclus. Pour toute urgence, merci de contacter\n"
           "Paul Marchand (paul.marchand@seine-conseil.test).\n\nCordialement,\nIsabelle Mercier\n",
      return_date="2025-05-02", note="French Exchange 'Réponse automatique :'; 'jusqu'au 2 mai inclus'")

    L = Lead("Alejandro", "Vega", "alejandro.vega@cantabria-port.test", "Cantabria Port", lang="es")
    A(c, "es-respuesta-automatica-21-marzo", L, odate=dt(2025, 3, 14, 10, 0), delay=0.01,
      subject="Respuesta automática: {subject}", headers=exchange_headers(L, thread_topic="Previsión de ventas en Cantabria Port"),
      body="Gracias por su mensaje. Estaré fuera de la oficina hasta el 21 de marzo con acceso limitado\n"
           "al correo electrónico.\n\nUn saludo,\nAlejandro Vega\n",
      return_date="2025-03-21", note="Spanish Exchange 'Respuesta automática:'; 'hasta el 21 de marzo'")

    L = Lead("Ruud", "Smit", "ruud.smit@twente-metaal.test", "Twente Metaal", lang="nl")
    A(c, "nl-automatisch-antwoord-tot-en-met", L, odate=dt(2025, 4, 3, 9, 0), delay=0.02, z=CEST,
      subject="Automatisch antwoord: {subject}", headers=exchange_headers(L, thread_topic="Forecasting bij Twente Metaal"),
      body="Beste afzender,\n\nIk ben afwezig tot en met vrijdag 11 april. Uw e-mail wordt niet doorgestuurd.\n\n"
           "Met vriendelijke groet,\nRuud Smit\n",
      return_date="2025-04-11", note="Dutch Exchange 'Automatisch antwoord:'; 'tot en met vrijdag 11 april'")

    L = Lead("Femke", "de Boer", "femke.deboer@friesland-zuivel.test", "Friesland Zuivel", lang="nl")
    A(c, "nl-maandag-weer-terug", L, odate=dt(2025, 3, 20, 9, 0), delay=0.02,
      subject="Afwezig: {subject}", headers=[("Auto-Submitted", "auto-replied")],
      body="Hoi,\n\nIk ben maandag weer terug en beantwoord je mail dan.\n\nFemke\n",
      return_date="2025-03-24", note="Dutch relative 'maandag weer terug' against Date Thu 20 Mar 2025")

    L = Lead("Paolo", "Greco", "paolo.greco@tirreno-spa.test", "Tirreno S.p.A.", lang="it")
    A(c, "it-risposta-automatica-18-04", L, odate=dt(2025, 4, 9, 9, 0), delay=0.01, z=CEST,
      subject="Risposta automatica: {subject}", headers=exchange_headers(L, thread_topic="Previsioni di vendita in Tirreno S.p.A."),
      body="Gentile mittente,\n\nsarò fuori ufficio fino al 18/04/2025. Per urgenze contattare\n"
           "ufficio.commerciale@tirreno-spa.test.\n\nCordiali saluti,\nPaolo Greco\n",
      return_date="2025-04-18", note="Italian 'Risposta automatica:'; dd/mm/yyyy 'fino al 18/04/2025'")

    L = Lead("Elena", "Marino", "elena.marino@adriatica-log.test", "Adriatica Logistica", lang="it")
    A(c, "it-rientro-lunedi-7-aprile", L, odate=dt(2025, 4, 2, 9, 0), delay=0.02, z=CEST,
      subject="Fuori sede: {subject}", headers=[("X-Autoreply", "yes")],
      body="Buongiorno,\n\nsono fuori sede con accesso limitato alla posta. Rientro lunedì 7 aprile.\n\nElena Marino\n",
      return_date="2025-04-07", note="Italian 'Rientro lunedì 7 aprile'; X-Autoreply")

    L = Lead("Gustavo", "Ribeiro", "gustavo.ribeiro@pampa-agro.test", "Pampa Agro", lang="pt")
    A(c, "pt-resposta-automatica-25-abril", L, odate=dt(2025, 4, 15, 10, 0), delay=0.01, z=BRT,
      subject="Resposta automática: {subject}", headers=exchange_headers(L, thread_topic="Previsão de vendas na Pampa Agro"),
      body="Olá,\n\nEstarei ausente até 25 de abril, com acesso limitado ao e-mail. Em caso de urgência,\n"
           "fale com comercial@pampa-agro.test.\n\nAtenciosamente,\nGustavo Ribeiro\n",
      return_date="2025-04-25", note="Portuguese Exchange 'Resposta automática:'; 'até 25 de abril'")

    L = Lead("Inês", "Costa", "ines.costa@lisboa-digital.test", "Lisboa Digital", lang="pt")
    A(c, "pt-de-volta-segunda-14-abril", L, odate=dt(2025, 4, 9, 10, 0), delay=0.02, z=tz(1),
      subject="Ausente: {subject}", headers=[("Auto-Submitted", "auto-replied")],
      body="Obrigada pelo seu e-mail. Estarei de volta na segunda-feira, 14 de abril.\n",
      return_date="2025-04-14", note="European Portuguese 'de volta na segunda-feira, 14 de abril'")

    L = Lead("Ricardo", "Ortega", "ricardo.ortega@valencia-ceramica.test", "Valencia Cerámica", lang="es")
    A(c, "es-vuelvo-el-lunes", L, odate=dt(2025, 3, 28, 10, 0), delay=0.01,
      subject="Fuera de la oficina", headers=[("X-Autoreply", "yes")],
      body="Hola,\n\nEstoy de viaje. Vuelvo el lunes y contestaré tu correo entonces.\n\nRicardo\n",
      return_date="2025-03-31", note="Spanish relative 'Vuelvo el lunes' against Date Fri 28 Mar 2025")

    # ---------------------------------------------------------------- NO auto-reply headers at all
    L = Lead("Brandon", "Hall", "brandon.hall@westfield-steel.test", "Westfield Steel")
    A(c, "noheaders-en-until-monday-17", L, odate=dt(2025, 3, 12, 15, 0), delay=0.02, z=EDT,
      subject=None, body="Hi,\n\nI am out of the office until Monday 17 March and will respond to your email on my return.\n\n"
                         "Brandon Hall\nWestfield Steel\n",
      return_date="2025-03-17", note="NO auto-reply headers and a plain 'Re:' subject: body text alone says out of office")

    L = Lead("Sophie", "Turner", "sophie.turner@kingsbridge-edu.test", "Kingsbridge Education")
    A(c, "noheaders-en-annual-leave-back-17", L, odate=dt(2025, 3, 4, 9, 0), delay=0.02, z=GMT,
      subject=None, quote=True,
      body="Thank you for your email. I'm on annual leave from 3 to 14 March, back on 17 March.\n"
           "For urgent questions please contact admissions@kingsbridge-edu.test.\n",
      return_date="2025-03-17",
      note="no headers; both an absence range and an explicit return day (the return day wins); quotes our original incl. footer")

    L = Lead("Adam", "Fletcher", "adam.fletcher@harbor-robotics.test", "Harbor Robotics")
    A(c, "noheaders-en-travelling-back-tuesday", L, odate=dt(2025, 4, 2, 11, 0), delay=0.02, z=tz(-7),
      subject=None,
      body="I'm travelling this week with limited access to email and will reply when I'm back on Tuesday.\n",
      return_date="2025-04-08", note="no headers; relative 'back on Tuesday' against Date Wed 2 Apr 2025 -> Tue 8 Apr")

    L = Lead("Andreas", "Wolf", "andreas.wolf@spree-consult.test", "Spree Consult", lang="de")
    A(c, "noheaders-de-bis-21-03-2025", L, odate=dt(2025, 3, 17, 9, 0), delay=0.01,
      subject=None,
      body="Guten Tag,\n\nich bin bis 21.03.2025 nicht im Büro. Ihre Nachricht wird nicht weitergeleitet.\n"
           "In dringenden Fällen wenden Sie sich bitte an info@spree-consult.test.\n\nAndreas Wolf\n",
      return_date="2025-03-21", note="no headers; 'Ich bin bis ... nicht im Büro'")

    L = Lead("Petra", "Lang", "petra.lang@mosel-versicherung.test", "Mosel Versicherung", lang="de")
    A(c, "noheaders-de-ab-montag-14-04", L, odate=dt(2025, 4, 8, 9, 0), delay=0.02, z=CEST,
      subject=None,
      body="Vielen Dank für Ihre Nachricht. Ich bin ab Montag, den 14.04. wieder im Haus und melde mich\n"
           "dann umgehend.\n\nViele Grüße\nPetra Lang\n",
      return_date="2025-04-14", note="no headers; 'ab Montag, den 14.04. wieder im Haus'")

    L = Lead("Luc", "Martin", "luc.martin@garonne-industrie.test", "Garonne Industrie", lang="fr")
    A(c, "noheaders-fr-absent-jusquau-28-mars", L, odate=dt(2025, 3, 20, 9, 0), delay=0.01,
      subject=None,
      body="Bonjour,\n\nJe suis absent jusqu'au 28 mars. Je traiterai votre message à mon retour.\n\nLuc Martin\n",
      return_date="2025-03-28", note="no headers; 'je suis absent jusqu'au 28 mars'")

    L = Lead("Chloé", "Dubois", "chloe.dubois@normandie-transports.test", "Normandie Transports", lang="fr")
    A(c, "noheaders-fr-de-retour-lundi", L, odate=dt(2025, 3, 27, 9, 0), delay=0.02,
      subject=None,
      body="Bonjour,\n\nJe suis en déplacement, de retour lundi. Je vous répondrai dès que possible.\n\nChloé\n",
      return_date="2025-03-31", note="no headers; relative 'de retour lundi' against Date Thu 27 Mar 2025")

    L = Lead("Rosa", "Delgado", "rosa.delgado@galicia-pesca.test", "Galicia Pesca", lang="es")
    A(c, "noheaders-es-hasta-el-4-de-abril", L, odate=dt(2025, 3, 25, 10, 0), delay=0.01,
      subject=None,
      body="Hola,\n\nEstaré fuera de la oficina hasta el 4 de abril, con acceso limitado al correo. Para temas\n"
           "urgentes, escriba a ventas@galicia-pesca.test.\n\nGracias,\nRosa Delgado\n",
      return_date="2025-04-04", note="no headers; 'estaré fuera de la oficina hasta el 4 de abril'")

    L = Lead("Bram", "Mulder", "bram.mulder@limburg-logistiek.test", "Limburg Logistiek", lang="nl")
    A(c, "noheaders-nl-vakantie-tot-en-met", L, odate=dt(2025, 3, 18, 9, 0), delay=0.01,
      subject=None,
      body="Bedankt voor je bericht. Ik ben tot en met 28 maart met vakantie en lees mijn mail niet.\n\nBram\n",
      return_date="2025-03-28", note="no headers; Dutch 'tot en met 28 maart met vakantie'")

    L = Lead("Stefano", "Gallo", "stefano.gallo@liguria-porti.test", "Liguria Porti", lang="it")
    A(c, "noheaders-it-ferie-fino-al-22", L, odate=dt(2025, 4, 14, 9, 0), delay=0.01, z=CEST,
      subject=None,
      body="Buongiorno,\n\nsono in ferie fino al 22 aprile. Risponderò al mio rientro.\n\nStefano Gallo\n",
      return_date="2025-04-22", note="no headers; Italian 'sono in ferie fino al 22 aprile'")

    L = Lead("Carla", "Mendes", "carla.mendes@recife-energia.test", "Recife Energia", lang="pt")
    A(c, "noheaders-pt-ferias-ate-5-maio", L, odate=dt(2025, 4, 22, 10, 0), delay=0.01, z=BRT,
      subject=None,
      body="Olá,\n\nEstou de férias até 5 de maio e sem acesso ao e-mail. Responderei assim que retornar.\n\nCarla\n",
      return_date="2025-05-05", note="no headers; Portuguese 'de férias até 5 de maio'")

    L = Lead("Evan", "Roberts", "evan.roberts@glenmore-whisky.test", "Glenmore Whisky")
    A(c, "noheaders-year-boundary-6-january", L, odate=dt(2024, 12, 23, 10, 0), delay=0.02, z=GMT,
      subject=None,
      body="Thanks for your email. The office is closed for the holidays and I'm back on 6 January.\n"
           "Merry Christmas!\n\nEvan\n",
      return_date="2025-01-06",
      note="no headers; sent 23 Dec 2024, 'back on 6 January' is in the NEXT year")
