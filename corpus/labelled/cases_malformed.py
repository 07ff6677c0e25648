"""Malformed but readable: broken MIME, lying encodings, unknown charsets, raw 8-bit
headers, broken folding, nested message/rfc822. Each keeps the kind its meaning has."""

from __future__ import annotations

from datetime import timedelta

from _build import Corpus
from _kit import (EDT, enc_subject, OUR_ADDR, OUR_FROM, UTC, Lead, dt, gmail_quote, h, inbound_received,
                  msgid_for, original_message_quote, ours, outlook_quote, quote_lines, render_ours, rfcdate,
                  tz)

GMT = UTC


def hdrs(pairs) -> bytes:
    return "".join(f"{k}: {v}\n" for k, v in pairs).encode("utf-8")


def crlf(b: bytes) -> bytes:
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def reply_head(L: Lead, o, d, client="gmail", subject=None, extra=()):
    subj = subject or "Re: " + o.subject
    return ([("Return-Path", f"<{L.email}>")] + inbound_received(f"mail.{L.domain}", "203.0.113.77", d)
            + [("From", L.addr()), ("To", OUR_FROM), ("Subject", enc_subject(subj)), ("Date", rfcdate(d)),
               ("Message-ID", msgid_for(client, L.email + str(d), L.domain)), ("In-Reply-To", o.msgid),
               ("References", o.msgid)] + list(extra))


def build(c: Corpus) -> None:
    # 1 multipart without boundary parameter
    L = Lead("Felix", "Grant", "felix.grant@harrow-data.test", "Harrow Data")
    o = ours(L, dt(2025, 3, 17, 9, 0))
    d = o.date + timedelta(hours=3)
    new = "Hi Ava,\n\nGood timing. Can you send me a sandbox login so our analyst can test it on last quarter's data?"
    body = (f"--b1_{h('x', 8)}\nContent-Type: text/plain; charset=utf-8\n\n{new}\n\nThanks,\nFelix\n\n"
            f"{gmail_quote(o)}\n--b1_{h('x', 8)}\nContent-Type: text/html; charset=utf-8\n\n"
            f"<div>{new.replace(chr(10), '<br>')}</div>\n--b1_{h('x', 8)}--\n")
    raw = hdrs(reply_head(L, o, d)) + b"MIME-Version: 1.0\nContent-Type: multipart/alternative\n\n" + body.encode()
    c.add("malformed-multipart-missing-boundary", crlf(raw), "human", reply_text=new, language="en",
          note="[malformed] Content-Type multipart/alternative WITHOUT a boundary parameter; parts must be recovered from the raw body")

    # 2 unknown charset with latin-1 bytes
    L = Lead("Günther", "Maier", "g.maier@schwaben-praezision.test", "Schwaben Präzision", lang="de")
    o = ours(L, dt(2025, 3, 18, 9, 0))
    d = o.date + timedelta(hours=5)
    new = "Hallo Ava,\n\nfür uns wäre eine Schulung vor Ort in Stuttgart wichtig. Geht das, und was kostet es?"
    text = f"{new}\n\nGrüße\nGünther Maier\n\n{outlook_quote(o, 'de')}"
    raw = (hdrs(reply_head(L, o, d, "outlook")) + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=\"x-unknown\"\n"
           b"Content-Transfer-Encoding: 8bit\n\n" + text.encode("latin-1"))
    c.add("malformed-charset-x-unknown-latin1", crlf(raw), "human", reply_text=new, language="de",
          note="[malformed] charset=\"x-unknown\" with ISO-8859-1 bytes (ä, ü, ß): decode leniently")

    # 3 broken header folding pushes the rest of the header block into the body
    L = Lead("Harriet", "Cole", "harriet.cole@pennine-water.test", "Pennine Water")
    o = ours(L, dt(2025, 3, 18, 10, 0))
    d = o.date + timedelta(hours=2)
    new = "Please remove me from your mailing list."
    head = (f"Return-Path: <{L.email}>\nFrom: {L.addr()}\nTo: {OUR_FROM}\nDate: {rfcdate(d)}\n"
            f"Message-ID: {msgid_for('other', L.email, L.domain)}\nSubject: Re: {o.subject}\n"
            f"In-Reply-To: {o.msgid}\nReferences: <CA+prev1@mail.gmail.com>\n<CA+prev2@mail.gmail.com> {o.msgid}\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n")
    raw = (head + f"{new}\n\nHarriet Cole\n\n{original_message_quote(o)}").encode()
    c.add("malformed-broken-folding-unsubscribe", crlf(raw), "unsubscribe", reply_text=new, language="en",
          note="[malformed] a References continuation line without leading whitespace ends the header block early: "
               "MIME-Version/Content-Type end up as body lines above the opt-out")

    # 4 base64 that lies (the body is plain text)
    L = Lead("Ian", "Douglas", "ian.douglas@clyde-marine.test", "Clyde Marine")
    o = ours(L, dt(2025, 3, 19, 9, 0))
    d = o.date + timedelta(hours=4)
    new = "Ava - yes, send the proposal. Our financial year starts in April so timing is good."
    raw = (hdrs(reply_head(L, o, d)) + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
           b"Content-Transfer-Encoding: base64\n\n" + f"{new}\n\nIan\n\n{gmail_quote(o)}".encode())
    c.add("malformed-base64-that-lies", crlf(raw), "human", reply_text=new, language="en",
          note="[malformed] Content-Transfer-Encoding: base64 but the body is plain text: fall back to the raw text")

    # 5 raw 8-bit UTF-8 in headers (auto-reply)
    L = Lead("Jürgen", "Müller", "juergen.mueller@muenchner-messtechnik.test", "Münchner Messtechnik", lang="de")
    o = ours(L, dt(2025, 4, 10, 9, 0))
    d = o.date + timedelta(minutes=1)
    head = ([("Return-Path", f"<{L.email}>")] + inbound_received(f"mail.{L.domain}", "203.0.113.78", d)
            + [("From", "Jürgen Müller <juergen.mueller@muenchner-messtechnik.test>"), ("To", OUR_FROM),
               ("Subject", "Abwesenheitsnotiz: Jürgen Müller – Forecasting bei Münchner Messtechnik"),
               ("Date", rfcdate(d)), ("Message-ID", f"<{h('am' + L.email, 20)}@muenchner-messtechnik.test>"),
               ("In-Reply-To", o.msgid), ("Auto-Submitted", "auto-replied")])
    raw = (hdrs(head) + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
           + "Guten Tag,\n\nich bin bis zum 22.04. nicht erreichbar. Ihre Nachricht wird nicht weitergeleitet.\n\nJürgen Müller\n".encode())
    c.add("malformed-8bit-utf8-headers-autoreply", crlf(raw), "auto_reply", return_date="2025-04-22", language="de",
          note="[malformed] raw UTF-8 bytes in From and Subject (no RFC 2047 encoding); 'bis zum 22.04.' against Date 10 Apr 2025")

    # 6 unknown-8bit charset, latin-1 French auto-reply without headers
    L = Lead("Aurélie", "Fontaine", "aurelie.fontaine@bourgogne-vins.test", "Bourgogne Vins", lang="fr")
    o = ours(L, dt(2025, 4, 3, 9, 0))
    d = o.date + timedelta(minutes=2)
    raw = (hdrs(reply_head(L, o, d, "other")) + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=unknown-8bit\n"
           b"Content-Transfer-Encoding: 8bit\n\n"
           + "Bonjour,\n\nJe suis absente jusqu'au 11 avril inclus et n'aurai pas accès à mes e-mails.\n\nAurélie Fontaine\n".encode("latin-1"))
    c.add("malformed-unknown-8bit-fr-autoreply", crlf(raw), "auto_reply", return_date="2025-04-11", language="fr",
          note="[malformed] charset=unknown-8bit with Latin-1 bytes; auto-reply with NO auto-reply headers ('Re:' subject)")

    # 7 declared us-ascii, actually UTF-8
    L = Lead("Mathilde", "Roche", "mathilde.roche@cevennes-bio.test", "Cévennes Bio", lang="fr")
    o = ours(L, dt(2025, 3, 20, 9, 0))
    d = o.date + timedelta(hours=6)
    new = "Merci de me désabonner de votre liste. Je ne souhaite plus être contactée."
    raw = (hdrs(reply_head(L, o, d, "thunderbird")) + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n"
           b"Content-Transfer-Encoding: 7bit\n\n" + f"{new}\n\nMathilde\n\n{gmail_quote(o, 'fr')}".encode("utf-8"))
    c.add("malformed-us-ascii-declared-utf8-bytes", crlf(raw), "unsubscribe", reply_text=new, language="fr",
          note="[malformed] declared us-ascii/7bit but the body holds UTF-8 bytes ('désabonner'); opt-out must still be found")

    # 8 nested message/rfc822: the lead forwards our mail back as an attachment
    L = Lead("Kenji", "Watanabe", "kenji.watanabe@sakura-robotics.test", "Sakura Robotics")
    o = ours(L, dt(2025, 3, 20, 10, 0))
    d = o.date + timedelta(days=1)
    new = "Hi Ava,\n\nForwarding your original mail as an attachment, the link to the case study in it is broken.\nCan you resend it?"
    inner = render_ours(o)
    bnd = "------------" + h("kw", 24)
    raw = (hdrs(reply_head(L, o, d, "thunderbird", subject="Fwd: " + o.subject,
                           extra=[("User-Agent", "Mozilla Thunderbird")]))
           + f"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{bnd}\"\n\nThis is a multi-part message in MIME format.\n"
             f"--{bnd}\nContent-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 7bit\n\n"
             f"{new}\n\nKenji\n\n--{bnd}\nContent-Type: message/rfc822; name=\"{o.subject}.eml\"\n"
             f"Content-Disposition: attachment; filename=\"{o.subject}.eml\"\n\n".encode()
           + inner + f"\n--{bnd}--\n".encode())
    c.add("malformed-nested-rfc822-forward", crlf(raw), "human", reply_text=new, language="en",
          note="[nested] our whole message attached as message/rfc822 (inner From ava@, X-SQA-Loop, List-Unsubscribe and footer): "
               "outer message is the lead's - human, not self/bulk/unsubscribe")

    # 9 DSN truncated: no closing boundary, original cut off
    L = Lead("Lionel", "Ducasse", "lionel.ducasse@gascogne-bois.test", "Gascogne Bois", lang="fr")
    o = ours(L, dt(2025, 3, 21, 9, 0))
    d = o.date + timedelta(seconds=5)
    bnd = f"{h('tq', 10).upper()}.{int(d.timestamp())}/smtp.acme-analytics.test"
    orig = render_ours(o)[:700]
    raw = ((f"Return-Path: <>\nFrom: MAILER-DAEMON@smtp.acme-analytics.test (Mail Delivery System)\nTo: {OUR_ADDR}\n"
            f"Subject: Undelivered Mail Returned to Sender\nDate: {rfcdate(d)}\n"
            f"Message-Id: <{h('tm', 16)}@smtp.acme-analytics.test>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
            f"Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"{bnd}\"\n\n"
            f"This is a MIME-encapsulated message.\n\n--{bnd}\nContent-Description: Notification\n"
            "Content-Type: text/plain; charset=us-ascii\n\nThis is the mail system at host smtp.acme-analytics.test.\n\n"
            "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n"
            f"<{L.email}>: host mx.gascogne-bois.test[203.0.113.150] said: 550 5.1.1\n    <{L.email}>: "
            "Recipient address rejected: User unknown (in reply to RCPT TO command)\n\n"
            f"--{bnd}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; smtp.acme-analytics.test\n\n"
            f"Final-Recipient: rfc822; {L.email}\nOriginal-Recipient: rfc822;{L.email}\nAction: failed\nStatus: 5.1.1\n"
            f"Diagnostic-Code: smtp; 550 5.1.1 <{L.email}>: Recipient address rejected: User unknown\n\n"
            f"--{bnd}\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\n\n").encode() + orig)
    c.add("malformed-dsn-truncated-no-closing-boundary", crlf(raw), "bounce",
          bounce={"recipients": [L.email], "permanent": True}, language="en",
          note="[malformed] RFC 3464 report cut off inside the returned message: no closing boundary; no Received lines")

    # 10 declared UTF-8, actually windows-1252 (Spanish opt-out)
    L = Lead("Nuria", "Sanz", "nuria.sanz@rioja-vinos.test", "Rioja Vinos", lang="es")
    o = ours(L, dt(2025, 3, 21, 10, 0))
    d = o.date + timedelta(hours=3)
    new = "Por favor, denme de baja. No me envíen más correos, gracias."
    raw = (hdrs(reply_head(L, o, d, "outlook")) + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=\"utf-8\"\n"
           b"Content-Transfer-Encoding: 8bit\n\n"
           + f"{new}\n\nNuria Sanz\nRioja Vinos S.A.\n\n{outlook_quote(o, 'es')}".encode("cp1252"))
    c.add("malformed-utf8-declared-cp1252-bytes", crlf(raw), "unsubscribe", reply_text=new, language="es",
          note="[malformed] declared utf-8 but the bytes are windows-1252 ('envíen', 'Envió'): invalid UTF-8 must not hide the opt-out")

    # 11 over-long header line and lower-case header names
    L = Lead("Owen", "Blackwood", "owen.blackwood@fenwick-tools.test", "Fenwick Tools")
    o = ours(L, dt(2025, 3, 24, 9, 0))
    d = o.date + timedelta(hours=2)
    refs = " ".join(f"<{h('ref' + str(i), 24)}@mail.fenwick-tools.test>" for i in range(90)) + " " + o.msgid
    new = "Thanks Ava. Monday 31 March at 10:00 is fine - please send a Teams link, not Zoom."
    raw = (f"return-path: <{L.email}>\nfrom: {L.addr()}\nto: {OUR_FROM}\nsubject: Re: {o.subject}\ndate: {rfcdate(d)}\n"
           f"message-id: {msgid_for('outlook', L.email, L.domain)}\nin-reply-to: {o.msgid}\nreferences: {refs}\n"
           "mime-version: 1.0\ncontent-type: text/plain; charset=us-ascii\n\n"
           f"{new}\n\nOwen\n\n{outlook_quote(o)}").encode()
    c.add("malformed-overlong-references-lowercase-names", crlf(raw), "human", reply_text=new, language="en",
          note="[malformed] a 4,000+ character unfolded References line (over the 998 limit) and lower-case header names")

    # 12 no MIME headers at all, 8-bit UTF-8 body, mixed line endings
    L = Lead("Paulo", "Teixeira", "paulo.teixeira@porto-moldes.test", "Porto Moldes", lang="pt")
    o = ours(L, dt(2025, 3, 24, 10, 0, z=tz(0)))
    d = o.date + timedelta(hours=4)
    new = "Olá Ava,\n\nSim, tenho interesse. Pode me ligar amanhã às 10h? Meu número é +351 912 345 678."
    head = (f"From: {L.addr()}\r\nTo: {OUR_FROM}\r\nSubject: Re: {o.subject}\nDate: {rfcdate(d)}\r\n"
            f"Message-ID: <{h('pt' + L.email, 18)}@porto-moldes.test>\nIn-Reply-To: {o.msgid}\r\n\r\n")
    body = f"{new}\n\nAbraço,\nPaulo\r\n\r\n{gmail_quote(o, 'pt')}"
    c.add("malformed-no-mime-headers-8bit-mixed-eol", (head + body).encode("utf-8"), "human", reply_text=new, language="pt",
          note="[malformed] no MIME-Version/Content-Type but 8-bit UTF-8 body and a raw UTF-8 Subject; mixed LF and CRLF line ends")

    # 13 newsletter whose parts use a different boundary than declared
    d = dt(2025, 3, 25, 7, 0)
    raw = ("Return-Path: <bounce-77@mta.esp.test>\nFrom: RevOps Digest <digest@revopsdigest.test>\n"
           f"To: {OUR_ADDR}\nSubject: RevOps Digest: 5 forecasting mistakes\nDate: {rfcdate(d)}\n"
           f"Message-ID: <{h('nl13', 20)}@mta.esp.test>\nList-Id: RevOps Digest <digest.revopsdigest.test>\n"
           "List-Unsubscribe: <https://revopsdigest.test/unsub?u=77>\nPrecedence: bulk\nMIME-Version: 1.0\n"
           "Content-Type: multipart/alternative; boundary=\"==declared==\"\n\n"
           "--==actual==\nContent-Type: text/plain; charset=utf-8\n\n5 forecasting mistakes and how to avoid them.\n"
           "Unsubscribe: https://revopsdigest.test/unsub?u=77\n--==actual==\nContent-Type: text/html; charset=utf-8\n\n"
           "<p>5 forecasting mistakes and how to avoid them.</p>\n--==actual==--\n").encode()
    c.add("malformed-newsletter-boundary-mismatch", crlf(raw), "bulk", language="en",
          note="[malformed] declared boundary never occurs in the body (parts use another one); bulk by headers")

    # 14 Exim bounce with an unknown charset and 8-bit junk in the returned copy
    L = Lead("Quinn", "Avery", "quinn.avery@moray-distillers.test", "Moray Distillers")
    o = ours(L, dt(2025, 3, 25, 9, 0))
    d = o.date + timedelta(seconds=3)
    raw = ((f"Return-Path: <>\nFrom: Mail Delivery System <Mailer-Daemon@relay.acme-analytics.test>\nTo: {OUR_ADDR}\n"
            f"Subject: Mail delivery failed: returning message to sender\nDate: {rfcdate(d)}\n"
            f"Message-Id: <E1tx{h('q14', 10)}-0009Zz-1A@relay.acme-analytics.test>\nX-Failed-Recipients: {L.email}\n"
            "Auto-Submitted: auto-replied\nMIME-Version: 1.0\nContent-Type: text/plain; charset=x-user-defined\n"
            "Content-Transfer-Encoding: 8bit\n\n"
            "This message was created automatically by mail delivery software.\n\n"
            "A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. "
            f"The following address(es) failed:\n\n  {L.email}\n    host mx.moray-distillers.test [203.0.113.61]\n"
            f"    SMTP error from remote mail server after RCPT TO:<{L.email}>:\n    550 5.1.1 User unknown\n\n"
            "------ This is a copy of the message, including all the headers. ------\n\n").encode()
           + render_ours(o)[:400] + b"\xff\xfe\x81\x8d garbled \xc3\x28 tail \x9d\n")
    c.add("malformed-exim-bounce-unknown-charset", crlf(raw), "bounce",
          bounce={"recipients": [L.email], "permanent": True}, language="en",
          note="[malformed] Exim bounce with charset=x-user-defined and invalid 8-bit bytes in the returned copy")

    # 15 broken quoted-printable
    L = Lead("Rosa", "Lindner", "rosa.lindner@wien-digital.test", "Wien Digital", lang="de")
    o = ours(L, dt(2025, 3, 26, 9, 0))
    d = o.date + timedelta(hours=5)
    new = "Hallo Ava,\n\nwir haben Interesse an einem Pilotprojekt für 3 Monate. Gibt es dafür einen Sonderpreis?"
    qp = ("Hallo Ava,\n\nwir haben Interesse an einem Pilotprojekt f=C3=BCr 3 Monate. Gibt es daf=C3=BCr einen Sonderp=\n"
          "reis?  =\n\nLG Rosa=\n=3\n\n" + quote_lines(o.text).replace("=", "=3D"))
    raw = (hdrs(reply_head(L, o, d)) + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
           b"Content-Transfer-Encoding: quoted-printable\n\n" + qp.encode())
    c.add("malformed-broken-quoted-printable", crlf(raw), "human", reply_text=new, language="de",
          note="[malformed] quoted-printable with a soft line break after trailing whitespace, a lone '=' line ending "
               "and a truncated '=3' escape in the signature; the quoted history is QP-escaped")

    # 16 duplicated Content-Type and an empty charset (auto-reply)
    L = Lead("Silas", "Ford", "silas.ford@kestrel-aero.test", "Kestrel Aerospace")
    o = ours(L, dt(2025, 4, 22, 15, 0))
    d = (o.date + timedelta(minutes=1)).astimezone(EDT)
    raw = (hdrs(reply_head(L, o, d, "other", subject="Out of Office: " + o.subject, extra=[("X-Autoreply", "yes")]))
           + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=\nContent-Type: text/html\n"
             b"Content-Transfer-Encoding: 7bit\n\nI am out of the office until 28 April and will reply when I return.\n")
    c.add("malformed-duplicate-content-type-autoreply", crlf(raw), "auto_reply", return_date="2025-04-28", language="en",
          note="[malformed] two Content-Type headers (text/plain with empty charset, then text/html) on a plain-text body")
