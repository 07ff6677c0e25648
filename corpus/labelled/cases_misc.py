"""Our own mail coming back (self) and input that cannot be read at all (quarantine)."""

from __future__ import annotations

import random
import zlib
from datetime import timedelta

from _build import Corpus
from _kit import (OUR_ADDR, Lead, dt, h, inbound_received, ours, render_ours, rfcdate)


def build(c: Corpus) -> None:
    # ---------------------------------------------------------------- self
    L = Lead("Tom", "Whitaker", "tom.whitaker@brightline-logistics.test", "Brightline Logistics")
    o = ours(L, dt(2025, 3, 3, 9, 12))
    rcv = inbound_received("smtp.acme-analytics.test", "10.0.0.30", o.date + timedelta(seconds=1))
    raw = render_ours(o, received_=[("Return-Path", f"<{OUR_ADDR}>"), ("Delivered-To", OUR_ADDR)] + rcv)
    c.add("self-bcc-copy-of-first-touch", raw.replace(b"\n", b"\r\n"), "self", language="en",
          note="a Bcc copy of our own first-touch mail: From ava@, X-SQA-Loop, our Message-ID; its footer says 'unsubscribe' and it carries List-Unsubscribe")

    L = Lead("Laura", "Chen", "laura.chen@quantumleaf.test", "Quantumleaf")
    first = ours(L, dt(2025, 3, 3, 10, 0))
    fu = ours(L, dt(2025, 3, 7, 11, 0), follow_up_of=first)
    raw = render_ours(fu, received_=[("Return-Path", f"<{OUR_ADDR}>")] + inbound_received("smtp.acme-analytics.test", "10.0.0.30", fu.date))
    c.add("self-follow-up-copy", raw, "self", language="en",
          note="our own follow-up coming back: 'Re:' subject and In-Reply-To pointing at our previous mail - looks like a reply but is ours")

    L = Lead("Marco", "Bianchi", "marco.bianchi@dolomiti-log.test", "Dolomiti Logistica", lang="it")
    o = ours(L, dt(2025, 3, 11, 9, 0))
    d = o.date + timedelta(minutes=3)
    extra = [("Resent-From", "marco.bianchi@dolomiti-log.test"), ("Resent-To", "ava@acme-analytics.test"),
             ("Resent-Date", rfcdate(d)), ("Resent-Message-ID", f"<{h('rs' + L.email, 20)}@dolomiti-log.test>")]
    raw = render_ours(o, received_=[("Return-Path", "<marco.bianchi@dolomiti-log.test>")]
                      + inbound_received("mail.dolomiti-log.test", "203.0.113.200", d)
                      + [("Delivered-To", OUR_ADDR)] + extra)
    c.add("self-redirected-back-by-lead-rule", raw, "self", language="it",
          note="the lead's mail rule redirected our message back to us (Resent-* headers), From ava@ and X-SQA-Loop unchanged")

    L = Lead("Grace", "Liu", "grace.liu@tessellate.test", "Tessellate")
    o = ours(L, dt(2025, 3, 12, 10, 0))
    d = o.date + timedelta(seconds=40)
    raw = render_ours(o, received_=[("Return-Path", "<SRS0=ab12=VX=acme-analytics.test=ava@fwd.tessellate.test>")]
                      + inbound_received("fwd.tessellate.test", "203.0.113.201", d))
    raw = raw.replace(b"From: Ava Agent <ava@acme-analytics.test>",
                      b"From: \"Ava Agent via Sales Team\" <sales-team@tessellate.test>\nReply-To: Ava Agent <ava@acme-analytics.test>\n"
                      b"X-Original-From: Ava Agent <ava@acme-analytics.test>")
    c.add("self-from-rewritten-by-forwarder", raw, "self", language="en",
          note="our mail looped back through the lead's DMARC-rewriting forwarder: From is NOT ours ('Ava Agent via Sales Team'), "
               "but our X-SQA-Loop header, Reply-To and Message-ID survive")

    L = Lead("Ben", "Achterberg", "ben@ledgerline.test", "Ledgerline")
    d = dt(2025, 3, 13, 17, 45)
    body = ("Hi Ben,\n\nthis is Jonas from the Acme team, writing from Ava's mailbox - we'll send the SSO docs\n"
            "tomorrow morning.\n\nJonas\n")
    raw = ("Return-Path: <AVA@ACME-ANALYTICS.TEST>\n"
           + "".join(f"{k}: {v}\n" for k, v in inbound_received("webmail.acme-analytics.test", "10.0.0.40", d))
           + "From: AVA@Acme-Analytics.TEST\nTo: Ben Achterberg <ben@ledgerline.test>\nCc: ava@acme-analytics.test\n"
           + "Subject: Re: Automatic forecasting - questions\n" + f"Date: {rfcdate(d)}\n"
           + f"Message-ID: <{h('webmail', 24)}@webmail.acme-analytics.test>\nUser-Agent: Roundcube Webmail/1.6.9\n"
           + "MIME-Version: 1.0\nContent-Type: text/plain; charset=US-ASCII; format=flowed\nContent-Transfer-Encoding: 7bit\n\n"
           + body).encode()
    c.add("self-uppercase-address-no-loop-header", raw, "self", language="en",
          note="sent by a colleague from our own mailbox via webmail and Cc'd back: no X-SQA-Loop, address in UPPER/mixed case - still our own address")

    L = Lead("Isla", "McKenzie", "isla@thistlefin.test", "Thistle Financial")
    o = ours(L, dt(2025, 3, 14, 9, 0))
    raw = render_ours(o, received_=[("Return-Path", f"<{OUR_ADDR}>")]
                      + inbound_received("smtp.acme-analytics.test", "10.0.0.30", o.date))
    raw = raw.replace(b"From: Ava Agent <ava@acme-analytics.test>", b"From: ava@acme-analytics.test")
    raw = raw.replace(b"X-SQA-Loop: ava@acme-analytics.test", b"x-sqa-loop: ava@acme-analytics.test")
    c.add("self-bare-address-lowercase-loop-header", raw, "self", language="en",
          note="our message with a bare From address (no display name) and the loop header name in lower case")

    # ---------------------------------------------------------------- quarantine
    c.add("quarantine-zero-bytes", b"", "quarantine", language=None, note="empty file (0 bytes)")

    rnd = random.Random(7)
    garbage = bytes(rnd.randrange(256) for _ in range(3072))
    c.add("quarantine-binary-garbage", garbage, "quarantine", language=None,
          note="3 KiB of random bytes including NULs - not a message")

    c.add("quarantine-body-only-no-headers",
          b"Thanks Ava, Thursday works for us. Send the invite to the whole team please\r\n"
          b"and include the dial-in details\r\n\r\nCheers\r\nTom\r\n",
          "quarantine", language="en",
          note="a bare body with no header block at all (no From, no Date, nothing to thread or attribute)")

    garbled = (b"\x00\x00\x01X-\xff\xfe\x00: \x00\x13\x07\r\n\x8f\x9a\xc3(: =?utf-8?B?////?=\r\n"
               b"Subj\x00ect ==?=?=?\r\n\tContent-Type: multipart/\xff; boundary=\r\n\x1b[2J\x1b[H\xde\xad\xbe\xef\r\n"
               b"\r\n" + bytes(rnd.randrange(256) for _ in range(600)))
    c.add("quarantine-garbled-headers-no-from", garbled, "quarantine", language=None,
          note="no From, header names and values are binary junk, body is random bytes")

    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00@\x00\x00\x00@\x08\x06\x00\x00\x00\xaaiq\xde"
           + b"\x00\x00\x04\x00IDAT" + zlib.compress(bytes(rnd.randrange(256) for _ in range(1024))) + b"\x00\x00\x00\x00IEND\xaeB`\x82")
    c.add("quarantine-png-saved-as-eml", png, "quarantine", language=None,
          note="an image file saved with a .eml name")

    c.add("quarantine-whitespace-only", b"\r\n\r\n   \r\n\t\r\n\r\n", "quarantine", language=None,
          note="only blank lines and whitespace")

    c.add("quarantine-truncated-mid-header", b"Received: from mx1.exa", "quarantine", language=None,
          note="transfer cut off inside the first header line: no From, no body")
