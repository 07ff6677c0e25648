"""People asking to stop: plain, polite, indirect, in seven languages, HTML-only,
below our quoted footer, and mail to our unsubscribe address."""

from __future__ import annotations

from datetime import timedelta

from _build import Corpus, lead_reply
from _kit import (BRT, EDT, EST, OUR_UNSUB, PDT, UTC, Lead, dt, inbound_received, message, msgid_for, ours,
                  outlook_header_block, quote_lines, rfcdate, text_part, tz)
from cases_human import H

GMT = UTC


def U(c: Corpus, slug: str, lead: Lead, new: str, **kw) -> None:
    H(c, slug, lead, new, kind="unsubscribe", **kw)


def mailto(c: Corpus, slug: str, lead: Lead, d, subject: str, body: str | None, *, client: str = "gmail",
           note: str, lang: str = "en", extra=None, reply_text: str | None = None) -> None:
    """A message sent to our List-Unsubscribe mailto address (no thread headers)."""
    hs = [("Return-Path", f"<{lead.email}>")] + inbound_received(f"mail.{lead.domain}", "198.51.100.23", d, for_=OUR_UNSUB)
    hs += [("Delivered-To", OUR_UNSUB), ("From", lead.addr()), ("To", OUR_UNSUB), ("Subject", subject),
           ("Date", rfcdate(d)), ("Message-ID", msgid_for(client, lead.email + subject + str(d), lead.domain))]
    hs += extra or []
    if body is None:
        raw = message(hs + [("Content-Type", 'text/plain; charset="UTF-8"')], b"\n")
    else:
        raw = message(hs, text_part(body))
    c.add(slug, raw, "unsubscribe", reply_text=(body or "").strip() if reply_text is None else reply_text,
          language=lang, note=note)


def build(c: Corpus) -> None:
    # ---------------------------------------------------------------- English, direct
    U(c, "remove-me", Lead("Gavin", "Shaw", "gavin.shaw@ravenscroft.test", "Ravenscroft"), "Remove me.",
      odate=dt(2025, 3, 3, 9, 5), delay=1.1, client="gmail", fmt="alt", quote="gmail_us",
      note="two-word opt-out above Gmail-quoted history")

    U(c, "take-me-off-your-list", Lead("Monica", "Hayes", "mhayes@bellwether-group.test", "Bellwether Group"),
      "Please take me off your list.",
      after="Monica Hayes\nExecutive Assistant to the CEO\nBellwether Group", odate=dt(2025, 3, 3, 9, 30),
      delay=2, z=GMT, client="outlook", fmt="alt", note="polite opt-out; Outlook with signature and quoted footer")

    U(c, "stop-lowercase-ios", Lead("Derek", "Young", "derek.young@cobaltline.test", "Cobaltline"), "stop",
      after="Sent from my iPhone", odate=dt(2025, 3, 3, 14, 0), delay=0.4, z=EST, client="apple", quote="ios",
      mailer="iPhone Mail (22D82)", note="single word 'stop' (lowercase) from iOS Mail")

    U(c, "stop-caps-android", Lead("Lisa", "Monroe", "lmonroe@tidewater-freight.test", "Tidewater Freight"), "STOP",
      odate=dt(2025, 3, 4, 9, 0), delay=3, z=EST, client="android", quote="orig", mailer="Android Mail",
      note="single word 'STOP' in capitals (SMS habit)")

    U(c, "unsubscribe-one-word", Lead("Brian", "Foley", "bfoley@keystone-ind.test", "Keystone Industrial"),
      "unsubscribe", odate=dt(2025, 3, 4, 10, 0), delay=5, client="gmail", fmt="alt", quote="gmail_us", z=EDT,
      note="one word 'unsubscribe' - and the quoted footer below also says 'unsubscribe'")

    U(c, "not-interested-dont-contact-again", Lead("Claire", "Donovan", "claire.donovan@sterling-ip.test", "Sterling IP"),
      "Not interested, don't contact me again.", after="C. Donovan", odate=dt(2025, 3, 4, 11, 0), delay=0.7, z=GMT,
      client="outlook", fmt="alt", note="'Not interested, don't contact me again.'")

    U(c, "please-dont-email-me-again", Lead("Robert", "Ellison", "rob.ellison@mapleleaf-cap.test", "Mapleleaf Capital"),
      "Hi Ava,\n\nPlease don't email me again. We have no need for this.",
      after="Thanks,\nRob", odate=dt(2025, 3, 5, 9, 0), delay=6, client="gmail", fmt="alt",
      note="polite, indirect: 'Please don't email me again'")

    U(c, "rather-not-receive-these", Lead("Helen", "Tran", "helen.tran@silverlake-cons.test", "Silverlake Consulting"),
      "Thanks Ava, but I'd rather not receive these. All the best with the launch.",
      after="Helen", odate=dt(2025, 3, 5, 10, 0), delay=26, z=PDT, client="apple", fmt="alt",
      note="indirect opt-out: 'I'd rather not receive these', friendly tone")

    U(c, "not-relevant-stop-sending", Lead("Mark", "Osei", "mark.osei@goldcoast-shipping.test", "Goldcoast Shipping"),
      "This isn't relevant to us - we have no sales team. Please stop sending these emails.",
      odate=dt(2025, 3, 5, 11, 0), delay=2, z=GMT, client="thunderbird",
      note="reason first, then 'Please stop sending these emails'")

    U(c, "went-with-another-vendor-remove", Lead("Paula", "Jenkins", "paula.jenkins@westbrook-media.test", "Westbrook Media"),
      "Hi Ava,\n\nWe went with another vendor last month. Please remove me from your list.",
      after="Kind regards,\nPaula Jenkins\nHead of Revenue Operations", odate=dt(2025, 3, 6, 9, 0), delay=4, z=GMT,
      client="outlook", quote="orig", note="opt-out after a 'we chose someone else' explanation")

    U(c, "cease-all-communication", Lead("Gerald", "Whitcombe", "g.whitcombe@whitcombe-law.test", "Whitcombe & Partners LLP"),
      "Dear Sir or Madam,\n\nKindly cease all further communication with this address. I have not consented to\n"
      "receive marketing from your company.",
      after="Yours faithfully,\nGerald Whitcombe\nPartner", odate=dt(2025, 3, 6, 10, 0), delay=3, z=GMT,
      client="outlook", fmt="alt",
      disclaimer=("This email is confidential and may be subject to legal professional privilege. If you are not the\n"
                  "intended recipient, please notify us and delete it. Whitcombe & Partners LLP is authorised and\n"
                  "regulated by the Solicitors Regulation Authority."),
      note="formal legal phrasing 'Kindly cease all further communication'; legal disclaimer to strip")

    U(c, "gdpr-article-21-objection", Lead("Anna", "Kowalczyk", "anna.kowalczyk@baltic-trade.test", "Baltic Trade"),
      "I object to the processing of my personal data for direct marketing purposes under Article 21(2)\n"
      "GDPR. Delete my details and confirm in writing.",
      odate=dt(2025, 3, 6, 11, 0), delay=8, client="gmail", fmt="alt",
      note="GDPR Art. 21 objection - absolute opt-out even without the words 'unsubscribe' or 'remove'")

    U(c, "assistant-removes-boss", Lead("Emeka", "Okonkwo", "emeka.okonkwo@lagos-ventures.test", "Lagos Ventures"),
      "Good morning,\n\nPlease remove Mr. Okonkwo from your distribution list. He does not wish to be contacted\n"
      "by vendors.",
      after="Best regards,\nAdaeze Nwosu\nOffice of the Managing Director", odate=dt(2025, 3, 7, 9, 0), delay=2,
      z=tz(1), client="outlook", fmt="alt", from_="Emeka Okonkwo <emeka.okonkwo@lagos-ventures.test>",
      note="assistant writes from the lead's mailbox on their behalf: 'Please remove Mr. Okonkwo from your distribution list'")

    U(c, "wrong-person-delete-my-address", Lead("Sam", "Porter", "sam.porter@harlow-civil.test", "Harlow Civil"),
      "Wrong person and not interested. Please delete my address from your system.",
      odate=dt(2025, 3, 7, 10, 0), delay=1, z=GMT, client="gmail", quote="gmail",
      note="'Wrong person' (a referral-like phrase) combined with an explicit deletion request")

    U(c, "no-more-emails-please", Lead("Yvonne", "Carr", "yvonne.carr@pebble-crm.test", "Pebble CRM"),
      "No more emails please.", after="Sent from Yahoo Mail for iPhone", odate=dt(2025, 3, 7, 14, 0), delay=3,
      z=EST, client="yahoo", quote="orig", note="'No more emails please.' with a Yahoo mobile footer")

    U(c, "unsubscribe-typo", Lead("Kevin", "Doyle", "kdoyle@ashgrove-dental.test", "Ashgrove Dental"),
      "unsubscibe pls", odate=dt(2025, 3, 10, 9, 0), delay=4, z=GMT, client="gmail", quote="gmail",
      note="misspelled 'unsubscibe pls' - recall must not depend on exact spelling (when unsure: suppress)")

    U(c, "take-me-off-terse", Lead("Nigel", "Burton", "nigel.burton@fenland-agri.test", "Fenland Agri"),
      "Take me off. Thanks.", odate=dt(2025, 3, 10, 10, 0), delay=2, z=GMT, client="mutt",
      body=None, note="terse 'Take me off.'")

    # bottom-posted opt-out: the quote first, then the request
    L = Lead("Ursula", "Grey", "ursula.grey@moorland-energy.test", "Moorland Energy")
    o = ours(L, dt(2025, 3, 10, 11, 0), 1)
    body = (f"On Mon, 10 Mar 2025 at 11:00, Ava Agent <ava@acme-analytics.test> wrote:\n\n{quote_lines(o.text)}\n\n"
            "Please remove me from your mailing list, I've asked twice now.\n")
    raw = lead_reply(L, o, o.date + timedelta(hours=30), "gmail", "", body=body)
    c.add("bottom-posted-remove-me", raw, "unsubscribe",
          reply_text="Please remove me from your mailing list, I've asked twice now.", language="en",
          note="bottom-posted: the opt-out is BELOW the quoted history (which also contains our footer)")

    # opt-out only in the subject line, nothing new in the body
    L = Lead("Dominic", "Reyes", "dominic.reyes@brightwater-bank.test", "Brightwater Bank")
    o = ours(L, dt(2025, 3, 11, 9, 0))
    raw = lead_reply(L, o, o.date + timedelta(hours=2), "outlook", "", subject="UNSUBSCRIBE",
                     body="\n________________________________\n" + outlook_header_block(o) + "\n\n" + o.text + "\n")
    c.add("subject-only-unsubscribe", raw, "unsubscribe", reply_text="", language="en",
          note="opt-out only in the Subject ('UNSUBSCRIBE'), body has no new text above the Outlook history; reply_text is empty")

    # HTML-only opt-out
    L = Lead("Trevor", "Mills", "trevor.mills@redbrick-homes.test", "Redbrick Homes")
    U(c, "html-only-remove-from-mailing-list", L,
      "Please remove me from your mailing list.", after="Trevor Mills\nRedbrick Homes",
      odate=dt(2025, 3, 11, 10, 0), delay=5, z=GMT, client="owa", fmt="html", charset="utf-8",
      note="HTML-only opt-out (Outlook on the web); the quoted history in the HTML also contains our unsubscribe link")

    U(c, "remove-me-with-outlook-history", Lead("Jessica", "Park", "jessica.park@evergreen-sol.test", "Evergreen Solutions"),
      "Hello,\n\nI never signed up for this. Please unsubscribe me.",
      after="Regards,\nJessica Park", odate=dt(2025, 3, 11, 11, 0), delay=1, z=PDT, client="outlook", quote="outlook_old",
      follow_up=True, note="opt-out to our follow-up; two of our Message-IDs in References; quoted history with our footer")

    # mail to our unsubscribe address
    mailto(c, "mailto-gmail-generated", Lead("Aaron", "Blake", "aaron.blake@gmail.test", "-"),
           dt(2025, 3, 12, 8, 14, z=GMT), "unsubscribe", "This message was automatically generated by Gmail.\n",
           note="Gmail's one-click 'Unsubscribe' sent to our List-Unsubscribe mailto address; counts whatever its text")
    mailto(c, "mailto-empty-body", Lead("Rita", "Sousa", "rita.sousa@tagus-log.test", "Tagus Log", lang="pt"),
           dt(2025, 3, 12, 9, 40), "Unsubscribe", None, client="apple", lang="pt",
           note="mail to our unsubscribe address with an empty body; reply_text is empty")
    mailto(c, "mailto-unrelated-text", Lead("Frank", "Hollis", "frank.hollis@hollis-hvac.test", "Hollis HVAC"),
           dt(2025, 3, 12, 16, 3, z=EST), "question",
           "Hi, what does your product cost for a 5 person team?\n",
           note="mail to ava+unsubscribe@ whose text is an unrelated pricing question: still an opt-out (standard: 'whatever its text')")
    mailto(c, "mailto-outlook-subject-only", Lead("Greta", "Lindgren", "greta.lindgren@sundsvall-tra.test", "Sundsvall Trä", lang="en"),
           dt(2025, 3, 13, 7, 55), "unsubscribe", "\n", client="outlook",
           extra=[("Thread-Topic", "unsubscribe"), ("X-MS-Has-Attach", "")],
           note="Outlook's 'Unsubscribe' button: subject 'unsubscribe', blank body, to our mailto address")

    # ---------------------------------------------------------------- German
    U(c, "de-abmelden", Lead("Uwe", "Neumann", "uwe.neumann@ruhrstahl-handel.test", "Ruhrstahl Handel", lang="de"),
      "abmelden", odate=dt(2025, 3, 4, 9, 0), delay=2, client="outlook", quote="outlook",
      note="single word 'abmelden'; German Outlook history")

    U(c, "de-keine-weiteren-emails", Lead("Birgit", "Schäfer", "b.schaefer@schwarzwald-immobilien.test", "Schwarzwald Immobilien", lang="de"),
      "Sehr geehrte Damen und Herren,\n\nbitte keine weiteren E-Mails an diese Adresse.",
      after="Mit freundlichen Grüßen\nBirgit Schäfer\nSchwarzwald Immobilien GmbH & Co. KG",
      odate=dt(2025, 3, 5, 9, 0), delay=3, client="outlook", fmt="alt",
      note="'bitte keine weiteren E-Mails'")

    U(c, "de-aus-verteiler-streichen", Lead("Ralf", "Zimmermann", "ralf.zimmermann@pfalz-wein.test", "Pfalz Wein", lang="de"),
      "Bitte streichen Sie mich aus Ihrem Verteiler. Kein Interesse.",
      after="Von meinem iPhone gesendet", odate=dt(2025, 3, 6, 9, 0), delay=1, client="apple", quote="ios",
      mailer="iPhone Mail (22D82)", note="'Bitte streichen Sie mich aus Ihrem Verteiler' from iOS Mail")

    U(c, "de-dsgvo-widerspruch", Lead("Dr. Heike", "Lorenz", "heike.lorenz@lorenz-kanzlei.test", "Lorenz Kanzlei", lang="de"),
      "Sehr geehrte Damen und Herren,\n\nhiermit widerspreche ich der Verarbeitung meiner personenbezogenen Daten zu Zwecken der\n"
      "Direktwerbung gemäß Art. 21 Abs. 2 DSGVO. Ich fordere Sie auf, mich nicht mehr zu kontaktieren.",
      after="Mit freundlichen Grüßen\nDr. Heike Lorenz\nRechtsanwältin", odate=dt(2025, 3, 7, 9, 0), delay=24,
      client="outlook", fmt="alt", note="German GDPR Art. 21 objection, no 'abmelden' keyword")

    U(c, "de-nicht-mehr-anschreiben", Lead("Jens", "Hartmann", "jens@hartmann-druck.test", "Hartmann Druck", lang="de"),
      "Hallo,\n\nich möchte von Ihnen nicht mehr angeschrieben werden. Danke.",
      after="J. Hartmann", odate=dt(2025, 3, 10, 9, 0), delay=4, client="thunderbird",
      note="'ich möchte ... nicht mehr angeschrieben werden'")

    # ---------------------------------------------------------------- French
    U(c, "fr-desabonner", Lead("Nathalie", "Petit", "nathalie.petit@loire-distribution.test", "Loire Distribution", lang="fr"),
      "Merci de me désabonner.", after="Cordialement,\nN. Petit", odate=dt(2025, 3, 4, 9, 0), delay=3,
      client="outlook", fmt="alt", note="'Merci de me désabonner.'")

    U(c, "fr-ne-plus-recevoir", Lead("Olivier", "Roux", "olivier.roux@provence-bati.test", "Provence Bâti", lang="fr"),
      "Bonjour,\n\nJe ne souhaite plus recevoir vos e-mails. Merci de supprimer mon adresse de vos fichiers.",
      after="Bien cordialement,\nOlivier Roux", odate=dt(2025, 3, 5, 9, 0), delay=5, client="gmail", fmt="alt",
      note="'Je ne souhaite plus recevoir vos e-mails' ('ne plus recevoir')")

    U(c, "fr-retirez-moi-iphone", Lead("Manon", "Fournier", "manon.fournier@lyon-textiles.test", "Lyon Textiles", lang="fr"),
      "Retirez-moi de votre liste de diffusion svp", after="Envoyé de mon iPhone", odate=dt(2025, 3, 6, 9, 0),
      delay=1, client="apple", quote="ios", mailer="iPhone Mail (22D82)",
      note="'Retirez-moi de votre liste de diffusion' from iOS")

    U(c, "fr-ne-plus-me-contacter", Lead("Hugo", "Lambert", "hugo.lambert@alsace-outils.test", "Alsace Outils", lang="fr"),
      "Merci de ne plus me contacter.", odate=dt(2025, 3, 7, 9, 0), delay=6, client="thunderbird",
      note="'Merci de ne plus me contacter.'")

    # ---------------------------------------------------------------- Spanish
    U(c, "es-darse-de-baja", Lead("Pablo", "Navarro", "pablo.navarro@ebro-alimentos.test", "Ebro Alimentos", lang="es"),
      "Hola,\n\nQuiero darme de baja de esta lista. Gracias.", after="Pablo Navarro\nEbro Alimentos S.L.",
      odate=dt(2025, 3, 4, 10, 0), delay=4, client="outlook", fmt="alt", note="'Quiero darme de baja' (darse de baja)")

    U(c, "es-no-me-envien-mas", Lead("Marta", "Gil", "marta.gil@levante-textil.test", "Levante Textil", lang="es"),
      "Por favor, no me envíen más correos.", after="Enviado desde mi iPhone", odate=dt(2025, 3, 5, 10, 0),
      delay=2, client="apple", quote="ios", mailer="iPhone Mail (22D82)", note="'no me envíen más correos'")

    U(c, "es-borrenme", Lead("Andrés", "Castillo", "andres.castillo@andes-mineria.test", "Andes Minería", lang="es"),
      "Bórrenme de su base de datos y dejen de escribirme, por favor.", after="Saludos",
      odate=dt(2025, 3, 6, 11, 0), delay=9, z=tz(-5), client="gmail", fmt="alt",
      note="Latin-American Spanish: 'Bórrenme de su base de datos y dejen de escribirme'")

    # ---------------------------------------------------------------- Dutch
    U(c, "nl-graag-afmelden", Lead("Joost", "van Dijk", "joost.vandijk@hollandse-bouw.test", "Hollandse Bouw", lang="nl"),
      "Graag afmelden.", after="Met vriendelijke groet,\nJoost van Dijk", odate=dt(2025, 3, 5, 9, 0), delay=3,
      client="outlook", fmt="alt", note="'Graag afmelden.'")

    U(c, "nl-geen-emails-meer", Lead("Lotte", "Visser", "lotte.visser@utrecht-zorg.test", "Utrecht Zorg", lang="nl"),
      "Hoi,\n\nHaal mij alsjeblieft van jullie lijst, ik wil geen e-mails meer ontvangen.",
      after="Groet,\nLotte", odate=dt(2025, 3, 6, 9, 0), delay=5, client="gmail", fmt="alt",
      note="'Haal mij ... van jullie lijst, ik wil geen e-mails meer ontvangen'")

    # ---------------------------------------------------------------- Italian
    U(c, "it-cancellami", Lead("Alessandro", "Conti", "alessandro.conti@po-meccanica.test", "Po Meccanica", lang="it"),
      "Cancellami dalla vostra lista, grazie.", after="Inviato da iPhone", odate=dt(2025, 3, 5, 9, 0), delay=2,
      client="apple", quote="ios", mailer="iPhone Mail (22D82)", note="'Cancellami dalla vostra lista'")

    U(c, "it-non-voglio-piu-ricevere", Lead("Chiara", "Esposito", "chiara.esposito@partenope-srl.test", "Partenope Srl", lang="it"),
      "Buongiorno,\n\nnon voglio più ricevere queste email. Vi prego di disiscrivermi.",
      after="Cordiali saluti\nChiara Esposito", odate=dt(2025, 3, 6, 9, 0), delay=4, client="outlook", fmt="alt",
      note="'non voglio più ricevere queste email' + 'disiscrivermi'")

    # ---------------------------------------------------------------- Portuguese
    U(c, "pt-descadastrar", Lead("Fernanda", "Lima", "fernanda.lima@paulista-log.test", "Paulista Log", lang="pt"),
      "Quero descadastrar meu e-mail.", after="Enviado do meu iPhone", odate=dt(2025, 3, 5, 13, 0), delay=2,
      z=BRT, client="apple", quote="ios", mailer="iPhone Mail (22D82)", note="Brazilian 'descadastrar'")

    U(c, "pt-me-remova-nao-quero-mais", Lead("João", "Carvalho", "joao.carvalho@minho-textil.test", "Minho Têxtil", lang="pt"),
      "Bom dia,\n\nPor favor, me remova da sua lista. Não quero mais receber esses e-mails.",
      after="Atenciosamente,\nJoão Carvalho", odate=dt(2025, 3, 6, 10, 0), delay=3, z=tz(0), client="outlook",
      fmt="alt", note="'me remova da sua lista' + 'Não quero mais receber'")
