"""The return date stated in an auto-reply, in en, de, fr, es, nl, it and pt.

Rule (corpus README): a named return day wins ("back on 17 March"); else the
last day of the stated absence ("until 14 March", "jusqu'au 2 mai inclus").
Relative dates ("back on Monday", "de retour lundi", "back tomorrow") are
resolved against the message's own Date, in the sender's local time zone; a
bare weekday is the next such day AFTER that date; a date without a year that
has already passed is next year's, unless it passed only weeks ago: a stale
notice (left on after the return) gives no date, so the default pause applies.

Precompiled regexes find the date phrases and the cue words around them.
Phrases with month or day names and relative words are resolved by dateparser
(imported lazily, once, and only called on a phrase found here: it is slow);
numeric dates (``3.4.``, ``3/14``, ``2025-04-07``) are read here, because
their day/month order depends on the separator and the language
(dateparser reads "14.04." as the base date). Every result is checked against
the month/weekday the phrase names; on disagreement the table value is used.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from sqa.mailbox.parse import InboundMessage

log = logging.getLogger(__name__)

LANGS = ("en", "de", "fr", "es", "nl", "it", "pt")
MAX_AHEAD_DAYS = 400  # a "return date" further away than this is not one
# A day and month without a year that has passed is next year's ("back on 6 January" sent on 23 December),
# unless that puts it this far ahead: then the notice is stale (left on after the return) and gives no date.
STALE_AFTER_DAYS = 300
MAX_PHRASES = 8  # at most this many cued date phrases are resolved per message

# --- tables: word -> (month or ISO weekday number, languages) ----------------------------------------

_MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"),
    "de": ("januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september",
           "oktober", "november", "dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"),
    "pt": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
           "outubro", "novembro", "dezembro"),
}
# Abbreviations and variants that are not also ordinary words ("out", "set", "ago", "gen", "mar" as
# Spanish "sea" are left out on purpose; English "Mar" is in: it needs a day number next to it).
_MONTH_EXTRA: dict[str, tuple[str, int]] = {
    "jan": ("en", 1), "feb": ("en", 2), "mar": ("en", 3), "apr": ("en", 4), "jun": ("en", 6),
    "jul": ("en", 7), "aug": ("en", 8), "sep": ("en", 9), "sept": ("en", 9), "oct": ("en", 10),
    "nov": ("en", 11), "dec": ("en", 12),
    "jänner": ("de", 1), "mär": ("de", 3), "maerz": ("de", 3), "okt": ("de", 10), "dez": ("de", 12),
    "janv": ("fr", 1), "févr": ("fr", 2), "fevrier": ("fr", 2), "avr": ("fr", 4), "juil": ("fr", 7),
    "aout": ("fr", 8), "déc": ("fr", 12), "decembre": ("fr", 12),
    "setiembre": ("es", 9), "abr": ("es", 4), "dic": ("es", 12),
    "mrt": ("nl", 3),
    "fev": ("pt", 2), "marco": ("pt", 3), "dez.": ("pt", 12),
}
_WEEKDAYS: dict[str, tuple[str, ...]] = {
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "de": ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "it": ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
    "pt": ("segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado", "domingo"),
}
_WEEKDAY_EXTRA: dict[str, tuple[str, int]] = {
    "mon": ("en", 0), "tue": ("en", 1), "tues": ("en", 1), "wed": ("en", 2), "thu": ("en", 3),
    "thur": ("en", 3), "thurs": ("en", 3), "fri": ("en", 4), "sat": ("en", 5), "sun": ("en", 6),
    "sonnabend": ("de", 5),
    "miercoles": ("es", 2), "sabado": ("es", 5),
    "lunedi": ("it", 0), "martedi": ("it", 1), "mercoledi": ("it", 2), "giovedi": ("it", 3), "venerdi": ("it", 4),
    "segunda": ("pt", 0), "terça": ("pt", 1), "terca": ("pt", 1), "quarta": ("pt", 2), "quinta": ("pt", 3),
    "sexta": ("pt", 4), "segunda feira": ("pt", 0), "terça feira": ("pt", 1), "terca-feira": ("pt", 1),
    "quarta feira": ("pt", 2), "quinta feira": ("pt", 3), "sexta feira": ("pt", 4),
}
# Relative words: days after the message date.
_RELATIVE: dict[str, tuple[str, int]] = {
    "tomorrow": ("en", 1), "morgen": ("de", 1), "demain": ("fr", 1), "mañana": ("es", 1),
    "domani": ("it", 1), "amanhã": ("pt", 1),
}


def _index(base: dict[str, tuple[str, ...]], extra: dict[str, tuple[str, int]], offset: int) -> dict[str, tuple[int, tuple[str, ...]]]:
    table: dict[str, tuple[int, list[str]]] = {}
    for lang, words in base.items():
        for i, word in enumerate(words):
            table.setdefault(word, (i + offset, []))[1].append(lang)
    for word, (lang, number) in extra.items():
        table.setdefault(word, (number + offset, []))[1].append(lang)
    return {w: (n, tuple(langs)) for w, (n, langs) in table.items()}


MONTHS = _index(_MONTHS, {k: (lang, n - 1) for k, (lang, n) in _MONTH_EXTRA.items()}, 1)  # word -> (1..12, langs)
WEEKDAYS = _index(_WEEKDAYS, _WEEKDAY_EXTRA, 0)  # word -> (0=Monday..6, langs)
# "morgen" is also Dutch; dateparser reads it in both.
RELATIVE = {w: (n, (lang, "nl") if w == "morgen" else (lang,)) for w, (lang, n) in _RELATIVE.items()}
# Canonical full names, to hand dateparser a word it knows ("Thurs" -> "thursday").
_CANON_WEEKDAY = {(lang, i): w for lang, words in _WEEKDAYS.items() for i, w in enumerate(words)}
_CANON_MONTH = {(lang, i + 1): w for lang, words in _MONTHS.items() for i, w in enumerate(words)}


def _alt(words: object) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+").replace(r"\-", "[-\\s]?")
                    for w in sorted(words, key=len, reverse=True))  # type: ignore[arg-type]


_MONTH_RE = _alt(MONTHS)
_WEEKDAY_RE = _alt(WEEKDAYS)
_DAY = r"(?:3[01]|[12]\d|0?[1-9])"
_ORD = r"(?:st|nd|rd|th|er|e|º|ª|°|\.)?"
_ART = r"(?:(?:den|dem|the|le|el|il|lo|o|em|na|no|op|am|de)\s+)?"
_NOT_TIME = r"(?!\s*(?:uhr|h\b|hrs?\b|am\b|pm\b|o'?clock|%|€|\$))"

MENTION = re.compile(
    rf"""(?ix)
    (?<![\w./-])
    (?:
        (?P<iso>(?P<iy>20\d\d)-(?P<im>[01]?\d)-(?P<id>[0-3]?\d))(?![\d-])
      | (?:(?P<nwd>{_WEEKDAY_RE})\.?,?\s+{_ART})?
        (?P<num>(?P<n1>\d{{1,2}})(?P<sep>[./])(?P<n2>\d{{1,2}})(?:(?P=sep)(?P<ny>(?:20)?\d\d)(?!\d))?(?:(?<=\d)\.(?!\d))?)
        (?![\d/]|\.\d){_NOT_TIME}
      | (?:(?P<dwd>{_WEEKDAY_RE})\.?,?\s+{_ART})?
        (?P<dm>(?P<dd>{_DAY}){_ORD}\s*(?:(?:of|de)\s+)?(?P<dmon>{_MONTH_RE})\b\.?(?:,?\s*(?:de\s+)?(?P<dy>20\d\d)\b)?)
      | (?:(?P<mwd>{_WEEKDAY_RE})\.?,?\s+)?
        (?P<md>(?P<mmon>{_MONTH_RE})\b\.?\s+(?P<md_d>{_DAY})(?:st|nd|rd|th)?\b(?:,?\s*(?P<my>20\d\d)\b)?)
      | (?:(?P<owd>{_WEEKDAY_RE}),?\s+)?the\s+(?P<dom>{_DAY})(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?(?:{_MONTH_RE}))
      | (?P<wd>{_WEEKDAY_RE})\b
      | (?P<rel>{_alt(RELATIVE)})\b
    )
    """
)

# Cues. RETURN_BEFORE / UNTIL_BEFORE must end right before the date, allowing up to three / two filler words
# ("back on", "back in the office on", "bis einschließlich", "tot en met vrijdag" - the weekday is part
# of the phrase). RETURN_AFTER follows the date (German/Dutch word order: "am Montag wieder im Büro",
# "maandag weer terug").
_FILL = r"(?:[\s,:]+(?:[\w'’-]+[\s,:]+){0,2}?|[\s,:]*)"
_FILL3 = r"(?:[\s,:]+(?:[\w'’-]+[\s,:]+){0,3}?|[\s,:]*)"  # "back to work on Monday"
RETURN_BEFORE = re.compile(
    rf"""(?ix)
    (?:
        \bback(?!\s+to\s+you)(?:\s+in\s+(?:the\s+)?office)? | \bin\s+the\s+office\s+again | \breturn(?:ing|s)?\b(?!\s+(?:of|to)\b)
      | \bzurück | \bwieder\s+(?:im\s+büro|erreichbar|da|im\s+haus|zurück)?\s*(?:am|ab)
      | \bde\s+retour | \bretour\s+(?:prévu|le) | \brevien(?:s|drai) | \brentre(?:rai)?
      | \bvuelvo | \bvolveré | \bregres(?:o|aré) | \bde\s+(?:vuelta|regreso) | \bme\s+reincorpor(?:o|aré)
      | \bterug | \bweer\s+(?:aanwezig|op\s+kantoor|bereikbaar)
      | \brientr(?:o|erò|ando) | \b(?:di\s+)?ritorno | \btorn(?:o|erò) | \bdi\s+nuovo\s+in\s+ufficio
      | \bde\s+volta | \bretorn(?:o|arei) | \bvolt(?:o|arei) | \bregress(?:o|arei)
    ){_FILL3}$
    """
)
RETURN_AFTER = re.compile(
    r"""(?ix)^[\s,]*(?:[\w'’-]+\s+){0,3}?
    (?:wieder\b|zurück\b|weer\b|terug\b)
    """
)
UNTIL_BEFORE = re.compile(
    rf"""(?ix)
    (?:
        (?:\buntil|\btill|\btil|\bthrough|\bthru|\bup\s+to\s+and\s+including|\binclusive\s+of) {_FILL}
      | \b(?:out\s+of\s+(?:the\s+)?office|away|off|absent|on\s+leave)\s+on\s+
      | \bto\s+
      | \bbis(?:\s+(?:zum|zur|einschließlich|einschl\.|inklusive|inkl\.|und\s+mit))? {_FILL}
      | \bjusqu['’\s]?(?:au|à|a)\b {_FILL} | \bau\s+
      | \bhasta {_FILL} | \bal\s+
      | \btot(?:\s+en\s+met)? {_FILL} | \bt/m\s+
      | \bfino\s+(?:al(?:l['’])?|a|ad)\b {_FILL}
      | \baté {_FILL} | \bao\s+ | \ba\s+
      | \d{{1,2}}\.?\s*[-–]\s*
    )$
    """
)
_WINDOW = 48


def sent_date(msg: InboundMessage) -> date | None:
    """The day the message was written, in the sender's time zone (parse.py keeps the Date in UTC)."""
    raw = None
    try:
        if msg.mime is not None:
            raw = msg.mime.get("Date")
        if raw:
            parsed = parsedate_to_datetime(str(raw))
            if parsed is not None:
                return parsed.date()
    except Exception:  # noqa: BLE001 - a broken Date header: fall back to the parsed one
        pass
    return msg.date.date() if msg.date else None


def extract_return_date(text: str, sent: date | None, languages: tuple[str, ...] = ()) -> date | None:
    """The return date stated in ``text`` (an auto-reply's new text), or None. Never raises."""
    try:
        return _extract(text, sent or date.today(), languages)
    except Exception:  # noqa: BLE001 - a date we cannot read is no date
        log.debug("return date extraction failed", exc_info=True)
        return None


def _extract(text: str, sent: date, languages: tuple[str, ...]) -> date | None:
    text = text.replace("’", "'").replace("\u00a0", " ")
    returns: list[date] = []
    untils: list[date] = []
    resolved = 0
    for m in MENTION.finditer(text):
        before = text[max(0, m.start() - _WINDOW):m.start()]
        after = text[m.end():m.end() + _WINDOW]
        if RETURN_BEFORE.search(before) or RETURN_AFTER.match(after):
            bucket = returns
        elif UNTIL_BEFORE.search(before):
            bucket = untils
        else:
            continue
        resolved += 1
        if resolved > MAX_PHRASES:
            break  # dateparser is slow: a notice states its dates early
        day = _resolve(m, sent, languages)
        if day is None or not sent <= day <= sent + timedelta(days=MAX_AHEAD_DAYS):
            continue
        if day > sent + timedelta(days=STALE_AFTER_DAYS) and not (m["iy"] or m["ny"] or m["dy"] or m["my"]):
            continue  # "until 3 March" sent on 12 March: a stale notice, not next year's March
        bucket.append(day)
    if returns:
        return max(returns)
    if untils:
        return max(untils)
    return None


# --- resolving one phrase ------------------------------------------------------------------------------


def _resolve(m: re.Match[str], sent: date, languages: tuple[str, ...]) -> date | None:
    g = m.groupdict()
    if g["iso"]:
        return _make(int(g["iy"]), int(g["im"]), int(g["id"]))
    if g["num"]:
        return _numeric(g, sent, languages)
    if g["dm"] or g["md"]:
        return _named(m, g, sent, languages)
    if g["dom"]:  # "back on the 17th": this month, or next month once that day has passed
        d = int(g["dom"])
        day = _make(sent.year, sent.month, d)
        if day is None or day < sent:
            nxt = date(sent.year + (sent.month == 12), sent.month % 12 + 1, 1)
            day = _make(nxt.year, nxt.month, d)
        return day
    if g["wd"]:
        return _weekday(g["wd"], sent, languages)
    if g["rel"]:
        word = _norm(g["rel"])
        days, langs = RELATIVE[word]
        expect = sent + timedelta(days=days)
        return _agree(_dateparser(word, langs, languages, sent, relative=True), expect, word)
    return None


def _norm(word: str) -> str:
    return " ".join(word.lower().rstrip(".").split())


def _lookup(table: dict[str, tuple[int, tuple[str, ...]]], word: str) -> tuple[int, tuple[str, ...]] | None:
    w = _norm(word)
    return table.get(w) or table.get(w.replace(" ", "-")) or table.get(w.replace("-", " "))


def _make(y: int, mo: int, d: int) -> date | None:
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _roll(mo: int, d: int, sent: date) -> date | None:
    """A day and month without a year: this year, or next year once that day has passed."""
    day = _make(sent.year, mo, d)
    if day is not None and day < sent:
        day = _make(sent.year + 1, mo, d)
    return day


def _numeric(g: dict[str, Any], sent: date, languages: tuple[str, ...]) -> date | None:
    a, b = int(g["n1"]), int(g["n2"])
    year = g["ny"]
    weekday = _lookup(WEEKDAYS, g["nwd"]) if g["nwd"] else None
    english = "en" in (weekday[1] if weekday else ()) or (languages[:1] == ("en",))
    if g["sep"] == "/":  # (month, day): US m/d first in English, d/m first elsewhere; the other if invalid
        orders = [(a, b), (b, a)] if english else [(b, a), (a, b)]
    else:
        orders = [(b, a)]  # d.m. is always day first ("12.05.2025" in English text too)
    candidates = []
    for mo, d in orders:
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            continue
        if year:
            y = int(year)
            day = _make(y + 2000 if y < 100 else y, mo, d)
        else:
            day = _roll(mo, d, sent)
        if day is not None:
            candidates.append(day)
    if weekday is not None:  # "Mon 4/7": the weekday settles the order
        for day in candidates:
            if day.weekday() == weekday[0]:
                return day
    return candidates[0] if candidates else None


def _named(m: re.Match[str], g: dict[str, Any], sent: date, languages: tuple[str, ...]) -> date | None:
    if g["dm"]:
        month_word, d, year = g["dmon"], int(g["dd"]), g["dy"]
    else:
        month_word, d, year = g["mmon"], int(g["md_d"]), g["my"]
    month = _lookup(MONTHS, month_word)
    if month is None:
        return None
    mo, langs = month
    expect = _make(int(year), mo, d) if year else _roll(mo, d, sent)
    if expect is None:
        return None
    lang = _pick(langs, languages)
    phrase = f"{d} {_CANON_MONTH.get((lang, mo), month_word)}" + (f" {year}" if year else "")
    return _agree(_dateparser(phrase, langs, languages, sent, relative=False), expect, phrase)


def _weekday(word: str, sent: date, languages: tuple[str, ...]) -> date | None:
    found = _lookup(WEEKDAYS, word)
    if found is None:
        return None
    number, langs = found
    expect = sent + timedelta(days=(number - sent.weekday() - 1) % 7 + 1)  # the next such day AFTER the date
    lang = _pick(langs, languages)
    return _agree(_dateparser(_CANON_WEEKDAY.get((lang, number), word), langs, languages, sent, relative=True),
                  expect, word)


def _agree(got: date | None, expect: date, phrase: str) -> date:
    """dateparser's reading, checked against the tables: the phrase's own month/day (or weekday) must match.

    The only freedom left is the year, which both take from the message date (PREFER_DATES_FROM=future).
    When dateparser is missing, fails or disagrees, the table reading is used.
    """
    if got is not None and got == expect:
        return got
    if got is not None:
        log.debug("dateparser read %r as %s, the tables as %s: using the tables", phrase, got, expect)
    return expect


def _pick(langs: tuple[str, ...], preferred: tuple[str, ...]) -> str:
    for lang in preferred:
        if lang in langs:
            return lang
    return langs[0]


# --- dateparser, lazily --------------------------------------------------------------------------------

_DATEPARSER: Any = None
_DATEPARSER_FAILED = False


def _load() -> Any:
    global _DATEPARSER, _DATEPARSER_FAILED
    if _DATEPARSER is None and not _DATEPARSER_FAILED:
        try:
            import dateparser  # slow import: only when a date phrase was found

            _DATEPARSER = dateparser
        except Exception:  # noqa: BLE001 - the table values are used instead
            _DATEPARSER_FAILED = True
            log.warning("dateparser is not available; return dates are read from the built-in tables")
    return _DATEPARSER


def _dateparser(phrase: str, langs: tuple[str, ...], preferred: tuple[str, ...], sent: date, *, relative: bool) -> date | None:
    """dateparser on one short phrase, in the phrase's language(s), relative to the message date.

    Weekdays and "tomorrow" are relative to the message date itself (dateparser gives the next such day
    after it). For a day and month the base is the day before, so a date equal to the message date stays
    in this year under PREFER_DATES_FROM=future.
    """
    dp = _load()
    if dp is None:
        return None
    base = sent if relative else sent - timedelta(days=1)
    order = tuple(dict.fromkeys([lang for lang in preferred if lang in langs] + list(langs)))
    try:
        parsed = dp.parse(phrase, languages=list(order), settings={
            "RELATIVE_BASE": datetime(base.year, base.month, base.day),
            "PREFER_DATES_FROM": "future",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PARSERS": ["relative-time", "absolute-time"],
        })
    except Exception:  # noqa: BLE001
        return None
    return parsed.date() if parsed is not None else None
