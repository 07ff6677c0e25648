"""The unsubscribe pages: small, accessible, no scripts, no external resources."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse, PlainTextResponse

from sqa.web.texts import TEXTS, Texts

_CSS = ("body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f6;color:#1a1a1a}"
        "main{max-width:32rem;margin:3rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px}"
        "h1{font-size:1.4rem;margin-top:0}"
        "button{font:inherit;padding:.6rem 1.2rem;border:2px solid #1a1a1a;border-radius:6px;"
        "background:#1a1a1a;color:#fff;cursor:pointer}"
        "button.secondary{background:#fff;color:#1a1a1a}"
        "button:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}")


def _page(lang: str, title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (f'<!doctype html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="robots" content="noindex">\n'
            f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
            f"<body>\n<main>\n<h1>{escape(title)}</h1>\n{body}</main>\n</body>\n</html>\n")
    return HTMLResponse(html, status_code=status)


def _form(action: str, label: str, css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return (f'<form method="post" action="{escape(action)}">\n'
            f'<button type="submit"{klass}>{escape(label)}</button>\n</form>\n')


def confirm(lang: str, token: str, company: str, address: str, scope: str) -> HTMLResponse:
    t = TEXTS[lang]
    scope_text = t.scope_all if scope == "all" else t.scope_agent.format(company=company)
    body = (f"<p>{escape(t.ask.format(company=company, address=address))}</p>\n<p>{escape(scope_text)}</p>\n"
            + _form(f"/u/{token}/confirm", t.button))
    return _page(lang, t.title, body)


def done(lang: str, token: str, company: str, address: str) -> HTMLResponse:
    t = TEXTS[lang]
    body = (f"<p>{escape(t.done.format(address=address, company=company))}</p>\n"
            f"<p>{escape(t.changed_mind)}</p>\n" + _form(f"/u/{token}/resubscribe", t.resubscribe, "secondary"))
    return _page(lang, t.done_title, body)


def resubscribed(lang: str, company: str, address: str) -> HTMLResponse:
    t = TEXTS[lang]
    return _page(lang, t.resubscribed_title, f"<p>{escape(t.resubscribed.format(address=address, company=company))}</p>\n")


def erased(lang: str) -> HTMLResponse:
    t = TEXTS[lang]
    return _page(lang, t.done_title, f"<p>{escape(t.erased)}</p>\n")


def bad_link(lang: str, status: int) -> HTMLResponse:
    t: Texts = TEXTS[lang]
    reason = t.malformed if status == 400 else t.not_found
    return _page(lang, t.bad_title, f"<p>{escape(reason)}</p>\n<p>{escape(t.other_ways)}</p>\n", status)


def text(body: str, status: int = 200, headers: dict[str, str] | None = None) -> PlainTextResponse:
    return PlainTextResponse(body + "\n", status_code=status, headers=headers)
