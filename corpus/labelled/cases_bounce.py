"""Delivery failures: RFC 3464 reports from Postfix, Sendmail, Exchange, Gmail; and
the non-standard layouts (Exim, qmail, Domino, Yahoo, old Exchange, X-Failed-Recipients
only). Hard (5.1.x), soft (4.x.x, delayed, x.2.2) and policy (5.7.x)."""

from __future__ import annotations

from datetime import timedelta

from _build import Corpus
from _kit import (OUR_ADDR, UTC, Lead, dt, fold, h, message, multipart, ours, raw_part, rfcdate, render_ours,
                  text_part)

GMT = UTC


def _orig_received(o, host: str = "smtp.acme-analytics.test") -> list[tuple[str, str]]:
    return [("Received", f"from ava-daemon (localhost [127.0.0.1])\n\tby {host} (Postfix) with ESMTPSA id "
                         f"{h('o' + o.msgid, 10).upper()}\n\tfor <{o.lead.email}>; {rfcdate(o.date)}")]


def original(o, mode: str) -> bytes:
    """Our returned message as a MIME part: full message/rfc822 or text/rfc822-headers."""
    if mode == "message":
        return raw_part([("Content-Description", "Undelivered Message"), ("Content-Type", "message/rfc822")],
                        render_ours(o, received_=_orig_received(o)))
    if mode == "headers":
        return raw_part([("Content-Description", "Undelivered Message Headers"),
                         ("Content-Type", "text/rfc822-headers")],
                        render_ours(o, headers_only=True, received_=_orig_received(o)))
    raise ValueError(mode)


def dsn_fields(reporting_mta: str, arrival, recips: list[dict], extra: list[str] | None = None) -> bytes:
    per_msg = [f"Reporting-MTA: dns; {reporting_mta}"] + (extra or []) + [f"Arrival-Date: {rfcdate(arrival)}"]
    blocks = ["\n".join(per_msg)]
    for r in recips:
        lines = []
        if r.get("original"):
            lines.append(f"Original-Recipient: rfc822;{r['original']}")
        lines.append(f"Final-Recipient: rfc822; {r['addr']}")
        lines.append(f"Action: {r['action']}")
        lines.append(f"Status: {r['status']}")
        if r.get("remote"):
            lines.append(f"Remote-MTA: dns; {r['remote']}")
        if r.get("diag"):
            lines.append("Diagnostic-Code: smtp; " + fold("Diagnostic-Code", r["diag"]).replace("\n\t", "\n    "))
        if r.get("last"):
            lines.append(f"Last-Attempt-Date: {rfcdate(r['last'])}")
        if r.get("will_retry"):
            lines.append(f"Will-Retry-Until: {rfcdate(r['will_retry'])}")
        blocks.append("\n".join(lines))
    return ("\n\n".join(blocks) + "\n").encode()


def bounce_headers(from_: str, subject: str, d, msgid: str, host: str, to: str = OUR_ADDR,
                   extra: list[tuple[str, str]] | None = None, return_path: str = "") -> list[tuple[str, str]]:
    hs = [("Return-Path", f"<{return_path}>"),
          ("Received", f"from {host} ({host} [198.51.100.7])\n\tby mx1.acme-analytics.test (Postfix) with ESMTPS id "
                       f"{h('b' + msgid, 10).upper()}\n\tfor <{OUR_ADDR}>; {rfcdate((d + timedelta(seconds=2)).astimezone(UTC))}"),
          ("From", from_), ("To", to), ("Subject", subject), ("Date", rfcdate(d)), ("Message-ID", msgid)]
    return hs + (extra or [])


POSTFIX_TEXT = """This is the mail system at host {host}.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<{addr}>: {why}
"""

POSTFIX_DELAY_TEXT = """This is the mail system at host {host}.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than 4 hour(s).
It will be retried until it is 5 day(s) old.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<{addr}>: {why}
"""


def B(c: Corpus, slug: str, raw: bytes, addr: str | list[str], permanent: bool, note: str, lang: str = "en") -> None:
    addrs = [addr] if isinstance(addr, str) else addr
    c.add(slug, raw, "bounce", bounce={"recipients": addrs, "permanent": permanent}, language=lang, note=note)


def postfix(lead: Lead, o, d, *, host: str, status: str, action: str, why: str, diag: str | None, remote: str | None,
            mode: str = "message", delay: bool = False, extra=None, subject: str | None = None, to: str = OUR_ADDR) -> bytes:
    qid = h("q" + lead.email, 10).upper()
    text = (POSTFIX_DELAY_TEXT if delay else POSTFIX_TEXT).format(host=host, addr=lead.email, why=why)
    recips = [{"original": lead.email, "addr": lead.email, "action": action, "status": status, "remote": remote,
               "diag": diag}]
    if delay:
        recips[0]["will_retry"] = o.date + timedelta(days=5)
    parts = [raw_part([("Content-Description", "Notification"), ("Content-Type", "text/plain; charset=us-ascii")],
                      text.encode()),
             raw_part([("Content-Description", "Delivery report"), ("Content-Type", "message/delivery-status")],
                      dsn_fields(host, o.date + timedelta(seconds=1), recips,
                                 [f"X-Postfix-Queue-ID: {qid}", f"X-Postfix-Sender: rfc822; {OUR_ADDR}"])),
             original(o, "headers" if delay else mode)]
    bnd = f"{qid}.{int(d.timestamp())}/{host}"
    subj = subject or ("Delayed Mail (still being retried)" if delay else "Undelivered Mail Returned to Sender")
    hs = bounce_headers(f"MAILER-DAEMON@{host} (Mail Delivery System)", subj, d,
                        f"<{d:%Y%m%d%H%M%S}.{qid}@{host}>", host, to=to,
                        extra=[("Auto-Submitted", "auto-replied")] + (extra or []))
    body = multipart("report", parts, bnd, params=" report-type=delivery-status;",
                     preamble="This is a MIME-encapsulated message.")
    return message(hs, body.replace(b"Content-Type: multipart/report;", b"Content-Type: multipart/report;", 1))


def build(c: Corpus) -> None:
    # ---------------------------------------------------------------- Postfix, RFC 3464
    L = Lead("Adrian", "Fox", "adrian.fox@lumina-retail.test", "Lumina Retail")
    o = ours(L, dt(2025, 3, 3, 9, 0))
    B(c, "postfix-5-1-1-user-unknown", postfix(
        L, o, o.date + timedelta(seconds=4), host="smtp.acme-analytics.test", status="5.1.1", action="failed",
        why="host mx.lumina-retail.test[203.0.113.40] said: 550 5.1.1\n    <adrian.fox@lumina-retail.test>: "
            "Recipient address rejected: User unknown in virtual mailbox\n    table (in reply to RCPT TO command)",
        diag="550 5.1.1 <adrian.fox@lumina-retail.test>: Recipient address rejected: User unknown in virtual mailbox table",
        remote="mx.lumina-retail.test"), L.email, True,
      "Postfix RFC 3464 report from OUR OWN relay (MAILER-DAEMON@smtp.acme-analytics.test - our domain, but not our address); "
      "Auto-Submitted: auto-replied; original attached as message/rfc822 (its inner List-Unsubscribe/X-SQA-Loop headers belong to the attachment)")

    L = Lead("Bettina", "Graf", "bettina.graf@allgaeu-kaese.test", "Allgäu Käse", lang="de")
    o = ours(L, dt(2025, 3, 4, 9, 0))
    B(c, "postfix-delayed-4-4-1", postfix(
        L, o, o.date + timedelta(hours=4, minutes=2), host="smtp.acme-analytics.test", status="4.4.1", action="delayed",
        why="connect to mx01.allgaeu-kaese.test[203.0.113.77]:25: Connection timed out",
        diag=None, remote=None, delay=True), L.email, False,
      "Postfix 'Delayed Mail (still being retried)': Action: delayed, 4.4.1, text/rfc822-headers - soft, not hard")

    L = Lead("Curtis", "Lane", "curtis.lane@ridgeback-sec.test", "Ridgeback Security")
    o = ours(L, dt(2025, 3, 5, 9, 0))
    B(c, "postfix-remote-5-1-1-headers-only", postfix(
        L, o, o.date + timedelta(minutes=1), host="mail.ridgeback-sec.test", status="5.1.1", action="failed",
        why="unknown user: \"curtis.lane\"", diag=None, remote=None, mode="headers"), L.email, True,
      "Postfix report generated by the RECIPIENT's server after accepting (backscatter style); only text/rfc822-headers returned")

    L = Lead("Dana", "Whitley", "dana.whitley@orchard-brands.test", "Orchard Brands")
    o = ours(L, dt(2025, 3, 5, 10, 0))
    B(c, "postfix-with-precedence-bulk", postfix(
        L, o, o.date + timedelta(seconds=5), host="smtp.acme-analytics.test", status="5.1.1", action="failed",
        why="host mx1.orchard-brands.test[203.0.113.91] said: 550 5.1.1 User\n    unknown (in reply to RCPT TO command)",
        diag="550 5.1.1 User unknown", remote="mx1.orchard-brands.test",
        extra=[("Precedence", "bulk")]), L.email, True,
      "bounce that ALSO carries Precedence: bulk (and Auto-Submitted): must be classified bounce, bounce rule runs first")

    # ---------------------------------------------------------------- Exim, non-DSN
    L = Lead("Eli", "Marsh", "eli.marsh@copperfield-arch.test", "Copperfield Architects")
    o = ours(L, dt(2025, 3, 6, 9, 0))
    d = o.date + timedelta(seconds=3)
    text = ("This message was created automatically by mail delivery software.\n\n"
            "A message that you sent could not be delivered to one or more of its\n"
            "recipients. This is a permanent error. The following address(es) failed:\n\n"
            f"  {L.email}\n    host mx.copperfield-arch.test [203.0.113.55]\n"
            f"    SMTP error from remote mail server after RCPT TO:<{L.email}>:\n"
            "    550 5.1.1 No such user here\n\n"
            "------ This is a copy of the message, including all the headers. ------\n\n").encode() + render_ours(o, received_=_orig_received(o))
    hs = bounce_headers("Mail Delivery System <Mailer-Daemon@relay.acme-analytics.test>",
                        "Mail delivery failed: returning message to sender", d,
                        f"<E1tq{h('e' + L.email, 10)}-000Ab1-7Q@relay.acme-analytics.test>", "relay.acme-analytics.test",
                        extra=[("X-Failed-Recipients", L.email), ("Auto-Submitted", "auto-replied")])
    B(c, "exim-550-no-such-user", message(hs, text_part(text.decode(), charset="us-ascii", cte="7bit").replace(b'charset="us-ascii"', b"charset=us-ascii"), mime=True),
      L.email, True, "Exim plain-text bounce ('This message was created automatically by mail delivery software'), "
                     "no multipart/report; X-Failed-Recipients; copy of our message inline")

    L = Lead("Fatima", "Qureshi", "fatima.qureshi@indus-textiles.test", "Indus Textiles")
    o = ours(L, dt(2025, 3, 6, 10, 0))
    d = o.date + timedelta(seconds=3)
    text = ("This message was created automatically by mail delivery software.\n\n"
            "A message that you sent could not be delivered to one or more of its\n"
            "recipients. This is a permanent error. The following address(es) failed:\n\n"
            f"  {L.email}\n    host mail.indus-textiles.test [203.0.113.18]\n"
            "    SMTP error from remote mail server after end of data:\n"
            "    552 5.2.2 Mailbox quota exceeded for this user\n\n"
            "------ This is a copy of the message's headers. ------\n\n").encode() + render_ours(o, headers_only=True)
    hs = bounce_headers("Mail Delivery System <Mailer-Daemon@relay.acme-analytics.test>",
                        "Mail delivery failed: returning message to sender", d,
                        f"<E1tq{h('f' + L.email, 10)}-000Cd2-1X@relay.acme-analytics.test>", "relay.acme-analytics.test",
                        extra=[("X-Failed-Recipients", L.email), ("Auto-Submitted", "auto-replied")])
    B(c, "exim-552-mailbox-full", message(hs, text_part(text.decode(), charset="us-ascii", cte="7bit")), L.email, False,
      "Exim non-DSN bounce whose text says 'permanent error' but the code is 5.2.2 mailbox full: soft by the standard")

    L = Lead("Glen", "Harper", "glen@old-harper-farms.test", "Harper Farms")
    o = ours(L, dt(2025, 3, 7, 9, 0))
    d = o.date + timedelta(seconds=1)
    text = ("This message was created automatically by mail delivery software.\n\n"
            "A message that you sent could not be delivered to one or more of its\n"
            "recipients. This is a permanent error. The following address(es) failed:\n\n"
            f"  {L.email}\n    Unrouteable address\n\n"
            "------ This is a copy of the message, including all the headers. ------\n\n").encode() + render_ours(o)
    hs = bounce_headers("Mail Delivery System <Mailer-Daemon@relay.acme-analytics.test>",
                        "Mail delivery failed: returning message to sender", d,
                        f"<E1tq{h('g' + L.email, 10)}-000Ef3-4Z@relay.acme-analytics.test>", "relay.acme-analytics.test",
                        extra=[("X-Failed-Recipients", L.email), ("Auto-Submitted", "auto-replied")])
    B(c, "exim-unrouteable-domain", message(hs, text_part(text.decode(), charset="us-ascii", cte="7bit")), L.email, True,
      "Exim 'Unrouteable address' (domain gone), no status code at all; permanent")

    L = Lead("Hugo", "Sterling", "hugo.sterling@vistaline.test", "Vistaline")
    o = ours(L, dt(2025, 3, 7, 10, 0))
    d = o.date + timedelta(hours=24, minutes=3)
    text = ("This message was created automatically by mail delivery software.\n"
            "A message that you sent has not yet been delivered to one or more of its\n"
            "recipients after more than 24 hours on the queue on relay.acme-analytics.test.\n\n"
            "The message identifier is:     1tqXyZ-000Abc-2Q\n"
            f"The subject of the message is: {o.subject}\n"
            f"The date of the message is:    {rfcdate(o.date)}\n\n"
            "The address to which the message has not yet been delivered is:\n\n"
            f"  {L.email}\n    Delay reason: SMTP error from remote mail server after RCPT TO:<{L.email}>:\n"
            "    451 4.7.1 Greylisted, please try again later\n\n"
            "No action is required on your part. Delivery attempts will continue for\n"
            "some time, and this warning may be repeated at intervals if the message\n"
            "remains undelivered. Eventually the mail delivery software will give up,\n"
            "and when that happens, the message will be returned to you.\n")
    hs = bounce_headers("Mail Delivery System <Mailer-Daemon@relay.acme-analytics.test>",
                        "Warning: message 1tqXyZ-000Abc-2Q delayed 24 hours", d,
                        f"<E1tr{h('hs' + L.email, 10)}-000Gh4-9P@relay.acme-analytics.test>", "relay.acme-analytics.test",
                        extra=[("Auto-Submitted", "auto-replied")])
    B(c, "exim-delay-warning-24h", message(hs, text_part(text, charset="us-ascii", cte="7bit")), L.email, False,
      "Exim delay warning (no X-Failed-Recipients, no DSN); 451 4.7.1 greylisting - soft")

    # ---------------------------------------------------------------- qmail
    L = Lead("Irene", "Vance", "irene.vance@tundra-outdoor.test", "Tundra Outdoor")
    o = ours(L, dt(2025, 3, 10, 9, 0))
    d = o.date + timedelta(seconds=6)
    text = ("Hi. This is the qmail-send program at mail.tundra-outdoor.test.\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
            "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
            f"<{L.email}>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
            "--- Below this line is a copy of the message.\n\n").encode() + render_ours(o, received_=_orig_received(o))
    hs = bounce_headers("MAILER-DAEMON@mail.tundra-outdoor.test", "failure notice", d,
                        f"<{int(d.timestamp())}.4821.mail.tundra-outdoor.test>", "mail.tundra-outdoor.test")
    hs = [x for x in hs if x[0] != "Message-ID"]
    B(c, "qmail-no-mailbox", message(hs, b"\n" + text, mime=False), L.email, True,
      "qmail 'Hi. This is the qmail-send program' bounce: no MIME at all, no Message-ID, subject 'failure notice'")

    # ---------------------------------------------------------------- Exchange / Microsoft 365
    L = Lead("Jacob", "Moss", "jacob.moss@fairhaven-bank.test", "Fairhaven Bank")
    o = ours(L, dt(2025, 3, 10, 10, 0))
    d = o.date + timedelta(seconds=8)
    host = "AM9PR03MB7123.eurprd03.prod.outlook.test"
    htm = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=us-ascii"></head><body>'
           '<p><b><font color="#000066" size="3" face="Arial">Your message to '
           f'<a href="mailto:{L.email}">{L.email}</a> couldn\'t be delivered.</font></b></p>'
           f'<p><font size="2">{L.email.split("@")[0]} wasn\'t found at fairhaven-bank.test.</font></p>'
           '<table><tr><td>ava</td><td>Office 365</td><td>jacob.moss</td></tr><tr><td>Action Required</td>'
           '<td></td><td>Recipient</td></tr></table><p><b>Unknown To address</b></p>'
           '<p><b>How to Fix It</b><br>The address may be misspelled or may not exist.</p>'
           '<p><b>Diagnostic information for administrators:</b></p>'
           f'<p>Generating server: {host}<br><br>{L.email}<br>Remote Server returned '
           "'550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'</p></body></html>\n")
    plain = (f"Delivery has failed to these recipients or groups:\n\n{L.email}\n"
             "The email address you entered couldn't be found. Please check the recipient's email address and try\n"
             "to resend the message. If the problem continues, please contact your helpdesk.\n\n"
             "Diagnostic information for administrators:\n\n"
             f"Generating server: {host}\n\n{L.email}\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
             "Recipient not found by SMTP address lookup'\n")
    alt = multipart("alternative", [text_part(plain, charset="us-ascii"), text_part(htm, "html", charset="us-ascii",
                                                                                      cte="quoted-printable")],
                    "_001_" + h("x1" + L.email, 24).upper() + "_")
    status = raw_part([("Content-Type", "message/delivery-status")], dsn_fields(
        host, o.date, [{"original": L.email, "addr": L.email, "action": "failed", "status": "5.1.10",
                        "diag": "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"}])
        .replace(b"Diagnostic-Code: smtp; smtp;", b"Diagnostic-Code: smtp;")
        .replace(b"Final-Recipient: rfc822; ", b"Final-Recipient: rfc822;")
        + b"X-Display-Name: Jacob Moss\n")
    parts = [alt, status, original(o, "headers").replace(b"Content-Description: Undelivered Message Headers\n", b"")]
    hs = bounce_headers("postmaster@fairhaven-bank.test", "Undeliverable: " + o.subject, d,
                        f"<{h('m' + L.email, 8).upper()}-{h('n' + L.email, 4)}@{host}>", "mail-am9pr03.outbound.protection.outlook.test",
                        extra=[("Auto-Submitted", "auto-replied"), ("X-MS-Exchange-Message-Is-Ndr", ""),
                               ("Content-Language", "en-US"), ("X-MS-Exchange-Organization-SCL", "-1")])
    B(c, "exchange-online-ndr-5-1-10", message(hs, multipart("report", parts, "_000_" + h("x" + L.email, 24).upper() + "_",
                                                             params=" report-type=delivery-status;")),
      L.email, True, "Microsoft 365 NDR: multipart/report with a multipart/alternative human part, 5.1.10 RecipientNotFound; "
                     "From postmaster@<lead domain>, subject 'Undeliverable: ...'")

    L = Lead("Kara", "Lindell", "kara.lindell@boreal-insurance.test", "Boreal Insurance")
    o = ours(L, dt(2025, 3, 11, 9, 0))
    d = o.date + timedelta(seconds=9)
    text = ("Delivery has failed to these recipients or groups:\n\n"
            f"Kara Lindell ({L.email})\n"
            "The e-mail address you entered couldn't be found. Please check the recipient's e-mail address and\n"
            "try to resend the message. If the problem continues, please contact your helpdesk.\n\n\n\n\n\n\n"
            "Diagnostic information for administrators:\n\n"
            "Generating server: EXCH02.boreal-insurance.test\n\n"
            f"{L.email}\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\n"
            "Original message headers:\n\n").encode() + render_ours(o, headers_only=True, received_=_orig_received(o))
    hs = bounce_headers("Microsoft Exchange <postmaster@boreal-insurance.test>", "Undeliverable: " + o.subject, d,
                        f"<{h('kk' + L.email, 12)}@EXCH02.boreal-insurance.test>", "mail.boreal-insurance.test",
                        extra=[("X-MS-Exchange-Message-Is-Ndr", ""), ("Content-Language", "en-US")])
    B(c, "exchange-2010-plain-ndr", message(hs, text_part(text.decode(), charset="us-ascii", cte="7bit")), L.email, True,
      "on-premises Exchange NDR as plain text: 'Delivery has failed to these recipients or groups' "
      "with '#550 5.1.1 RESOLVER.ADR.RecipNotFound', no multipart/report, no Return-Path <>")

    L = Lead("Lars", "Eriksen", "lars.eriksen@skagerrak-shipping.test", "Skagerrak Shipping")
    o = ours(L, dt(2025, 3, 11, 10, 0))
    d = o.date + timedelta(hours=4, minutes=10)
    host = "DB8PR10MB3555.eurprd10.prod.outlook.test"
    plain = (f"Delivery is delayed to these recipients or groups:\n\n{L.email}\n\n"
             f"Subject: {o.subject}\n\nThis message hasn't been delivered yet. Delivery will continue to be attempted.\n\n"
             "The server will keep trying to deliver this message for the next 1 days, 19 hours and 50 minutes.\n"
             "You'll be notified if the message can't be delivered by that time.\n\n"
             "Diagnostic information for administrators:\n\n"
             f"Generating server: {host}\nReceiving server: mx.skagerrak-shipping.test\n\n"
             f"{L.email}\nRemote Server at mx.skagerrak-shipping.test returned '400 4.4.7 Message delayed'\n")
    status = raw_part([("Content-Type", "message/delivery-status")], dsn_fields(
        host, o.date, [{"original": L.email, "addr": L.email, "action": "delayed", "status": "4.4.7",
                        "remote": "mx.skagerrak-shipping.test", "will_retry": o.date + timedelta(days=2)}]))
    hs = bounce_headers("postmaster@acme-analytics.test", "Delivery delayed:" + o.subject, d,
                        f"<{h('dl' + L.email, 8).upper()}@{host}>", "mail-db8pr10.outbound.protection.outlook.test",
                        extra=[("Auto-Submitted", "auto-generated"), ("X-MS-Exchange-Message-Is-Ndr", "")])
    B(c, "exchange-delivery-delayed-4-4-7",
      message(hs, multipart("report", [text_part(plain, charset="us-ascii"), status, original(o, "headers")],
                            "_000_" + h("dd" + L.email, 20).upper() + "_", params=" report-type=delivery-status;")),
      L.email, False, "Exchange 'Delivery delayed:' DSN, Action: delayed, Status 4.4.7; From postmaster@ our own domain; soft")

    L = Lead("Mira", "Castell", "mira.castell@oceanic-travel.test", "Oceanic Travel")
    o = ours(L, dt(2025, 3, 12, 9, 0))
    d = o.date + timedelta(seconds=7)
    host = "VI1PR08MB4433.eurprd08.prod.outlook.test"
    plain = (f"Your message to {L.email} couldn't be delivered.\n\n"
             "mira.castell's mailbox is full.\n\nAction Required\n\nMailbox full\n\n"
             "How to Fix It\nThe recipient's mailbox is full and can't accept messages now. Please try resending\n"
             "your message later, or contact the recipient directly.\n\n"
             f"Diagnostic information for administrators:\n\nGenerating server: {host}\n\n{L.email}\n"
             "Remote Server returned '554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded'\n")
    status = raw_part([("Content-Type", "message/delivery-status")], dsn_fields(
        host, o.date, [{"original": L.email, "addr": L.email, "action": "failed", "status": "5.2.2",
                        "diag": "smtp;554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException"}])
        .replace(b"Diagnostic-Code: smtp; smtp;", b"Diagnostic-Code: smtp;"))
    hs = bounce_headers("Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@oceanic-travel.test>",
                        "Undeliverable: " + o.subject, d, f"<{h('mc' + L.email, 8).upper()}@{host}>",
                        "mail-vi1pr08.outbound.protection.outlook.test",
                        extra=[("Auto-Submitted", "auto-replied"), ("X-MS-Exchange-Message-Is-Ndr", "")])
    B(c, "m365-mailbox-full-5-2-2",
      message(hs, multipart("report", [text_part(plain, charset="us-ascii"), status, original(o, "message")],
                            "_000_" + h("mf" + L.email, 20).upper() + "_", params=" report-type=delivery-status;")),
      L.email, False, "Microsoft 365 NDR, Action: failed but Status 5.2.2 mailbox full: soft per the standard; "
                      "From MicrosoftExchange<hex>@ (not MAILER-DAEMON)")

    L = Lead("Noel", "Brandt", "noel.brandt@kessler-pharma.test", "Kessler Pharma")
    o = ours(L, dt(2025, 3, 12, 10, 0))
    d = o.date + timedelta(seconds=5)
    host = "FR2P281MB1234.DEUP281.PROD.OUTLOOK.TEST"
    plain = (f"Your message to {L.email} couldn't be delivered.\n\n"
             "The recipient's organization rejected your message because of a policy.\n\n"
             f"Diagnostic information for administrators:\n\nGenerating server: {host}\n\n{L.email}\n"
             "Remote Server returned '550 5.7.1 Service unavailable, Client host [198.51.100.25] blocked using "
             "Spamhaus. To request removal from this list see https://www.spamhaus.test/query/ip/198.51.100.25'\n")
    status = raw_part([("Content-Type", "message/delivery-status")], dsn_fields(
        host, o.date, [{"original": L.email, "addr": L.email, "action": "failed", "status": "5.7.1",
                        "diag": "smtp;550 5.7.1 Service unavailable, Client host [198.51.100.25] blocked using Spamhaus"}])
        .replace(b"Diagnostic-Code: smtp; smtp;", b"Diagnostic-Code: smtp;"))
    hs = bounce_headers("postmaster@kessler-pharma.test", "Undeliverable: " + o.subject, d,
                        f"<{h('np' + L.email, 8).upper()}@{host}>", "mail-fr2p281.outbound.protection.outlook.test",
                        extra=[("Auto-Submitted", "auto-replied"), ("X-MS-Exchange-Message-Is-Ndr", "")])
    B(c, "policy-5-7-1-blocklist",
      message(hs, multipart("report", [text_part(plain, charset="us-ascii"), status, original(o, "headers")],
                            "_000_" + h("pl" + L.email, 20).upper() + "_", params=" report-type=delivery-status;")),
      L.email, False, "policy: 5.7.1 rejected because our sending IP is on a blocklist - a reputation signal, NOT a bad address (permanent=false)")

    # ---------------------------------------------------------------- Gmail
    def gmail_dsn(L, o, d, *, subject, human, status, action, diag, mode="message"):
        plain = human
        htm = ("<html><head></head><body><div style=\"font-family:Google Sans,Roboto,Arial\">"
               + "".join(f"<p>{ln}</p>" for ln in human.split("\n\n")) + "</div></body></html>\n")
        alt = multipart("alternative", [text_part(plain, charset="UTF-8"), text_part(htm, "html", charset="UTF-8",
                                                                                     cte="quoted-printable")],
                        "000000000000" + h("ga" + L.email, 16))
        status_p = raw_part([("Content-Type", "message/delivery-status")], dsn_fields(
            "dns; googlemail.com".replace("dns; ", ""), o.date,
            [{"addr": L.email, "action": action, "status": status, "remote": "mx.google.test", "diag": diag,
              "last": d}], ["Received-From-MTA: dns; ava-daemon"]))
        hs = bounce_headers("Mail Delivery Subsystem <mailer-daemon@googlemail.com>", subject, d,
                            f"<{h('gm' + L.email, 24)}@mx.google.test>", "mail-sor-f69.google.test",
                            extra=[("Auto-Submitted", "auto-replied"),
                                   ("X-Failed-Recipients", L.email) if action == "failed" else ("X-Google-Smtp-Source", h(L.email, 30))])
        return message(hs, multipart("report", [alt, status_p, original(o, mode)], "000000000000" + h("gr" + L.email, 16),
                                     params=" report-type=delivery-status;"))

    L = Lead("Omar", "Haddad", "omar.haddad@gmail.test", "Haddad Trading")
    o = ours(L, dt(2025, 3, 13, 9, 0))
    d = o.date + timedelta(seconds=2)
    B(c, "gmail-address-not-found", gmail_dsn(
        L, o, d, subject="Delivery Status Notification (Failure)",
        human=("** Address not found **\n\nYour message wasn't delivered to " + L.email + " because the address "
               "couldn't be found, or is unable to receive mail.\n\nLearn more here: https://support.google.test/mail/?p=NoSuchUser\n\n"
               "The response from the remote server was:\n\n550 5.1.1 The email account that you tried to reach does not exist."),
        status="5.1.1", action="failed",
        diag="550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos"),
      L.email, True, "Gmail 'Address not found' DSN from mailer-daemon@googlemail.com, X-Failed-Recipients too")

    L = Lead("Paige", "Thornton", "paige.thornton@gmail.test", "Thornton Events")
    o = ours(L, dt(2025, 3, 13, 10, 0))
    d = o.date + timedelta(seconds=3)
    B(c, "gmail-over-quota-5-2-2", gmail_dsn(
        L, o, d, subject="Delivery Status Notification (Failure)",
        human=("** Message not delivered **\n\nYour message couldn't be delivered to " + L.email + " because the "
               "recipient's inbox is out of storage space.\n\nThe response from the remote server was:\n\n"
               "552 5.2.2 The email account that you tried to reach is over quota."),
        status="5.2.2", action="failed",
        diag="552-5.2.2 The email account that you tried to reach is over quota and inactive."),
      L.email, False, "Gmail over-quota (5.2.2): soft")

    L = Lead("Quentin", "Ashby", "quentin.ashby@ashby-estates.test", "Ashby Estates")
    o = ours(L, dt(2025, 3, 14, 9, 0))
    d = o.date + timedelta(seconds=2)
    B(c, "gmail-dmarc-5-7-26", gmail_dsn(
        L, o, d, subject="Delivery Status Notification (Failure)",
        human=("** Message blocked **\n\nYour message to " + L.email + " has been blocked. See technical details below "
               "for more information.\n\nThe response from the remote server was:\n\n550 5.7.26 Unauthenticated email "
               "from acme-analytics.test is not accepted due to domain's DMARC policy."),
        status="5.7.26", action="failed", mode="headers",
        diag="550-5.7.26 Unauthenticated email from acme-analytics.test is not accepted due to domain's DMARC policy"),
      L.email, False, "policy: 5.7.26 DMARC rejection (our authentication problem, not a bad address) - permanent=false")

    # ---------------------------------------------------------------- Sendmail
    L = Lead("Rosalind", "Pryce", "rpryce@univ-westmoor.test", "University of Westmoor")
    o = ours(L, dt(2025, 3, 14, 10, 0))
    d = o.date + timedelta(seconds=30)
    text = ("The original message was received at " + rfcdate(o.date) + "\nfrom smtp.acme-analytics.test [198.51.100.25]\n\n"
            "   ----- The following addresses had permanent fatal errors -----\n"
            f"<{L.email}>\n    (reason: 550 5.1.1 <{L.email}>... User unknown)\n\n"
            "   ----- Transcript of session follows -----\n"
            f"... while talking to mailhost.univ-westmoor.test.:\n>>> DATA\n<<< 550 5.1.1 <{L.email}>... User unknown\n"
            "550 5.1.1 " + L.email + "... User unknown\n<<< 503 5.0.0 Need RCPT (recipient)\n")
    status = raw_part([("Content-Type", "message/delivery-status")], dsn_fields(
        "mx.univ-westmoor.test", o.date, [{"original": L.email, "addr": L.email, "action": "failed", "status": "5.1.1",
                                           "remote": "mailhost.univ-westmoor.test",
                                           "diag": f"550 5.1.1 <{L.email}>... User unknown", "last": d}],
        ["Received-From-MTA: DNS; smtp.acme-analytics.test"]))
    hs = bounce_headers("Mail Delivery Subsystem <MAILER-DAEMON@mx.univ-westmoor.test>",
                        "Returned mail: see transcript for details", d,
                        f"<202503140930.52E9U0Xq{h('sm' + L.email, 6)}@mx.univ-westmoor.test>", "mx.univ-westmoor.test",
                        extra=[("Auto-Submitted", "auto-generated (failure)")])
    B(c, "sendmail-returned-mail",
      message(hs, multipart("report", [text_part(text, charset="us-ascii"), status, original(o, "message")],
                            f"52E9U0Xq{h('sb' + L.email, 6)}.{int(d.timestamp())}/mx.univ-westmoor.test",
                            params=" report-type=delivery-status;",
                            preamble="This is a MIME-encapsulated message")),
      L.email, True, "Sendmail 'Returned mail: see transcript for details' with 'Auto-Submitted: auto-generated (failure)'")

    # ---------------------------------------------------------------- other layouts
    L = Lead("Stella", "Monroe", "stella.monroe@yahoo.test", "-")
    o = ours(L, dt(2025, 3, 17, 9, 0))
    d = o.date + timedelta(seconds=4)
    text = ("Sorry, we were unable to deliver your message to the following address.\n\n"
            f"<{L.email}>:\n554: delivery error: dd This user doesn't have a yahoo.test account ({L.email}) [0] - "
            "mta1234.mail.bf1.yahoo.test\n\n--- Below this line is a copy of the message.\n\n").encode() + render_ours(o)
    hs = bounce_headers("MAILER-DAEMON@yahoo.test", "Failure Notice", d,
                        f"<{int(d.timestamp())}.{h('y' + L.email, 6)}@mta1234.mail.bf1.yahoo.test>", "mta1234.mail.bf1.yahoo.test")
    B(c, "yahoo-554-dd-user-doesnt-exist", message(hs, b"\n" + text, mime=False), L.email, True,
      "Yahoo 'Sorry, we were unable to deliver' non-MIME bounce; '554 delivery error: dd This user doesn't have ... account'")

    L = Lead("Tobias", "Keller", "tobias.keller@bergland-versicherung.test", "Bergland Versicherung", lang="de")
    o = ours(L, dt(2025, 3, 17, 10, 0))
    d = o.date + timedelta(seconds=4)
    text = ("Die Zustellung an folgende Empfänger oder Gruppen ist fehlgeschlagen:\n\n"
            f"{L.email}\nDie eingegebene E-Mail-Adresse wurde nicht gefunden. Überprüfen Sie die E-Mail-Adresse des\n"
            "Empfängers, und versuchen Sie erneut, die Nachricht zu senden. Wenn das Problem weiterhin besteht,\n"
            "wenden Sie sich an Ihr Helpdesk.\n\n"
            "Diagnoseinformationen für Administratoren:\n\nGenerierender Server: EX01.bergland-versicherung.test\n\n"
            f"{L.email}\nRemote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\n")
    status = raw_part([("Content-Type", "message/delivery-status")], dsn_fields(
        "EX01.bergland-versicherung.test", o.date,
        [{"original": L.email, "addr": L.email, "action": "failed", "status": "5.1.1",
          "diag": "smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"}]).replace(b"smtp; smtp;", b"smtp;"))
    hs = bounce_headers("postmaster@bergland-versicherung.test", "Unzustellbar: " + o.subject, d,
                        f"<{h('de' + L.email, 12)}@EX01.bergland-versicherung.test>", "mail.bergland-versicherung.test",
                        extra=[("Auto-Submitted", "auto-replied"), ("Content-Language", "de-DE"),
                               ("X-MS-Exchange-Message-Is-Ndr", "")])
    B(c, "de-exchange-unzustellbar",
      message(hs, multipart("report", [text_part(text, charset="iso-8859-1", cte="quoted-printable"), status,
                                       original(o, "headers")],
                            "_000_" + h("dz" + L.email, 20).upper() + "_", params=" report-type=delivery-status;")),
      L.email, True, "German Exchange NDR 'Unzustellbar:' / 'Die Zustellung an folgende Empfänger ... ist fehlgeschlagen'", lang="de")

    L = Lead("Valérie", "Blanc", "valerie.blanc@orange-pro.test", "Blanc Immobilier", lang="fr")
    o = ours(L, dt(2025, 3, 18, 9, 0))
    d = o.date + timedelta(seconds=6)
    text = ("Ce message a été créé automatiquement par le logiciel de distribution du courrier.\n\n"
            "Votre message n'a pas pu être remis à un ou plusieurs destinataires.\n"
            "Il s'agit d'une erreur permanente. L'adresse suivante a échoué :\n\n"
            f"  {L.email}\n    550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 "
            "[416]\n\n------ Ceci est une copie des en-têtes du message. ------\n\n").encode("utf-8") + render_ours(o, headers_only=True)
    hs = bounce_headers("Mail Delivery System <MAILER-DAEMON@smtp.orange-pro.test>",
                        "=?utf-8?Q?=C3=89chec_de_la_remise_du_message?=", d,
                        f"<E1tu{h('fr' + L.email, 10)}-0001Vx-KL@smtp.orange-pro.test>", "smtp.orange-pro.test",
                        extra=[("X-Failed-Recipients", L.email), ("Auto-Submitted", "auto-replied")])
    B(c, "fr-echec-de-la-remise", message(hs, text_part(text.decode("utf-8"), charset="utf-8", cte="8bit")), L.email, True,
      "French ISP bounce ('Échec de la remise', encoded-word subject, 8bit body), Exim-like layout", lang="fr")

    L = Lead("Walter", "Brenner", "walter.brenner@alpina-holding.test", "Alpina Holding")
    o = ours(L, dt(2025, 3, 18, 10, 0))
    d = o.date + timedelta(minutes=1)
    text = (f"Your message\n\n  Subject: {o.subject}\n\nwas not delivered to:\n\n  {L.email}\n\n"
            "because:\n\n  User walter.brenner (walter.brenner@alpina-holding.test) not listed in Domino Directory\n")
    status = raw_part([("Content-Type", "message/delivery-status")], dsn_fields(
        "notes01.alpina-holding.test", o.date,
        [{"addr": L.email, "action": "failed", "status": "5.0.0",
          "diag": "X-Notes; User walter.brenner (walter.brenner@alpina-holding.test) not listed in Domino Directory"}])
        .replace(b"Diagnostic-Code: smtp; X-Notes;", b"Diagnostic-Code: X-Notes;"))
    hs = bounce_headers("Postmaster@alpina-holding.test", fold("Subject", "DELIVERY FAILURE: User walter.brenner (walter.brenner@alpina-holding.test) not listed in Domino Directory"), d,
                        f"<OF{h('dom' + L.email, 8).upper()}.{h('d2' + L.email, 8).upper()}-ON{h('d3', 8).upper()}@alpina-holding.test>",
                        "notes01.alpina-holding.test", extra=[("X-Mailer", "Lotus Domino Release 9.0.1FP10")])
    B(c, "domino-not-listed", message(hs, multipart("report", [text_part(text, charset="US-ASCII"), status,
                                                            original(o, "headers")],
                                                   "=_mixed 0047B2E1C1258C4F_=", params=" report-type=delivery-status;")),
      L.email, True, "Lotus Domino 'DELIVERY FAILURE: User ... not listed in Domino Directory'; Status 5.0.0 with X-Notes diagnostic (user unknown => permanent)")

    L = Lead("Xavier", "Dunn", "xavier.dunn@meridian-law.test", "Meridian Law")
    o = ours(L, dt(2025, 3, 19, 9, 0))
    d = o.date + timedelta(seconds=12)
    text = ("Your message could not be delivered.\n\n"
            f"Recipient: {L.email}\nReason: 550 5.7.1 Message rejected by content policy (Mimecast) - "
            "https://community.mimecast.test/docs/DOC-1369#550 [a1B2c3D4e5F6]\n\n"
            "The message has been rejected by the recipient's email security policy. Please contact the recipient\n"
            "by other means.\n")
    status = raw_part([("Content-Type", "message/delivery-status")], dsn_fields(
        "eu-smtp-inbound-1.mimecast.test", o.date,
        [{"addr": L.email, "action": "failed", "status": "5.7.1",
          "diag": "550 5.7.1 Message rejected by content policy"}]))
    hs = bounce_headers("Mimecast <postmaster@mimecast.test>", "Undeliverable: " + o.subject, d,
                        f"<mc-{h('mcst' + L.email, 20)}@mimecast.test>", "eu-smtp-1.mimecast.test",
                        extra=[("Auto-Submitted", "auto-replied"), ("X-MC-Unique", h("u" + L.email, 22))])
    B(c, "mimecast-content-policy-5-7-1",
      message(hs, multipart("report", [text_part(text, charset="us-ascii"), status, original(o, "headers")],
                            "----=_Part_" + h("mcb", 12), params=" report-type=delivery-status;")),
      L.email, False, "policy: security gateway (Mimecast-style) content rejection 5.7.1 - permanent=false")

    L = Lead("Yara", "Bishop", "yara.bishop@kinsale-foods.test", "Kinsale Foods")
    o = ours(L, dt(2025, 3, 19, 10, 0))
    d = o.date + timedelta(seconds=3)
    text = ("Message delivery failed.\n\nA message that you sent could not be delivered to one or more of its\n"
            "recipients. This is a permanent error.\n\nReference: " + h("ref" + L.email, 16).upper() + "\n")
    hs = bounce_headers("Mail Delivery System <MAILER-DAEMON@gateway.kinsale-foods.test>", "Returned mail", d,
                        f"<{h('xf' + L.email, 18)}@gateway.kinsale-foods.test>", "gateway.kinsale-foods.test",
                        extra=[("X-Failed-Recipients", L.email)])
    B(c, "x-failed-recipients-only", message(hs, text_part(text, charset="us-ascii")), L.email, True,
      "the failed address appears ONLY in X-Failed-Recipients: the body names no address and no status code, no returned message")

    L = Lead("Zach", "Morrow", "zach.morrow@cinder-games.test", "Cinder Games")
    o = ours(L, dt(2025, 3, 20, 9, 0))
    raw = postfix(L, o, o.date + timedelta(seconds=4), host="lists.cinder-games.test", status="5.1.1", action="failed",
                  why="unknown user: \"zach.morrow\"", diag=None, remote=None,
                  extra=[("List-Id", "Cinder Games staff <staff.cinder-games.test>"), ("Precedence", "list"),
                         ("List-Unsubscribe", "<mailto:staff-leave@lists.cinder-games.test>")])
    B(c, "bounce-with-list-id", raw, L.email, True,
      "bounce relayed through the lead's list server: carries List-Id, List-Unsubscribe and Precedence: list - still a bounce (bounce rule first)")

    L = Lead("Abigail", "Frost", "abigail.frost@polaris-media.test", "Polaris Media")
    o = ours(L, dt(2025, 3, 20, 10, 0))
    d = o.date + timedelta(seconds=5)
    text = ("Hello ava@acme-analytics.test,\n\nWe're writing to let you know that the group you tried to contact "
            "(sales) may not exist, or you may not have permission to post messages to the group.\n\n"
            "* If you intended to post to a different group, check the address\n"
            "* If the group has been deleted, contact the group owner\n\n"
            f"The address was: {L.email}\n")
    status = raw_part([("Content-Type", "message/delivery-status")], dsn_fields(
        "googlegroups.test", o.date, [{"addr": L.email, "action": "failed", "status": "5.1.1",
                                      "diag": "550 5.1.1 The group does not exist"}]))
    hs = bounce_headers("Mail Delivery Subsystem <mailer-daemon@googlemail.com>", "Address not found", d,
                        f"<{h('gg' + L.email, 24)}@mx.google.test>", "mail-sor-f41.google.test",
                        extra=[("Auto-Submitted", "auto-replied"), ("X-Failed-Recipients", L.email)])
    B(c, "google-group-does-not-exist",
      message(hs, multipart("report", [text_part(text, charset="UTF-8"), status, original(o, "headers")],
                            "000000000000" + h("gg2" + L.email, 16), params=" report-type=delivery-status;")),
      L.email, True, "Google Groups 'group may not exist' rejection for a group address: 5.1.1")

    L = Lead("Bruno", "Salvi", "bruno.salvi@etna-impianti.test", "Etna Impianti", lang="it")
    o = ours(L, dt(2025, 3, 21, 9, 0))
    raw = postfix(L, o, o.date + timedelta(seconds=4), host="smtp.acme-analytics.test", status="5.1.1",
                  action="failed",
                  why="host mx.etna-impianti.test[203.0.113.120] said: 550 5.1.1\n    <bruno.salvi@etna-impianti.test>: "
                      "Recipient address rejected: utente inesistente (in\n    reply to RCPT TO command)",
                  diag="550 5.1.1 <bruno.salvi@etna-impianti.test>: Recipient address rejected: utente inesistente",
                  remote="mx.etna-impianti.test")
    B(c, "postfix-italian-remote-text", raw, L.email, True,
      "Postfix DSN whose remote diagnostic is Italian ('utente inesistente'); report itself English", lang="en")

    L = Lead("Cora", "Lindholm", "cora.lindholm@aurora-fintech.test", "Aurora Fintech")
    o = ours(L, dt(2025, 3, 21, 10, 0))
    d = o.date + timedelta(seconds=3)
    text = (f"<{L.email}>: host aspmx.aurora-fintech.test[203.0.113.66] said: 550 5.1.1\n"
            "    The email account that you tried to reach is disabled. (in reply to RCPT TO command)\n")
    status = raw_part([("Content-Type", "message/delivery-status")], dsn_fields(
        "smtp.acme-analytics.test", o.date,
        [{"original": L.email, "addr": L.email, "action": "failed", "status": "5.1.1", "remote": "aspmx.aurora-fintech.test",
          "diag": "550 5.1.1 The email account that you tried to reach is disabled."}]))
    hs = bounce_headers("MAILER-DAEMON@smtp.acme-analytics.test (Mail Delivery System)",
                        "Undelivered Mail Returned to Sender", d, f"<{h('ad' + L.email, 14)}@smtp.acme-analytics.test>",
                        "smtp.acme-analytics.test", extra=[("Auto-Submitted", "auto-replied")])
    B(c, "postfix-account-disabled",
      message(hs, multipart("report", [text_part(text, charset="us-ascii"), status,
                                       raw_part([("Content-Type", "message/rfc822")], render_ours(o))],
                            h("bnd" + L.email, 10).upper() + ".1742551203/smtp.acme-analytics.test",
                            params=" report-type=delivery-status;")),
      L.email, True, "minimal DSN: terse human part, 'account ... is disabled' with 5.1.1 - hard")
