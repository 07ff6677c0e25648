"""Feedback-loop reports (RFC 5965 ARF) as mailbox providers send them, built around a returned mail."""

from __future__ import annotations

import base64

BOUNDARY = "arf-boundary-7d1c"


def arf_report(original: bytes, *, feedback_type: str = "abuse", rcpt: str | None = None,
               reporter: str = "staff@hotmail.test", user_agent: str = "Hotmail FBL", headers_only: bool = False,
               redact: str | None = None, encode_fields: bool = False, message_id: str = "<fbl-1@hotmail.test>") -> bytes:
    """One ARF report of ``original``. ``redact``: the recipient address replaced in the returned mail (as JMRP
    does); ``headers_only``: text/rfc822-headers instead of the whole mail; ``encode_fields``: the
    feedback-report part in base64 (seen from some ISPs)."""
    returned = original.replace(b"\r\n", b"\n")
    if redact is not None:
        returned = returned.replace(redact.encode(), b"redacted@example.invalid")
    if headers_only:
        returned = returned.split(b"\n\n", 1)[0] + b"\n"
    fields = [f"Feedback-Type: {feedback_type}", f"User-Agent: {user_agent}", "Version: 1",
              "Original-Mail-From: <bounces@acme-analytics.test>", "Arrival-Date: Thu, 26 Nov 2026 10:00:00 +0000",
              "Source-IP: 192.0.2.10", "Reported-Domain: acme-analytics.test"]
    if rcpt is not None:
        fields.append(f"Original-Rcpt-To: <{rcpt}>")
    block = "\n".join(fields) + "\n"
    if encode_fields:
        part2 = ("Content-Type: message/feedback-report\nContent-Transfer-Encoding: base64\n\n"
                 + base64.encodebytes(block.encode()).decode())
    else:
        part2 = "Content-Type: message/feedback-report\n\n" + block
    kind = "text/rfc822-headers" if headers_only else "message/rfc822"
    head = (f"From: {reporter}\nTo: ava@acme-analytics.test\nSubject: complaint about message from 192.0.2.10\n"
            f"Date: Thu, 26 Nov 2026 10:05:00 +0000\nMessage-ID: {message_id}\nMIME-Version: 1.0\n"
            f'Content-Type: multipart/report; report-type=feedback-report; boundary="{BOUNDARY}"\n\n')
    body = (f"--{BOUNDARY}\nContent-Type: text/plain; charset=us-ascii\n\n"
            "This is an email abuse report for an email message received from IP 192.0.2.10.\n\n"
            f"--{BOUNDARY}\n{part2}\n--{BOUNDARY}\nContent-Type: {kind}\nContent-Disposition: inline\n\n")
    raw = head.encode() + body.encode() + returned + f"\n--{BOUNDARY}--\n".encode()
    return raw.replace(b"\n", b"\r\n")


def forwarded(report: bytes, by: str = "abuse@isp.test") -> bytes:
    """An abuse desk forwarding the whole report as an attachment."""
    head = (f"From: {by}\nTo: ava@acme-analytics.test\nSubject: Fwd: abuse report\nMessage-ID: <fwd-1@isp.test>\n"
            'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="fwd-b"\n\n'
            "--fwd-b\nContent-Type: text/plain\n\nPlease stop mailing our customer.\n\n"
            "--fwd-b\nContent-Type: message/rfc822\n\n").replace("\n", "\r\n").encode()
    return head + report + b"\r\n--fwd-b--\r\n"
