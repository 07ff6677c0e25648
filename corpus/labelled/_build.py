"""The corpus collector and the generic "a lead replies to us" writer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from _kit import (Lead, Out, apple_html, apple_quote, boundary, gmail_html, gmail_quote, message,
                  multipart, original_message_quote, outlook_html, outlook_quote, owa_html,
                  reply_headers, text_part, thunderbird_quote, html_paras)

KINDS = ("human", "unsubscribe", "auto_reply", "bounce", "bulk", "self", "quarantine")


@dataclass
class Case:
    slug: str
    raw: bytes
    kind: str
    reply_text: str | None
    return_date: str | None
    bounce: dict | None
    language: str | None
    note: str


@dataclass
class Corpus:
    cases: list[Case] = field(default_factory=list)

    def add(self, slug: str, raw: bytes, kind: str, *, reply_text: str | None = None,
            return_date: str | None = None, bounce: dict | None = None, language: str | None = "en",
            note: str) -> None:
        assert kind in KINDS, kind
        if kind in ("human", "unsubscribe"):
            assert reply_text is not None, slug
        else:
            assert reply_text is None, slug
        if kind == "bounce":
            assert bounce and bounce["recipients"], slug
        else:
            assert bounce is None, slug
        if return_date is not None:
            assert kind == "auto_reply", slug
        assert all(c.slug != slug for c in self.cases), slug
        self.cases.append(Case(slug, raw, kind, reply_text, return_date, bounce, language, note))

    def write(self, root: Path) -> None:
        msgs = root / "messages"
        msgs.mkdir(parents=True, exist_ok=True)
        for old in msgs.glob("*.eml"):
            old.unlink()
        lines = []
        for i, c in enumerate(self.cases, 1):
            fname = f"{i:03d}-{c.slug}.eml"
            (msgs / fname).write_bytes(c.raw)
            lines.append(json.dumps({"file": fname, "kind": c.kind, "reply_text": c.reply_text,
                                     "return_date": c.return_date, "bounce": c.bounce,
                                     "language": c.language, "note": c.note}, ensure_ascii=False))
        (root / "labels.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def quote_for(style: str, o: Out, lang: str) -> str:
    return {
        "gmail": lambda: gmail_quote(o, lang),
        "gmail_us": lambda: gmail_quote(o, lang, us=True),
        "gmail_wrapped": lambda: gmail_quote(o, lang, us=True, wrap_attr=True),
        "outlook": lambda: outlook_quote(o, lang),
        "outlook_old": lambda: outlook_quote(o, lang, style="old"),
        "outlook_norule": lambda: outlook_quote(o, lang, rule=False),
        "orig": lambda: original_message_quote(o),
        "apple": lambda: apple_quote(o, lang),
        "ios": lambda: apple_quote(o, lang, ios=True),
        "thunderbird": lambda: thunderbird_quote(o, lang),
        "none": lambda: "",
    }[style]()


def html_for(client: str, new: str, after: str, o: Out, lang: str, charset: str, disclaimer: str = "") -> str:
    if client == "gmail":
        return gmail_html(new, o, lang, sig=after)
    if client == "outlook":
        return outlook_html(new, o, lang, sig=after, charset=charset, disclaimer=disclaimer,
                            html_lang="EN-GB" if lang == "en" else f"{lang.upper()}")
    if client == "owa":
        return owa_html(new, o, lang, sig=after, charset="utf-8" if charset == "utf-8" else "iso-8859-1")
    if client == "apple":
        return apple_html(new, o, lang, mobile=after)
    return f"<html><body>{html_paras(new, 'p')}{html_paras(after, 'p') if after else ''}</body></html>\n"


def lead_reply(lead: Lead, o: Out, d: datetime, client: str, new: str, *, after: str = "",
               quote: str | None = None, lang: str | None = None, fmt: str = "plain",
               charset: str | None = None, cte: str | None = None, html: str | None = None,
               extra: list[tuple[str, str]] | None = None, subject: str | None = None,
               body: str | None = None, eol: str = "\r\n", attachments: list[bytes] | None = None,
               disclaimer: str = "", mailer: str | None = None, from_: str | None = None,
               to: str | None = None, hdr_kw: dict | None = None) -> bytes:
    """A lead's reply to our ``o``: top-posted ``new`` then ``after`` (sign-off, signature, ...)
    then the quoted history in the style the client writes. ``body`` overrides the plain text
    entirely (inline answers)."""
    lang = lang or lead.lang
    if quote is None:
        quote = {"gmail": "gmail", "outlook": "outlook", "owa": "outlook", "apple": "apple",
                 "thunderbird": "thunderbird"}.get(client, "orig")
    if charset is None:
        charset = "us-ascii" if client in ("outlook", "owa") else "utf-8"
    q = quote_for(quote, o, lang)
    if body is None:
        parts = [new]
        if after:
            parts.append(after)
        if disclaimer:
            parts.append(disclaimer)
        if q:
            parts.append(q)
        body = "\n\n".join(p.rstrip("\n") for p in parts) + "\n"
    try:
        body.encode(charset)
    except UnicodeEncodeError:
        charset = "iso-8859-1" if charset == "us-ascii" else "utf-8"
        try:
            body.encode(charset)
        except UnicodeEncodeError:
            charset = "utf-8"
    kw = dict(hdr_kw or {})
    hs = reply_headers(lead, o, d, client, subject=subject, extra=extra, mailer=mailer, from_=from_,
                       **({"to": to} if to else {}), **kw)
    seed = lead.email + str(d)
    if fmt == "plain":
        part = text_part(body, charset=charset, cte=cte)
    else:
        htm = html if html is not None else html_for(client, new, after, o, lang, charset, disclaimer)
        hcs = charset if client in ("outlook", "owa") else "utf-8"
        try:
            htm.encode(hcs)
        except UnicodeEncodeError:
            hcs = "utf-8"
        hpart = text_part(htm, "html", charset=hcs, cte=cte or "quoted-printable")
        if fmt == "html":
            part = hpart
        else:
            part = multipart("alternative", [text_part(body, charset=charset, cte=cte), hpart],
                             boundary(client, seed))
    if attachments:
        part = multipart("mixed", [part] + attachments, boundary(client, seed + "mixed"))
    return message(hs, part, eol=eol)
