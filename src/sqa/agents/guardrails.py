"""Checks on every draft before it can reach the outbox (OWASP LLM05/LLM06/LLM07/LLM09).

``check(text, inp, out)`` returns the violations of the agent's words (greeting,
signature and footer excluded):

- ``unsupported_claim``: an amount, percentage, number, date, discount, feature
  ("we support X", "integrates with X") or customer name ("customers like X")
  that no snippet the draft cites states. Numbers are compared by value
  ("20%" = "20 percent", "€1,000" = "1000 EUR" = "1k EUR"). A number or date
  the lead wrote themselves may be echoed back in a sentence addressed to them
  ("your go-live in June 2026"), an amount only as their budget ("your budget
  of 50k EUR"); never in a sentence about prices, costs or discounts, and a
  percentage is never taken from the lead: "give me 90% off" must not become
  an offer. Links and addresses are checked by their own rules, not as claims.
- ``link_not_allowed``: an http(s)/www/bare-domain link whose host is not in
  ``allowed_links`` (a host or URL; subdomains of an allowed host pass).
- ``header_injection``: CR or another line break that is not LF, or a line
  that looks like a mail header ("Bcc: x", "Subject: ...").
- ``canary_leak``: a canary string of the system prompt (also spaced or cased);
  this process's prompt canary (sqa.agents.prompt.CANARY) is always checked.
- ``other_lead_data``: an email address that is not the agent's own
  (``allowed_emails``), not in the lead's own text and not in a cited snippet.
- ``too_long``: more than ``max_chars`` characters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqa.agents.engines.base import EngineInput, EngineOutput
from sqa.agents.prompt import CANARY


@dataclass(frozen=True)
class Violation:
    code: str
    detail: str


# --- numbers, amounts, percentages -------------------------------------------------------------

_CURRENCY = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "$": "USD", "usd": "USD", "dollar": "USD",
    "dollars": "USD", "us$": "USD", "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "chf": "CHF",
    "fr.": "CHF", "franken": "CHF", "sek": "SEK", "kr": "SEK", "¥": "JPY", "jpy": "JPY", "yen": "JPY",
}
_CUR_PRE = r"(?P<pre>€|\$|£|¥|US\$|EUR|USD|GBP|CHF)\s?"
_CUR_POST = r"(?P<post>€|\$|£|EUR|USD|GBP|CHF|SEK|JPY|euros?|dollars?|pounds?|Franken|yen)"
_MULT = {"k": 1e3, "tsd": 1e3, "thousand": 1e3, "tausend": 1e3, "m": 1e6, "mio": 1e6, "million": 1e6,
         "millionen": 1e6, "mn": 1e6, "bn": 1e9, "billion": 1e9, "mrd": 1e9}
_PCT = r"(?P<pct>\s?%|\s?(?:percent|per\s?cent|pct|prozent|pour\s?cent|por\s?ciento|procent)\b)"
_NUM = r"(?P<num>\d{1,3}(?:[,.'\u00a0\u202f ]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
_NUMBER_RE = re.compile(
    rf"(?<![\w.,])(?:{_CUR_PRE})?{_NUM}"
    rf"(?:\s?(?P<mult>k|tsd\.?|thousand|tausend|m|mio\.?|million|millionen|mn|bn|billion|mrd\.?)(?![a-z]))?"
    rf"(?:{_PCT}|\s?{_CUR_POST}(?![a-z]))?",
    re.IGNORECASE,
)


def _number(raw: str) -> float:
    """"1,000" / "1.000" / "1 000" = 1000; "1,000.50" / "1.000,50" = 1000.5; "1.5" / "1,5" = 1.5."""
    raw = re.sub(r"[\u00a0\u202f' ]", "", raw)
    last = max(raw.rfind(","), raw.rfind("."))
    if last < 0:
        return float(raw)
    sep = raw[last]
    thousands = ("," in raw and "." in raw) is False and (raw.count(sep) > 1 or len(raw) - last - 1 == 3)
    if thousands:
        return float(re.sub(r"[.,]", "", raw))
    return float(re.sub(r"[.,]", "", raw[:last]) + "." + raw[last + 1:])


@dataclass(frozen=True)
class _Claim:
    kind: str  # amount | percent | number | date | discount | feature | customer
    key: tuple  # normalized value
    raw: str
    sentence: str


_MONTHS = {
    "january": 1, "jan": 1, "januar": 1, "janvier": 1, "enero": 1, "february": 2, "feb": 2, "februar": 2,
    "février": 2, "febrero": 2, "march": 3, "mar": 3, "märz": 3, "mars": 3, "marzo": 3, "april": 4, "apr": 4,
    "avril": 4, "abril": 4, "may": 5, "mai": 5, "mayo": 5, "june": 6, "jun": 6, "juni": 6, "juin": 6, "junio": 6,
    "july": 7, "jul": 7, "juli": 7, "juillet": 7, "julio": 7, "august": 8, "aug": 8, "août": 8, "agosto": 8,
    "september": 9, "sep": 9, "sept": 9, "septembre": 9, "septiembre": 9, "october": 10, "oct": 10,
    "oktober": 10, "octobre": 10, "octubre": 10, "november": 11, "nov": 11, "novembre": 11, "noviembre": 11,
    "december": 12, "dec": 12, "dezember": 12, "décembre": 12, "diciembre": 12,
}
_MONTH = "(?P<month>" + "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True)) + r")\.?"
_DATE_RES = (
    re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(r"\b(?P<day>\d{1,2})\.(?P<mnum>\d{1,2})\.(?P<year>(?:19|20)\d{2})\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th|\.)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(?P<year>(?:19|20)\d{{2}}))?\b", re.I),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d{{2}}))?\b", re.I),
    re.compile(rf"\b{_MONTH}(?:\s+(?:of\s+)?(?P<year>(?:19|20)\d{{2}}))?\b", re.I),
    re.compile(r"\b(?P<quarter>Q[1-4])(?:[\s/]+(?P<year>(?:19|20)\d{2}))?\b", re.I),
    re.compile(r"\b(?P<year>(?:19|20)\d{2})\b"),
)
# short English month abbreviations that are also words are only dates next to a day or year
_AMBIGUOUS_MONTHS = {"may", "mar", "jun", "jul", "aug", "sep", "dec", "nov", "oct", "jan", "feb", "apr", "mai", "mars"}

_PRICE_WORDS = re.compile(
    r"\b(?:price[sd]?|pricing|costs?|fees?|charges?|per\s+(?:month|year|user|seat|licen[cs]e)|monthly|annual(?:ly)?"
    r"|discounts?|off|rebates?|offers?|deal|save|savings|cheaper|free|preis\w*|kostet|kosten|rabatt\w*|nachlass"
    r"|angebot\w*|prix|coût\w*|remise|réduction|precio\w*|descuento\w*|cuesta)\b|/\s?(?:mo|month|yr|year|user)\b",
    re.IGNORECASE,
)
_DISCOUNT_RE = re.compile(
    r"\b(?:discount\w*|rebates?|rabatt\w*|nachlass|preisnachlass|remise|réduction|descuento\w*|coupon\w*|promo(?:tion)?\s?codes?"
    r"|special\s+(?:offer|price|deal)|free\s+of\s+charge|for\s+free|kostenlos|gratis|money[-\s]back|guarantee[sd]?)\b",
    re.IGNORECASE,
)
_SUBJECT = (r"(?:we|it|our\s+(?:product|platform|tool|software|service|solution|app|system)|the\s+(?:product|platform|tool|"
            r"software|service|solution|app|system)|[A-Z][\w-]+)")
_MODAL = r"(?:\s+(?:also|fully|natively|now|already|can|could|will|would|do|does|currently))*"
_FEATURE_RES = (
    re.compile(rf"\b{_SUBJECT}{_MODAL}\s+(?:supports?|offers?|provides?|includes?|comes\s+with|has|have)\s+(?P<obj>[^.,;:!?\n]+)"),
    re.compile(r"\b(?:integrates?|integration|integrations|works|connects?|compatible|compliant|syncs?|certified)\s+"
               r"(?:with|to|for|under|against|by)\s+(?P<obj>[^.,;:!?\n]+)", re.IGNORECASE),
    re.compile(r"\b(?P<obj>[A-Z][\w-]*(?:\s+\d+)?)[\s-]+(?:compliant|certified|certification|integration|connector)\b"),
)
_CUSTOMER_RE = re.compile(
    r"\b(?:customers?|clients?|companies|teams|brands|organi[sz]ations|users|kunden|clientes?)\s+(?:like|such\s+as|including|include|wie)\s+"
    r"(?P<names>[^.;:!?\n]+)|\b(?:used|trusted|chosen|relied\s+on)\s+by\s+(?P<names2>[^.;:!?\n]+)",
    re.IGNORECASE,
)
_STOP = frozenset(
    "a an the and or of for to with in on at by our your you we it its this that these those as is are be all any "
    "many most more other such some very also can will would full fully native natively out box both plus via "
    "including include includes like etc well help helps happy us me details information off".split()
)

_LINK_RE = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://[^\s<>\"'()\[\]{}]+|\bwww\.[^\s<>\"'()\[\]{}]+"
    r"|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"'()\[\]{}]*)",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HEADER_NAMES = (r"bcc|cc|to|from|subject|reply-to|sender|return-path|content-type|content-transfer-encoding|mime-version"
                 r"|message-id|in-reply-to|references|date|list-unsubscribe(?:-post)?|dkim-signature|received|x-[a-z0-9-]+")
_HEADER_LINE = re.compile(rf"^[ \t>]*(?:{_HEADER_NAMES})[ \t]*:", re.IGNORECASE | re.MULTILINE)
_ODD_BREAKS = re.compile(r"[\r\x0b\x0c\x85\u2028\u2029]")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=\S)|\n+")


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_SPLIT.split(text) if s.strip()]


def _dates(sentence: str) -> tuple[list[_Claim], str]:
    """Date claims of one sentence, and the sentence with them blanked (so their digits are not numbers too)."""
    found: list[_Claim] = []
    rest = sentence
    for regex in _DATE_RES:
        for m in list(regex.finditer(rest)):
            g = m.groupdict()
            if g.get("month") and g["month"].lower().rstrip(".") in _AMBIGUOUS_MONTHS and not (g.get("day") or g.get("year")):
                continue
            month = _MONTHS.get(g["month"].lower().rstrip(".")) if g.get("month") else None
            if g.get("mnum"):
                month = int(g["mnum"])
            key = (g.get("quarter", "") and g["quarter"].upper(), int(g["year"]) if g.get("year") else None, month,
                   int(g["day"]) if g.get("day") else None)
            found.append(_Claim("date", key, m.group(0), sentence))
        rest = regex.sub(lambda m: " " * len(m.group(0)), rest)
    return found, rest


def _numbers(sentence: str) -> list[_Claim]:
    out = []
    for m in _NUMBER_RE.finditer(sentence):
        try:
            value = _number(m.group("num"))
        except ValueError:
            continue
        if m.group("mult"):
            value *= _MULT[m.group("mult").lower().rstrip(".")]
        value = round(value, 4)
        cur = m.group("pre") or m.group("post")
        if m.group("pct"):
            out.append(_Claim("percent", (value,), m.group(0).strip(), sentence))
        elif cur:
            out.append(_Claim("amount", (value, _CURRENCY.get(cur.lower(), cur.upper())), m.group(0).strip(), sentence))
        else:
            out.append(_Claim("number", (value,), m.group(0).strip(), sentence))
    return out


def _content_words(phrase: str) -> list[str]:
    words = re.findall(r"[\w][\w+#-]*", phrase.lower())
    return [w for w in words if w not in _STOP and not w.isdigit() and len(w) > 1][:6]


def _names(phrase: str) -> list[str]:
    parts = re.split(r",|\s+and\s+|\s+or\s+|\s+&\s+|\s+und\s+|\s+et\s+|\s+y\s+", phrase)
    names = []
    for part in parts:
        words = [w for w in part.split() if w[:1].isupper() or w[:1].isdigit()]
        if words:
            names.append(" ".join(words))
    return names


def _offer_kind(word: str) -> str:
    word = word.lower()
    if "free" in word or word in ("kostenlos", "gratis"):
        return "free"
    if "guarant" in word or "money" in word:
        return "guarantee"
    return "discount"


def _claims(text: str) -> list[_Claim]:
    claims: list[_Claim] = []
    for sentence in _sentences(text):
        dates, rest = _dates(sentence)
        claims += dates
        claims += _numbers(rest)
        for m in _DISCOUNT_RE.finditer(sentence):
            claims.append(_Claim("discount", (_offer_kind(m.group(0)),), m.group(0), sentence))
        for regex in _FEATURE_RES:
            for m in regex.finditer(sentence):
                words = _content_words(m.group("obj"))
                if words:
                    claims.append(_Claim("feature", tuple(words), m.group(0).strip(), sentence))
        for m in _CUSTOMER_RE.finditer(sentence):
            for name in _names(m.group("names") or m.group("names2") or ""):
                claims.append(_Claim("customer", (name.lower(),), name, sentence))
    return claims


class _Evidence:
    """What a set of texts states: numbers by value, dates, words."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.text = "\n".join(texts)
        self.lower = self.text.lower()
        claims = _claims(self.text)
        self.amounts = {c.key for c in claims if c.kind == "amount"}
        self.percents = {c.key[0] for c in claims if c.kind == "percent"}
        self.values = {c.key[0] for c in claims if c.kind in ("amount", "percent", "number")}
        self.dates = {c.key for c in claims if c.kind == "date"}
        self.words = set(re.findall(r"[\w][\w+#-]*", self.lower))
        self.offers = {_offer_kind(m.group(0)) for m in _DISCOUNT_RE.finditer(self.text)}

    def supports(self, claim: _Claim) -> bool:
        if claim.kind == "amount":
            value, cur = claim.key
            return (value, cur) in self.amounts or any(v == value for v, c in self.amounts if c is None) or (
                value in self.values and not any(v == value and c != cur for v, c in self.amounts))
        if claim.kind == "percent":
            return claim.key[0] in self.percents
        if claim.kind == "number":
            return claim.key[0] in self.values or any(d[1] == claim.key[0] for d in self.dates)
        if claim.kind == "date":
            return any(all(c is None or c == "" or c == s for c, s in zip(claim.key, d)) for d in self.dates)
        if claim.kind == "discount":
            return claim.key[0] in self.offers
        if claim.kind == "feature":
            return all(self._has_word(w) for w in claim.key)
        if claim.kind == "customer":
            return claim.key[0] in self.lower
        return False

    def _has_word(self, word: str) -> bool:
        if word in self.words:
            return True
        stem = word[:5]
        return len(word) >= 5 and any(w.startswith(stem) for w in self.words)


@functools.lru_cache(maxsize=256)
def _evidence(text: str) -> _Evidence:
    """The evidence of the cited snippets, read once per distinct text: the same operator words and knowledge
    snippets back every outreach draft of an agent (reading them cost ~2 ms a draft)."""
    return _Evidence((text,))


_TO_LEAD = re.compile(r"\b(?:you|your|yours|du|dein\w*|dir|ihr\w*|vous|votre|vos|usted|su|sus|tu|tus)\b", re.I)
_BUDGET = re.compile(r"\b(?:budget\w*|set\s+aside|allocated|earmarked|presupuesto|bud[gj]et)\b", re.I)


def _echoes_lead(claim: _Claim) -> bool:
    """May this claim repeat the lead's own words? Never a percentage or a price; an amount only as their budget."""
    if claim.kind not in ("amount", "number", "date") or _PRICE_WORDS.search(claim.sentence):
        return False
    if not _TO_LEAD.search(claim.sentence):
        return False
    return claim.kind != "amount" or bool(_BUDGET.search(claim.sentence))


def _host(link: str) -> str | None:
    if "://" not in link:
        link = "http://" + link
    try:
        host = urlsplit(link).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def _allowed_hosts(allowed: Iterable[str]) -> set[str]:
    hosts = set()
    for entry in allowed:
        host = _host(entry.strip())
        if host:
            hosts.add(host.removeprefix("www."))
    return hosts


def _canary_norm(s: str) -> str:
    return re.sub(r"[\W_]+", "", s.lower())


def check(text: str, inp: EngineInput, out: EngineOutput, *, allowed_links: frozenset[str] = frozenset(),
          max_chars: int = 2000, canaries: tuple[str, ...] = (),
          allowed_emails: frozenset[str] = frozenset()) -> list[Violation]:
    """The violations of a draft's text; an empty list means it may go out."""
    found: list[Violation] = []

    def add(code: str, detail: str) -> None:
        v = Violation(code, detail)
        if v not in found:
            found.append(v)

    if len(text) > max_chars:
        add("too_long", f"{len(text)} characters, the limit is {max_chars}")
    if _ODD_BREAKS.search(text):
        add("header_injection", "a CR or another line break that is not LF")
    for m in _HEADER_LINE.finditer(text):
        line = text[m.start():].split("\n", 1)[0].strip()
        add("header_injection", f"a header-like line: {line[:60]!r}")
    flat = _canary_norm(text)
    for canary in dict.fromkeys((*canaries, CANARY)):
        if canary and (canary in text or (len(_canary_norm(canary)) >= 8 and _canary_norm(canary) in flat)):
            add("canary_leak", "the draft repeats a canary string of the system prompt")

    hosts = _allowed_hosts(allowed_links)
    for m in _LINK_RE.finditer(text):
        link = m.group(0).rstrip(".,;:!?")
        if _EMAIL_RE.fullmatch(link.split("/")[0]) or "@" in link.split("/")[0] and "://" not in link:
            continue
        host = _host(link)
        if host is None or not any(host == h or host.endswith("." + h) for h in hosts):
            add("link_not_allowed", f"link to {host or link!r} is not in the allow-list")

    cited = [s for s in inp.snippets if s.id in set(out.cited)]
    snippets = _evidence("\n".join(s.text for s in cited))
    lead_texts = [inp.reply_text] + [t for s in inp.state.slots.values() for t in (s.value, s.evidence)]
    lead: _Evidence | None = None  # read only when a claim may echo the lead (a long reply is dear to read)

    emails_ok = {e.lower() for e in allowed_emails} | {
        e.lower() for e in _EMAIL_RE.findall("\n".join(lead_texts) + "\n" + snippets.text)}
    for email in _EMAIL_RE.findall(text):
        if email.lower() not in emails_ok:
            add("other_lead_data", f"the address {email!r} is not this lead's, the agent's or in a cited snippet")

    prose = _EMAIL_RE.sub(" ", _LINK_RE.sub(" ", text))  # links and addresses are checked above, not as claims
    # "3M", "7-Eleven", "Company 66": the lead's own names are not claims. Only a name whose own claims are bare
    # numbers: a CSV field is untrusted, and a "company" reading "Acme 90% off" must not whitelist its offer.
    names = {t for t in (inp.lead.company, inp.lead.title, inp.lead.first_name) if t and len(t) > 1}
    for name in sorted((n for n in names if all(c.kind == "number" for c in _claims(n))), key=len, reverse=True):
        prose = prose.replace(name, " ")
    for claim in _claims(prose):
        if snippets.supports(claim):
            continue
        if _echoes_lead(claim):
            lead = lead or _Evidence(lead_texts)
            if lead.supports(claim):
                continue
        what = {"amount": "an amount", "percent": "a percentage", "number": "a number", "date": "a date",
                "discount": "a discount or free offer", "feature": "a feature", "customer": "a customer name"}[claim.kind]
        add("unsupported_claim", f"{what} ({claim.raw!r}) is not stated by a cited snippet")
    return found


def feedback(violations: Iterable[Violation]) -> str:
    """The reason given to the model for its one regeneration."""
    lines = [f"- {v.code}: {v.detail}" for v in violations]
    return "Your previous draft was rejected:\n" + "\n".join(lines) + (
        "\nWrite it again: state facts only from the cited snippets, no links, no figures the snippets do not give.")
