"""Folding and pattern machinery for the opt-out reading (``unsubscribe``).

``fold`` makes a text comparable (lower case, no accents, plain punctuation, U+FFFD runs as one
wildcard, misspellings of "unsubscribe" respelled); ``PatternSet`` files patterns by the 3 letters
they start with and ``scan`` reads every set in one pass over the words (see ``unsubscribe``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parser  # type: ignore[attr-defined]

MAX_MATCHES = 100  # per pattern set and message: bounds the work on adversarial text

# -- folding -----------------------------------------------------------------------

_PLAIN = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2011": "-", "\u2212": "-", "\u2010": "-",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ",
    "\u00df": "ss", "\u0153": "oe", "\u00e6": "ae", "\u00f8": "o", "\u0142": "l",
})
_COMBINING = re.compile(r"[\u0300-\u036f]+")
_BAD_BYTES = re.compile(r"\ufffd+")
_WILD = "\ufffd"  # one undecodable character (or a run of them)
_MOJIBAKE = re.compile(r"[\u00c2\u00c3][\u0080-\u00bf]")  # UTF-8 read as Latin-1: "dÃ©sabonner"
_UNSUB_LIKE = re.compile(r"\b(?:un|de)-?[a-z]{0,2}s[a-z]{4,11}\b")  # candidates for a misspelt "unsubscribe"
_UNSUB_WORDS = ("unsubscribe", "unsubscribed")
_UNSUB_KNOWN = frozenset({"unsubscribe", "unsubscribed", "unsubscribes", "unsubscribing", "unsubscriber",
                          "unsubscribers", "unsubscription"})


def _edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Levenshtein distance, giving up (limit + 1) once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _respell(match: re.Match[str]) -> str:
    word = match.group(0)
    if word in _UNSUB_KNOWN or not 8 <= len(word) <= 14:
        return word
    for good in _UNSUB_WORDS:
        if _edit_distance(word.replace("-", ""), good) <= 2:
            return good
    return word


def fold(text: str) -> str:
    """Lower case, no accents, plain punctuation, U+FFFD runs as one wildcard, 'unsubscibe' respelled."""
    if not text.isascii():
        if _MOJIBAKE.search(text):
            for codec in ("cp1252", "latin-1"):
                try:
                    text = text.encode(codec).decode("utf-8")
                    break
                except (UnicodeError, ValueError):
                    continue
        text = text.translate(_PLAIN)
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
        text = _BAD_BYTES.sub(_WILD, text)
    text = text.lower()
    if "un" in text or "de" in text:
        text = _UNSUB_LIKE.sub(_respell, text)
    return text


def _fold_pattern(src: str) -> str:
    """Write patterns with accents; each accented letter also accepts the U+FFFD wildcard."""
    out: list[str] = []
    in_class = escaped = False
    for ch in src:
        if escaped:
            out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
            out.append(ch)
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        if ord(ch) > 127 and ch.isalpha():
            base = _COMBINING.sub("", unicodedata.normalize("NFKD", ch.lower())).translate(_PLAIN) or ch
            out.append(f"{base}{_WILD}" if in_class else f"(?:{base}|{_WILD})")
        else:
            out.append(ch)
    return "".join(out)


# Pieces the patterns share (upper-case names, expanded before compiling).
_MACROS = {
    "MAILN": r"(?:e-?mails?|mails?|messages?|newsletters?|e-?mailing|mailings?|communications?|correspondence"
             r"|marketing|outreach|follow[- ]?ups?|sequences?|cadences?|campaigns?|spam|stuff|pitch(?:es)?"
             r"|offers?|promotions?|solicitations?|updates|nonsense|harassment|contact|cold (?:e-?mails?|calls)"
             r"|sales (?:e-?mails?|pitches|calls)|notes|reminders)",
    "MAILV": r"(?:sending|e-?mailing|mailing|contacting|writing|messaging|spamming|bothering|pestering|harassing"
             r"|calling|texting|reaching out|following up|pinging|chasing|soliciting|targeting|receiving|bugging|annoying"
             r"|hassling|hounding|nagging|stalking)",
    "OBJME": r"(?:me|us|myself|ourselves|my (?:e-?mail(?: address)?|address|name|details|data|contact(?: details"
             r"| info(?:rmation)?)?|info(?:rmation)?|personal data)|this (?:e-?mail |mail )?(?:address|account"
             r"|mailbox|contact)|[\w.+-]+@[\w.-]+)",
    "LISTN": r"(?:list|lists|mailing list|mailing|mailings|distribution(?: list)?|database|db|system|crm|contacts?"
             r"|records|files|sequence|cadence|campaign|newsletter|e-?mails?|marketing|outreach|mailer|roster)",
    "NEGEN": r"(?:do not|don't|dont|does not|doesn't|did not|didn't|no longer|not|never)",
    "END": r"(?= *(?:$|[.!,;:)?\"]|-\s|please|pls|plz|now|asap|immediately|thanks|thank you|thx|too|as well"
           r"|already|right away|for good|permanently))",
}


class PatternSet:
    """Patterns tried only where they can start: at a word whose first letters begin one of them.

    Python's ``re`` tries every branch of an alternation at every position, so one big
    alternation of ~150 patterns costs ~200 us on a short reply. Here each pattern that starts
    with ``\\b`` is filed under the 3-character strings a match can begin with (read from the
    parsed pattern); ``finditer`` looks up the first 3 characters at each word start and runs only
    the patterns filed there, anchored at that word (``re.match``). Patterns whose start cannot be
    read are scanned as usual.
    """

    __slots__ = ("by_start", "scanned")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.by_start: dict[str, list[re.Pattern[str]]] = {}
        self.scanned: list[re.Pattern[str]] = []
        for src in patterns:
            for name, value in _MACROS.items():
                src = src.replace(name, value)
            src = _fold_pattern(src)
            starts = _starts_of(src[2:]) if src.startswith("\\b") else None
            if starts is None:
                self.scanned.append(re.compile(src, re.MULTILINE))
                continue
            rx = re.compile(src, re.MULTILINE)
            for key in starts:
                self.by_start.setdefault(key, []).append(rx)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Every match of every pattern (for one set; ``scan`` reads all sets in one pass)."""
        yield from scan(text, (self,))[0]


def scan(text: str, sets: tuple[PatternSet, ...]) -> list[list[re.Match[str]]]:
    """The matches of each pattern set in ``text``, one pass over its words for all sets."""
    found: list[list[re.Match[str]]] = [[] for _ in sets]
    index = _index(sets)
    for word in _WORDS.finditer(text):
        at = word.start()
        for i, rx in index.get(text[at:at + _KEY], ()):
            m = rx.match(text, at)
            if m is not None and len(found[i]) < MAX_MATCHES:
                found[i].append(m)
    for i, ps in enumerate(sets):
        for rx in ps.scanned:
            for m in rx.finditer(text):
                if len(found[i]) >= MAX_MATCHES:
                    break
                found[i].append(m)
    return found


_INDEXES: dict[tuple[int, ...], dict[str, list[tuple[int, re.Pattern[str]]]]] = {}


def _index(sets: tuple[PatternSet, ...]) -> dict[str, list[tuple[int, re.Pattern[str]]]]:
    """The sets' patterns filed by start, each with the position of its set (built once per tuple)."""
    key = tuple(id(ps) for ps in sets)
    index = _INDEXES.get(key)
    if index is None:
        index = {}
        for i, ps in enumerate(sets):
            for start, rxs in ps.by_start.items():
                index.setdefault(start, []).extend((i, rx) for rx in rxs)
        _INDEXES[key] = index
    return index


_KEY = 3
_WORDS = re.compile(r"\w+")


def _starts_of(src: str) -> frozenset[str] | None:
    """The 3-character strings every match of ``src`` begins with (None when they cannot be read)."""
    try:
        found = _seq(list(_sre_parser.parse(src)))
    except Exception:  # noqa: BLE001 - a private parser API may change: then the pattern is scanned
        return None
    if found is None or any(len(f) < _KEY for f in found):
        return None
    return frozenset(found)


def _seq(items: list) -> set[str] | None:
    """Prefixes (cut to _KEY characters) of what a sequence of parsed items can match."""
    cur = {""}
    for item in items:
        pending = {c for c in cur if len(c) < _KEY}
        if not pending:
            break
        options = _item(item)
        if options is None:
            return None
        cur = (cur - pending) | {(c + o)[:_KEY] for c in pending for o in options}
        if len(cur) > 256:
            return None
    return cur


def _item(item: tuple) -> set[str] | None:  # noqa: PLR0911 - one case per node type
    op, av = item
    if op is _sre.LITERAL:
        return {chr(av)}
    if op is _sre.IN:
        if all(o is _sre.LITERAL for o, _ in av) and len(av) <= 8:
            return {chr(c) for _, c in av}
        return None
    if op is _sre.SUBPATTERN:
        return _seq(list(av[-1]))
    if op is _sre.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            sub = _seq(list(branch))
            if sub is None:
                return None
            out |= sub
        return out
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
        lo, hi, sub_items = av
        sub = _seq(list(sub_items))
        if sub is None:
            return None
        if lo == 0 and hi == 1:
            return sub | {""}
        if all(len(s) >= _KEY for s in sub):
            return sub | {""} if lo == 0 else sub
        return None
    if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        return {""}  # zero width
    return None
