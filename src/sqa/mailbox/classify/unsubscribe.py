"""Opt-outs: mail to our unsubscribe address, and a person asking us to stop (seven languages).

Two rules, two places in the chain:

* ``UnsubscribeAddress`` (after self and bounce, before every other rule): mail addressed to
  one of ``ctx.unsubscribe_addresses`` (our List-Unsubscribe mailto) is an opt-out whatever its
  text (STANDARDS.md "One-click unsubscribe"), ``Flag.VIA_ADDRESS``.
* ``UnsubscribeWords`` (after the machine rules, before ``human``): a person asking to stop,
  be removed or opt out, in the NEW text only, in en, de, fr, es, nl, it and pt. Deterministic:
  regular expressions, no model.

How the words rule reads a message:

1. The text is the new text (``facts.reply_text``) and, when the Subject is the sender's own
   (not "Re: <our subject>"), the Subject; for reply subjects only a segment the sender added
   ("Re: Forecasting at X - remove me", "UNSUBSCRIBE") counts. Stop-gaps while
   ``replytext.extract_reply`` is minimal (it only cuts at the first ``>`` line): the text is
   cut again at an attribution line ("On ... wrote:", "Am ... schrieb", ...), an Outlook
   header block ("From:/Sent:", "Von:/Gesendet:", ...), "-----Original Message-----" and
   Outlook's ``____`` rule; the unquoted lines below ``>`` quotes (bottom-posting, inline
   answers) are read too; our own footer ("To stop receiving these emails, unsubscribe: URL")
   is removed wherever it appears, quoted or pasted.
2. The text is folded: lower case, accents removed, typographic quotes and dashes made plain,
   runs of U+FFFD (undecodable bytes) kept as one wildcard that the patterns accept in place of
   an accented letter ("d\\ufffdsabonner"), and misspellings of "unsubscribe" ("unsubscibe")
   corrected.
3. Pattern sets run over it: STRONG requests ("please remove me from your list", "abmelden",
   "ne plus recevoir", "no me envíen más", ...; STRONG_PLAIN holds those whose words carry
   their own negation, "don't email me again"), SAFE uses of the same words that are other
   topics ("stop by our booth", "stop using spreadsheets", "I unsubscribed from X's
   newsletter", "unsubscribe the details", "opt-out tracking", other senders' footers), and
   TRIGGER words (any opt-out vocabulary). SAFE wins over what it overlaps, except
   STRONG_PRIORITY ("the unsubscribe link is broken").
4. A STRONG request is checked for a negation just before it ("don't remove me", "nicht
   abmelden", "ne me retirez pas", "non cancellatemi", "não me remova"): close by (3 words),
   it is resolved (no opt-out); further back in the same clause, it is not resolved: honored
   and flagged. "No thanks remove me", "if you don't remove me" are not negations.
5. Verdict: a clear request -> unsubscribe. Otherwise any trigger word that no STRONG or SAFE
   pattern explains, "stop" alone in a long message, a first-person question ("can I
   unsubscribe later?"), "I never signed up for this", a bare "not interested", or a negation
   that cannot be resolved -> unsubscribe with ``Flag.UNSURE`` (honor the opt-out, a human
   looks). Nothing -> no hit.

Cost: the patterns are filed by the 3 letters they start with and tried only at words that
start that way (``PatternSet``), so a typical reply costs ~50-100 us, growing with its length;
at most ``MAX_CHARS`` characters and ``MAX_MATCHES`` matches per set are read.
"""

from __future__ import annotations

import re

from sqa.mailbox.classify.base import Facts, Flag, Hit, Kind
from sqa.mailbox.classify.optout_match import MAX_MATCHES, PatternSet, fold, scan
from sqa.mailbox.classify.optout_phrases import (
    _ALL_SETS,
    _CLAUSE_END,
    _CLAUSES,
    _CONDITIONAL_BEFORE,
    _DEFER,
    _HISTORY,
    _NEGATORS,
    _NOT_NEGATING_NEXT,
    _REPLY_PREFIX,
    NOT_INTERESTED,
    SAFE,
    STANDALONE,
    STRONG_CHECKED,
    STRONG_PLAIN,
    STRONG_PRIORITY,
    TRIGGERS,
)

# The phrase tables and the pattern machinery live in optout_phrases and optout_match; their
# public names are re-exported here.
__all__ = [
    "LONG_WORDS", "MAX_CHARS", "MAX_MATCHES", "NOT_INTERESTED", "OUR_FOOTERS", "SAFE", "STANDALONE",
    "STRONG_CHECKED", "STRONG_PLAIN", "STRONG_PRIORITY", "TRIGGERS", "PatternSet", "Reading",
    "UnsubscribeAddress", "UnsubscribeWords", "fold", "new_text", "read", "scan", "subject_request",
]

MAX_CHARS = 20_000  # of new text read; an opt-out is at the top of a reply, not after 20 kB
LONG_WORDS = 40  # a bare "stop" in a text longer than this may mean something else: honored, flagged

# Our own footer, as compose writes it (and as it comes back, quoted or pasted). Matched on
# the folded text, wherever it appears, and removed before anything else is read.
OUR_FOOTERS = (
    r"to stop receiving these e-?mails,?\s+unsubscribe\s*:?\s*(?:<?https?://\S+>?)?",
)

# -- text ---------------------------------------------------------------------------

_FOOTERS = re.compile("|".join(OUR_FOOTERS))
_SUBJECT_SPLIT = re.compile(r"\s[-|]\s|[:()\[\]|]")
_TOKENS = re.compile(r"[\w'\ufffd]+")


def _cut_history(text: str) -> str:
    m = _HISTORY.search(text)
    return text[: m.start()] if m else text


def _below_quotes(raw: str) -> str:
    """Unquoted lines after the first '>' line: bottom-posted and inline answers (stop-gap)."""
    if not raw.startswith(">"):
        at = raw.find("\n>")
        if at < 0:
            return ""
        raw = raw[at + 1:]
    rest = [ln for ln in raw.splitlines() if not ln.lstrip().startswith(">")]
    return "\n".join(rest).strip()


def _negation(text: str, start: int, end: int) -> str | None:
    """'resolved' for a negator close before (or inside) the match, 'unsure' further back in the clause."""
    inside = _TOKENS.findall(text[start:end])
    if len(inside) <= 6:  # separable verbs and clitics: "melden Sie mich nicht ab"
        for i, tok in enumerate(inside[1:], 1):
            if tok in _NEGATORS and (i + 1 >= len(inside) or inside[i + 1] not in _NOT_NEGATING_NEXT):
                return "resolved"
    lo = max(0, start - 80)
    before = text[lo:start]
    last = None
    for last in _CLAUSE_END.finditer(before):
        pass
    if last is not None:
        before = before[last.end():]
    elif lo > 0:
        before = before.split(" ", 1)[-1]  # the first word may be cut in half
    tokens = _TOKENS.findall(before)
    n = len(tokens)
    for i in range(n - 1, max(-1, n - 9), -1):
        tok = tokens[i]
        if tok.startswith("n'") and len(tok) > 2:  # French "n'ai", "n'est"
            tok = "n'"
        if tok not in _NEGATORS:
            continue
        if i + 1 < n and tokens[i + 1] in _NOT_NEGATING_NEXT:
            continue
        if any(t in _CONDITIONAL_BEFORE for t in tokens[max(0, i - 2): i]):
            continue
        return "resolved" if n - i <= 3 else "unsure"
    return None


_STOP_ONLY = re.compile(r"(?:(?:please|pls|plz|kindly|just|ok|okay|so) )?stopp?(?: (?:it|this|that))?")
_FIRST_PERSON_QUESTION = re.compile(r"\b(?:can|could|should|may|will|would) (?:i|we)\b(?: \S+){0,3} *$"
                                    r"|\b(?:is it possible|will i be able|would i be able|am i able|are we able) to *$")


def _asks_whether(text: str, start: int, end: int) -> bool:
    """'Can I unsubscribe later?': a question about opting out, not (clearly) a request. 'How ...?' is a request."""
    line_start = max(text.rfind(c, 0, start) for c in ".!?\n") + 1
    stop = [i for i in (text.find(c, end) for c in ".!?\n") if i >= 0]
    if not stop or text[min(stop)] != "?":
        return False
    before = text[line_start:start]
    if re.search(r"\bhow\b|\bwhere\b", before) or re.match(r" *(?:me|us)\b", text[end:]):
        return False
    return _FIRST_PERSON_QUESTION.search(before) is not None


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in spans)


def _snippet(text: str, start: int, end: int) -> str:
    """The match with up to four words either side, within its line."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi < 0 else hi
    head = [m.start() for m in re.finditer(r"\S+", text[lo:start])]
    tail = [m.end() for m in re.finditer(r"\S+", text[end:hi])]
    a = lo + head[-4] if len(head) >= 4 else lo
    b = end + tail[3] if len(tail) >= 4 else hi
    return " ".join(text[a:b].split())


class Reading:
    """What the words rule found in one text: clear requests, unclear ones, resolved negations."""

    __slots__ = ("sure", "unsure", "negated")

    def __init__(self) -> None:
        self.sure: list[str] = []
        self.unsure: list[str] = []
        self.negated: list[str] = []


def read(text: str) -> Reading:
    """Read a folded text for opt-out requests (see the module docstring)."""
    found = Reading()
    if not text.strip():
        return found
    priority, safe_m, plain, checked, triggers = scan(text, _ALL_SETS)
    for m in priority:
        found.sure.append(_snippet(text, *m.span()))
        return found
    safe = [m.span() for m in safe_m]
    strong: list[tuple[int, int]] = []
    for m in plain:
        if not _overlaps(m.span(), safe):
            found.sure.append(_snippet(text, *m.span()))
            return found
    for m in checked:
        if _overlaps(m.span(), safe):
            continue
        strong.append(m.span())
        neg = _negation(text, *m.span())
        if neg == "resolved":
            found.negated.append(_snippet(text, *m.span()))
        elif neg == "unsure":
            found.unsure.append("negation unclear: " + _snippet(text, *m.span()))
        elif _STOP_ONLY.fullmatch(m.group()) and len(text.split()) > LONG_WORDS:
            found.unsure.append("'stop' alone in a long message: " + _snippet(text, *m.span()))
        elif _asks_whether(text, *m.span()):
            found.unsure.append("a question about opting out: " + _snippet(text, *m.span()))
        else:
            found.sure.append(_snippet(text, *m.span()))
            return found
    words = len(text.split())
    pos = 0
    for sep in [*_CLAUSES.finditer(text), None]:
        end = sep.start() if sep else len(text)
        clause = text[pos:end]
        pos = sep.end() if sep else len(text)
        if not clause.strip():
            continue
        m = STANDALONE.fullmatch(clause)
        if m:
            span = (end - len(clause) + m.start("word"), end - len(clause) + m.end("word"))
            strong.append(span)
            if _negation(text, *span) == "resolved":
                found.negated.append(clause.strip())
            elif m.group("word").startswith("stop") and words > LONG_WORDS:
                found.unsure.append("'stop' alone in a long message: " + clause.strip())
            else:
                found.sure.append(clause.strip())
        elif NOT_INTERESTED.fullmatch(clause) and not _DEFER.search(text) and words <= 60:
            found.unsure.append("'not interested' alone: " + clause.strip())
    for m in triggers:
        if _overlaps(m.span(), safe) or _overlaps(m.span(), strong):
            continue
        found.unsure.append("opt-out words without a clear request: " + _snippet(text, *m.span()))
    return found


def subject_request(subject: str) -> tuple[bool, str]:
    """(is a reply subject, the segment that is an opt-out or "")."""
    folded = fold(subject)
    prefix = _REPLY_PREFIX.match(folded)
    rest = folded[prefix.end():] if prefix else folded
    for segment in _SUBJECT_SPLIT.split(rest):
        if segment.strip() and (STANDALONE.fullmatch(segment) or _subject_phrase(segment)):
            return prefix is not None, segment.strip()
    return prefix is not None, ""


def _subject_phrase(segment: str) -> bool:
    """A short subject segment that is a clear request on its own ("please remove me from your list")."""
    seg = segment.strip(" .!")
    if len(seg.split()) > 8:
        return False
    found = read(seg)
    return bool(found.sure) and not found.negated


def new_text(facts: Facts) -> str:
    """The folded text the words rule reads: reply text (re-cut), text below quotes, our footer removed."""
    reply = _cut_history(fold((facts.reply_text or "")[:MAX_CHARS]))
    below = _below_quotes((facts.msg.text or "")[:MAX_CHARS])
    if below:
        below = _cut_history(fold(below))
        if below and below not in reply:
            reply = reply + "\n" + below
    return _FOOTERS.sub(" ", reply)


# -- rules ----------------------------------------------------------------------------


class UnsubscribeAddress:
    name = "unsubscribe_address"
    description = "sent to our unsubscribe address (List-Unsubscribe mailto): an opt-out whatever its text"

    def check(self, facts: Facts) -> Hit | None:
        ours = facts.ctx.unsubscribe_addresses
        if not ours:
            return None
        for addr in facts.msg.to_addrs:
            if _is_unsubscribe_address(addr.lower(), ours):
                return Hit(Kind.UNSUBSCRIBE, f"sent to our unsubscribe address {addr}",
                           frozenset({Flag.VIA_ADDRESS}))
        return None


def _is_unsubscribe_address(addr: str, ours: frozenset[str]) -> bool:
    """agent+unsubscribe@domain, or agent+unsubscribe-TOKEN@domain (the List-Unsubscribe mailto)."""
    if addr in ours:
        return True
    local, _, domain = addr.rpartition("@")
    for own in ours:
        own_local, _, own_domain = own.lower().rpartition("@")
        if domain == own_domain and local.startswith(own_local + "-") and len(local) > len(own_local) + 1:
            return True
    return False


class UnsubscribeWords:
    name = "unsubscribe_words"
    description = "a person asks to stop, be removed or opt out (new text and own subject; en de fr es nl it pt)"

    def check(self, facts: Facts) -> Hit | None:
        try:
            return self._check(facts)
        except Exception:  # noqa: BLE001 - a rule never raises; the human rule and a person take over
            return None

    def _check(self, facts: Facts) -> Hit | None:
        is_reply, segment = subject_request(facts.msg.subject or "")
        text = new_text(facts)
        if not is_reply and facts.msg.subject:
            text = fold(facts.msg.subject) + "\n" + text
        found = read(text)
        if segment:
            return Hit(Kind.UNSUBSCRIBE, f'opt-out in the Subject: "{segment}"')
        if found.sure:
            return Hit(Kind.UNSUBSCRIBE, f'asks to opt out: "{found.sure[0]}"')
        if found.unsure:
            return Hit(Kind.UNSUBSCRIBE, f"{found.unsure[0]} (honored; a human should check)",
                       frozenset({Flag.UNSURE}))
        return None
