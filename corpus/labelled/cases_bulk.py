"""Bulk: newsletters, mailing-list posts and notification senders. None of them is
a reply to us, even when they say 'unsubscribe' or start with 'Re:'."""

from __future__ import annotations

from _build import Corpus
from _kit import (EDT, OUR_ADDR, OUR_FROM, PDT, UTC, dt, enc_subject, esc, h, inbound_received, message,
                  multipart, rfcdate, text_part)

GMT = UTC


def bulk(c: Corpus, slug: str, *, from_: str, subject: str, d, text: str, html: str | None = None,
         headers: list[tuple[str, str]], to: str = OUR_FROM, return_path: str | None = None, note: str,
         lang: str = "en", host: str = "mta.esp.test", charset: str = "utf-8", msgid: str | None = None) -> None:
    rp = return_path if return_path is not None else f"bounce-{h(slug, 12)}@{host}"
    hs = [("Return-Path", f"<{rp}>")] + inbound_received(host, "198.51.100.90", d)
    hs += [("From", from_), ("To", to), ("Subject", enc_subject(subject)), ("Date", rfcdate(d)),
           ("Message-ID", msgid or f"<{h('bulk' + slug, 24)}@{host}>")] + headers
    if html is None:
        part = text_part(text, charset=charset)
    else:
        part = multipart("alternative", [text_part(text, charset=charset, cte="quoted-printable"),
                                         text_part(html, "html", charset=charset, cte="quoted-printable")],
                         "_----------=_" + h("bb" + slug, 20))
    c.add(slug, message(hs, part), "bulk", language=lang, note=note)


def newsletter_html(title: str, paras: list[str], footer: str) -> str:
    body = "".join(f'<tr><td style="padding:12px 24px;font:15px/1.5 Helvetica,Arial">{esc(p)}</td></tr>' for p in paras)
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>' + esc(title) + '</title></head>'
            '<body style="margin:0;background:#f4f4f4"><table width="600" align="center" bgcolor="#ffffff">'
            f'<tr><td style="padding:24px;font:bold 22px Helvetica">{esc(title)}</td></tr>{body}'
            f'<tr><td style="padding:24px;font:11px Helvetica;color:#888">{footer}</td></tr></table>'
            '<img src="https://open.esp.test/o/abc123.gif" width="1" height="1" alt=""></body></html>\n')


def build(c: Corpus) -> None:
    lu = lambda url, mt: ("List-Unsubscribe", f"<{url}>, <mailto:{mt}>")  # noqa: E731
    bulk(c, "mailchimp-newsletter", from_="SaaS Growth Weekly <hello@saasgrowthweekly.test>",
         subject="Issue #142: The death of the weekly pipeline meeting", d=dt(2025, 3, 4, 14, 0, z=EDT),
         host="mail187.atl221.mcsv.test",
         text=("SaaS Growth Weekly - Issue #142\n\nThe death of the weekly pipeline meeting\n\n"
               "This week: why three RevOps leaders replaced their Monday forecast call with async updates,\n"
               "and what broke when they did.\n\nRead more: https://saasgrowthweekly.test/142\n\n"
               "You are receiving this email because you opted in via our website.\n"
               "Want to change how you receive these emails?\n"
               "You can update your preferences or unsubscribe from this list:\n"
               "https://saasgrowthweekly.us1.list-manage.test/unsubscribe?u=8d1f&id=2b3c\n"),
         html=newsletter_html("The death of the weekly pipeline meeting",
                              ["This week: why three RevOps leaders replaced their Monday forecast call with async updates.",
                               "Read more on our site."],
                              'You can <a href="https://saasgrowthweekly.us1.list-manage.test/profile">update your preferences</a> '
                              'or <a href="https://saasgrowthweekly.us1.list-manage.test/unsubscribe">unsubscribe from this list</a>.'),
         headers=[("List-Id", "8d1f2b3c4d5e6f7a8b9c0d1e2 <8d1f2b3c4d5e6f7a8b9c0d1e2.list-id.mcsv.test>"),
                  lu("https://saasgrowthweekly.us1.list-manage.test/unsubscribe?u=8d1f&id=2b3c",
                     "unsubscribe-mc.us1_8d1f.2b3c@mailin1.us1.mcsv.test"),
                  ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"), ("Precedence", "bulk"),
                  ("X-Mailer", "Mailchimp Mailer - **CID2b3c4d5e6f**"), ("Feedback-ID", "2b3c:8d1f:mc.us1:mcsv")],
         note="ESP newsletter: List-Id, List-Unsubscribe(-Post), Precedence: bulk; body talks about 'unsubscribe from this list'")

    bulk(c, "github-notification-mention", from_="Jana Dev <notifications@github.test>",
         to="acme/sqa-engage <sqa-engage@noreply.github.test>",
         subject="Re: [acme/sqa-engage] Classifier misses 'abmelden' in HTML-only mail (Issue #42)",
         d=dt(2025, 3, 5, 11, 0), host="out-21.smtp.github.test",
         msgid="<acme/sqa-engage/issues/42/2700112233@github.test>",
         text=("@ava-agent can you remove the STOP keyword from the allow-list? It unsubscribes people who\n"
               "write \"stop by our booth\".\n\n--\nReply to this email directly, view it on GitHub:\n"
               "https://github.test/acme/sqa-engage/issues/42#issuecomment-2700112233\n"
               "You are receiving this because you were mentioned.\n\nMessage ID: <acme/sqa-engage/issues/42/2700112233@github.test>\n"),
         headers=[("Cc", "Ava Agent <ava@acme-analytics.test>, Mention <mention@noreply.github.test>"),
                  ("In-Reply-To", "<acme/sqa-engage/issues/42@github.test>"),
                  ("References", "<acme/sqa-engage/issues/42@github.test>"),
                  ("List-ID", "acme/sqa-engage <sqa-engage.acme.github.test>"),
                  ("List-Archive", "https://github.test/acme/sqa-engage"),
                  lu("https://github.test/notifications/unsubscribe/ABCDEF", "unsub+ABCDEF@reply.github.test"),
                  ("Precedence", "list"), ("X-GitHub-Sender", "janadev"), ("X-GitHub-Reason", "mention"),
                  ("X-GitHub-Recipient-Address", OUR_ADDR), ("X-Auto-Response-Suppress", "All")],
         note="GitHub-style notification: 'Re:' subject, In-Reply-To (not ours), words 'remove', 'STOP', 'unsubscribe' in text - bulk by List-ID/Precedence/notifications@")

    bulk(c, "mailman-list-post-reply", from_="Oliver Stanton <oliver@stanton-revops.test>",
         to="revops-community@lists.revops.test",
         subject="[revops-community] Re: Forecast tooling recommendations?", d=dt(2025, 3, 6, 16, 0, z=GMT),
         host="mail.lists.revops.test", return_path="revops-community-bounces+ava=acme-analytics.test@lists.revops.test",
         text=("We moved off spreadsheets last year. Honestly the tool mattered less than agreeing on stage\n"
               "definitions first.\n\nOn 06/03/2025 14:12, Priya wrote:\n> Anyone using something better than a shared sheet for the weekly forecast?\n\n"
               "Oliver\n_______________________________________________\n"
               "revops-community mailing list -- revops-community@lists.revops.test\n"
               "To unsubscribe send an email to revops-community-leave@lists.revops.test\n"),
         headers=[("In-Reply-To", "<CAF7x2q@mail.gmail.com>"), ("References", "<CAF7x2q@mail.gmail.com>"),
                  ("List-Id", "RevOps practitioners <revops-community.lists.revops.test>"),
                  ("List-Archive", "<https://lists.revops.test/archives/list/revops-community@lists.revops.test/>"),
                  ("List-Help", "<mailto:revops-community-request@lists.revops.test?subject=help>"),
                  ("List-Owner", "<mailto:revops-community-owner@lists.revops.test>"),
                  ("List-Post", "<mailto:revops-community@lists.revops.test>"),
                  ("List-Subscribe", "<mailto:revops-community-join@lists.revops.test>"),
                  ("List-Unsubscribe", "<mailto:revops-community-leave@lists.revops.test>"),
                  ("Precedence", "list"), ("Message-ID-Hash", "QK3M7XZ2")],
         note="Mailman 3 list post by a person: 'Re:' subject, quoting, footer 'To unsubscribe send an email to ...'")

    bulk(c, "mailman-member-asks-unsubscribe", from_="Gary Lutz <glutz@lutzbrothers.test>",
         to="revops-community@lists.revops.test", subject="[revops-community] unsubscribe",
         d=dt(2025, 3, 7, 8, 30, z=EDT), host="mail.lists.revops.test",
         return_path="revops-community-bounces+ava=acme-analytics.test@lists.revops.test",
         text=("Please unsubscribe me from this list. I've tried the link three times.\n\nGary\n"
               "_______________________________________________\nrevops-community mailing list -- revops-community@lists.revops.test\n"
               "To unsubscribe send an email to revops-community-leave@lists.revops.test\n"),
         headers=[("List-Id", "RevOps practitioners <revops-community.lists.revops.test>"),
                  ("List-Post", "<mailto:revops-community@lists.revops.test>"),
                  ("List-Unsubscribe", "<mailto:revops-community-leave@lists.revops.test>"), ("Precedence", "list")],
         note="a list member posting 'Please unsubscribe me from this list' to a mailing list we read - NOT an opt-out from us; bulk")

    bulk(c, "google-groups-post", from_="Maya Lindqvist <maya.lindqvist@gmail.test>",
         to="sales-leaders-nordics@googlegroups.test", subject="Meetup in Stockholm 10 April - agenda",
         d=dt(2025, 3, 10, 12, 0), host="mail-sor-f65.google.test",
         return_path="sales-leaders-nordics+bncBD4@googlegroups.test",
         text=("Hi all,\n\nAgenda for the 10 April meetup: forecasting without spreadsheets, comp plans, and pizza.\n"
               "Reply to me directly if you want to present.\n\nMaya\n\n-- \n"
               "You received this message because you are subscribed to the Google Groups \"Sales Leaders Nordics\" group.\n"
               "To unsubscribe from this group and stop receiving emails from it, send an email to\n"
               "sales-leaders-nordics+unsubscribe@googlegroups.test.\n"),
         headers=[("Mailing-list", "list sales-leaders-nordics@googlegroups.test; contact sales-leaders-nordics+owners@googlegroups.test"),
                  ("Precedence", "list"), ("List-ID", "<sales-leaders-nordics.googlegroups.test>"),
                  ("X-Google-Group-Id", "118234567890"),
                  ("List-Post", "<https://groups.google.test/group/sales-leaders-nordics/post>"),
                  ("List-Unsubscribe", "<mailto:googlegroups-manage+118234567890+unsubscribe@googlegroups.test>,\n"
                                       " <https://groups.google.test/group/sales-leaders-nordics/subscribe>")],
         note="Google Groups post: Mailing-list, List-ID, Precedence: list; footer 'To unsubscribe from this group and stop receiving emails'")

    bulk(c, "linkedin-notification", from_="LinkedIn <messages-noreply@linkedin.test>",
         subject="Tom, you have 3 new messages", d=dt(2025, 3, 11, 7, 15), host="mailb-ac.linkedin.test",
         text=("You have 3 new messages\n\nPriya Nair: Thanks for connecting! ...\nMarcus Bell: Quick question about...\n\n"
               "View messages: https://www.linkedin.test/messaging/\n\n"
               "This email was intended for Ava Agent (AI Sales Assistant at Acme Analytics).\n"
               "Unsubscribe: https://www.linkedin.test/e/v2?e=unsub\n"),
         headers=[lu("https://www.linkedin.test/e/v2?e=unsub", "unsubscribe@linkedin.test"),
                  ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                  ("X-LinkedIn-Class", "INMAIL"), ("X-LinkedIn-Template", "messaging_digest")],
         note="social notification from messages-noreply@ with List-Unsubscribe only (no List-Id, no Precedence)")

    bulk(c, "noreply-invoice-no-list-headers", from_="CloudHost Billing <no-reply@billing.cloudhost.test>",
         subject="Your invoice INV-2025-0311 is available", d=dt(2025, 3, 11, 2, 0, z=GMT), host="smtp.cloudhost.test",
         text=("Hello,\n\nYour invoice INV-2025-0311 for EUR 49.00 is now available in the billing portal.\n\n"
               "This is an automated message, please do not reply.\n\nCloudHost\n"),
         headers=[("X-Entity-Ref-ID", h("inv", 20))],
         note="transactional mail from no-reply@ with NO List-* or Precedence headers: bulk by sender address alone")

    bulk(c, "jira-notifications-precedence-junk", from_="\"Mia Chen (Jira)\" <jira@acme-analytics.atlassian.test>",
         subject="[JIRA] (SQA-118) Handle 'Automatisch antwoord' subjects", d=dt(2025, 3, 12, 9, 41),
         host="mail-us.atlassian.test", return_path="jira@acme-analytics.atlassian.test",
         text=("Mia Chen commented on SQA-118\nRe: Handle 'Automatisch antwoord' subjects\n\n"
               "Reproduced with a Dutch OOO. Please stop closing this as duplicate.\n\n"
               "This message was sent by Atlassian Jira (v1001.0.0-SNAPSHOT#100279)\n"),
         headers=[("Precedence", "junk"), ("X-JIRA-FingerPrint", h("jira", 32)),
                  ("In-Reply-To", "<JIRA.10118.1741700000000@Atlassian.JIRA>")],
         note="Jira notification with Precedence: junk; text says 'Please stop closing this' and names an auto-reply subject")

    bulk(c, "webinar-invite-list-unsubscribe-only", from_="Pipedrive Events <events@pipedrive-mail.test>",
         subject="You're invited: Forecasting masterclass (live, 20 March)", d=dt(2025, 3, 12, 16, 0),
         host="o1.email.pipedrive-mail.test",
         text=("Hi there,\n\nJoin our forecasting masterclass on 20 March at 16:00 CET. Save your seat:\n"
               "https://events.pipedrive-mail.test/masterclass\n\nNot interested in events? Manage preferences or\n"
               "unsubscribe: https://pipedrive-mail.test/unsubscribe/abc\n"),
         html=newsletter_html("Forecasting masterclass", ["Join us live on 20 March at 16:00 CET."],
                              '<a href="https://pipedrive-mail.test/unsubscribe/abc">Unsubscribe</a>'),
         headers=[lu("https://pipedrive-mail.test/unsubscribe/abc", "unsubscribe@pipedrive-mail.test"),
                  ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"), ("X-SG-EID", h("sg", 30))],
         note="marketing invite: only List-Unsubscribe(-Post) marks it as bulk; body says 'Not interested?'")

    bulk(c, "calendly-booking-notification", from_="Calendly <notifications@calendly.test>",
         subject="New Event: Tom Whitaker - 10:00 Thu, 6 Mar 2025 - 20 Minute Meeting", d=dt(2025, 3, 4, 13, 0),
         host="mail.calendly.test",
         text=("Hi Ava,\n\nA new event has been scheduled.\n\nEvent Type: 20 Minute Meeting\nInvitee: Tom Whitaker\n"
               "Invitee Email: tom.whitaker@brightline-logistics.test\nEvent Date/Time: 10:00 - Thursday, 6 March 2025\n\n"
               "View event in Calendly: https://calendly.test/events/abc\n"),
         headers=[("Reply-To", "tom.whitaker@brightline-logistics.test")],
         note="scheduling-tool notification from notifications@ (Reply-To is the lead!): machine mail, not the lead's reply - bulk")

    bulk(c, "de-newsletter-abmelden-footer", from_="Vertriebsprofi Newsletter <newsletter@vertriebsprofi.test>",
         subject="Vertriebsprofi #12: Forecasts, die stimmen", d=dt(2025, 3, 13, 7, 0), host="mta3.cleverreach.test",
         lang="de",
         text=("Vertriebsprofi – Ausgabe 12\n\nForecasts, die stimmen: drei Fehler, die fast jedes Vertriebsteam macht.\n\n"
               "Weiterlesen: https://vertriebsprofi.test/12\n\n"
               "Sie erhalten diesen Newsletter, weil Sie sich angemeldet haben.\n"
               "Newsletter abmelden: https://vertriebsprofi.test/abmelden?id=99\n\n"
               "Vertriebsprofi GmbH, Musterstraße 1, 80331 München\n"),
         html=newsletter_html("Forecasts, die stimmen", ["Drei Fehler, die fast jedes Vertriebsteam macht."],
                              '<a href="https://vertriebsprofi.test/abmelden?id=99">Newsletter abmelden</a> · Impressum'),
         headers=[("Precedence", "bulk"), lu("https://vertriebsprofi.test/abmelden?id=99", "abmelden@vertriebsprofi.test"),
                  ("X-Mailer", "CleverReach")],
         note="German newsletter whose footer says 'Newsletter abmelden' - bulk, NOT an opt-out")

    bulk(c, "fr-newsletter-se-desabonner", from_="Le Club des Commerciaux <infos@clubcommerciaux.test>",
         subject="Les 5 tendances de la vente B2B en 2025", d=dt(2025, 3, 13, 8, 0), host="mta.sendinblue.test",
         lang="fr",
         text=("Bonjour,\n\nDécouvrez les 5 tendances de la vente B2B en 2025 sur notre blog.\n\n"
               "Vous ne souhaitez plus recevoir nos e-mails ? Se désabonner : https://clubcommerciaux.test/desabo\n"),
         headers=[lu("https://clubcommerciaux.test/desabo", "desabonnement@clubcommerciaux.test"),
                  ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"), ("Precedence", "bulk"),
                  ("List-Id", "<newsletter.clubcommerciaux.test>")],
         note="French newsletter: 'Vous ne souhaitez plus recevoir nos e-mails ? Se désabonner' - bulk")

    bulk(c, "es-newsletter-darse-de-baja", from_="Ventas B2B Hoy <boletin@ventasb2bhoy.test>",
         subject="Boletín de marzo: cómo acertar con la previsión", d=dt(2025, 3, 14, 9, 0), host="mta.mailrelay.test",
         lang="es",
         text=("Hola,\n\nEn el boletín de marzo: cómo acertar con la previsión de ventas.\n\n"
               "Si no quieres recibir más correos, puedes darte de baja aquí: https://ventasb2bhoy.test/baja\n"),
         headers=[lu("https://ventasb2bhoy.test/baja", "baja@ventasb2bhoy.test"), ("Precedence", "bulk")],
         note="Spanish newsletter footer 'Si no quieres recibir más correos, puedes darte de baja' - bulk")

    bulk(c, "listserv-owner-sender", from_="Prof. Alan Reeve <a.reeve@uni-westmoor.test>",
         to="SALESTECH-L@LISTSERV.UNI-WESTMOOR.TEST", subject="CFP: Sales Analytics Workshop 2025",
         d=dt(2025, 3, 14, 15, 0, z=GMT), host="listserv.uni-westmoor.test",
         return_path="owner-salestech-l@listserv.uni-westmoor.test",
         text=("Call for papers: Sales Analytics Workshop 2025, deadline 30 April.\n\nAlan Reeve\n\n"
               "To unsubscribe from the SALESTECH-L list, send SIGNOFF SALESTECH-L to LISTSERV@LISTSERV.UNI-WESTMOOR.TEST\n"),
         headers=[("Sender", "Sales Technology Discussion List <SALESTECH-L@LISTSERV.UNI-WESTMOOR.TEST>"),
                  ("Reply-To", "Sales Technology Discussion List <SALESTECH-L@LISTSERV.UNI-WESTMOOR.TEST>"),
                  ("Errors-To", "owner-salestech-l@listserv.uni-westmoor.test")],
         note="LISTSERV-style post: no List-Id/Precedence; Sender is the list and the envelope sender is owner-* - bulk")

    bulk(c, "majordomo-request-reply", from_="revops-digest-request@lists.revops.test",
         subject="Welcome to revops-digest", d=dt(2025, 3, 17, 6, 0), host="mail.lists.revops.test",
         return_path="revops-digest-owner@lists.revops.test",
         text=("Welcome to the revops-digest mailing list!\n\nPlease save this message for future reference.\n"
               "To leave the list, send 'unsubscribe revops-digest' to revops-digest-request@lists.revops.test.\n"),
         headers=[],
         note="list-manager message from *-request@ (no List-* headers): bulk by sender; text includes 'unsubscribe'")

    bulk(c, "do-not-reply-bank", from_="Northbank Business <do-not-reply@alerts.northbank.test>",
         subject="Payment received: EUR 12,400.00", d=dt(2025, 3, 17, 11, 0), host="alerts.northbank.test",
         text=("A payment of EUR 12,400.00 from Brightline Logistics has been credited to your account ending 4411.\n\n"
               "Please do not reply to this email.\n"),
         headers=[("X-Priority", "3")],
         note="bank alert from do-not-reply@ that names a lead's company: still bulk")

    bulk(c, "survey-noreply", from_="Acme Cloud Team <no-reply@acmecloud-surveys.test>",
         subject="How did we do? 1-minute survey", d=dt(2025, 3, 18, 10, 0), host="mta.qualtrics.test",
         text=("Hi,\n\nHow likely are you to recommend us to a colleague? Click a number from 0 to 10:\n"
               "https://survey.acmecloud-surveys.test/nps\n\nUnsubscribe from surveys: https://acmecloud-surveys.test/u\n"),
         headers=[lu("https://acmecloud-surveys.test/u", "u@acmecloud-surveys.test")],
         note="survey from no-reply@ with List-Unsubscribe")

    bulk(c, "marketing-fake-re-subject", from_="Jordan at GrowthPilot <jordan@growthpilot-mail.test>",
         subject="Re: your forecast", d=dt(2025, 3, 19, 15, 0, z=PDT), host="mta.hubspotemail.test",
         text=("Hey Ava,\n\nQuick follow-up on my last note - GrowthPilot can 3x your outbound reply rates.\n"
               "Worth a chat?\n\nJordan\n\nGrowthPilot Inc., 500 Market St, San Francisco\n"
               "Unsubscribe: https://growthpilot-mail.test/hs/manage-preferences/unsubscribe\n"),
         headers=[lu("https://growthpilot-mail.test/hs/manage-preferences/unsubscribe", "unsub@growthpilot-mail.test"),
                  ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"), ("Precedence", "bulk"),
                  ("X-HubSpot-Message-Id", h("hs", 20))],
         note="someone else's cold sequence with a fake 'Re:' subject and no In-Reply-To: bulk (Precedence + List-Unsubscribe)")

    bulk(c, "nl-product-update-noreply", from_="Moneybird <noreply@moneybird-mail.test>",
         subject="Nieuw in maart: automatische herinneringen", d=dt(2025, 3, 20, 10, 0), host="mta.moneybird-mail.test",
         lang="nl",
         text=("Hoi,\n\nNieuw deze maand: automatische betalingsherinneringen.\n\n"
               "Wil je deze e-mails niet meer ontvangen? Afmelden: https://moneybird-mail.test/afmelden\n"),
         headers=[lu("https://moneybird-mail.test/afmelden", "afmelden@moneybird-mail.test")],
         note="Dutch product update from noreply@; footer 'Wil je deze e-mails niet meer ontvangen? Afmelden'")
