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
import unicodedata
from collections.abc import Iterable, Iterator
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parser  # type: ignore[attr-defined]

from sqa.mailbox.classify.base import Facts, Flag, Hit, Kind

MAX_CHARS = 20_000  # of new text read; an opt-out is at the top of a reply, not after 20 kB
MAX_MATCHES = 100  # per pattern set and message: bounds the work on adversarial text
LONG_WORDS = 40  # a bare "stop" in a text longer than this may mean something else: honored, flagged

# Our own footer, as compose writes it (and as it comes back, quoted or pasted). Matched on
# the folded text, wherever it appears, and removed before anything else is read.
OUR_FOOTERS = (
    r"to stop receiving these e-?mails,?\s+unsubscribe\s*:?\s*(?:<?https?://\S+>?)?",
)

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


# -- patterns ----------------------------------------------------------------------

# Clear requests that a nearby negation would turn around ("don't remove me").
STRONG_CHECKED = PatternSet([
    # en
    r"\bunsubscribe\b", r"\bunsub\b",
    r"\b(?:already|have|i've|we've|previously|twice|again|multiple times|several times)(?: \S+){0,2}? unsubscribed\b",
    r"\bunsubscribed\b(?: \S+){0,6}? (?:already|twice|again|before|still|yet)\b",
    r"\bopt (?:me|us|him|her|them|this address) out\b",
    r"\bopt[- ]?out END", r"\bopt[- ]?out of (?:this|these|your|all|any|future|further|the list|e-?mails|marketing)\b",
    r"\b(?:want|wish|like|need|please|hereby|i|we) (?:to )?opt[- ]?out\b",
    r"\b(?:remove|delete|erase) OBJME\b(?! (?:from|off|out of)\b)",
    r"\b(?:take|cross|strike|scratch|knock) OBJME off\b(?! (?:the|this|that|tomorrow's|today's) (?:\S+ )?(?:invite"
    r"|invitation|meeting|call|calendar|agenda|demo|webinar|session|event)\b)",
    r"\b(?:remove|delete|erase|drop|strike|scratch|cross|take) OBJME (?:from|off|out of)(?: \S+){0,3}? (?:LISTN"
    r"|thread|conversation|chain|loop|cc)\b",
    r"\b(?:remove|delete|erase|drop|strike|scratch|cross|take)(?: \S+){1,5}? (?:from|off|out of) (?:your|ur|all your"
    r"|any of your|all|this|these|the) (?:\S+ ){0,2}?(?:mailing list|distribution list|e-?mail list|list|lists"
    r"|database|crm|records|files|sequence|cadence|campaign|newsletter|mailings?)\b",
    r"\b(?:delete|erase|remove|purge|destroy) (?:all )?(?:of )?(?:my|our) (?:personal )?(?:data|details"
    r"|e-?mail(?: address)?|address|information|info|contact(?: details| information| info)?|records?)\b",
    r"\b(?:want|wish|like|ask|asked|asking|need|request|requested|prefer) (?:you )?(?:to )?be (?:removed"
    r"|unsubscribed|taken off|deleted|erased|opted out)\b",
    r"\bhave (?:me|us|him|her|them) (?:removed|unsubscribed|taken off)\b",
    r"\bstop MAILV\b", r"\bstop (?:the |these |those |your |all |all the |all these |all your |any |such |this |that )?"
    r"(?:\S+ )?MAILN\b",
    r"\bstop (?:it|this|that)END", r"\b(?:please|pls|plz|kindly|just|ok|okay|so) stop\bEND",
    r"\b(?:quit|cease|halt|end|discontinue) (?:all |any )?(?:further |future |of )?(?:MAILN|MAILV|contact"
    r"|communicat\w*|correspondence)\b", r"\bcease and desist\b",
    r"\bleave (?:me|us) alone\b", r"\blose (?:my|our) (?:e-?mail|number|address|details|contact)",
    r"\bobject(?:ing|ion)? to (?:the |any |all )?(?:further )?(?:processing|use|usage)\b",
    r"\b(?:withdraw\w*|revok\w*) (?:my |our |all |any )?consent\b",
    r"\b(?:this|that|it)(?: is|'s| was| looks like)(?: \S+)? spam\b", r"\bspamming\b",
    r"\breport\w* (?:you|this|it|your \S+) (?:as|for|to) spam\b", r"\bmark\w* (?:you |this |it )?as spam\b",
    # de
    r"\babmelden\b", r"\babzumelden\b", r"\bmelden? (?:sie |du |ihr )?(?:mich|uns)(?: \S+){0,3}? ab\b",
    r"\babbestellen\b", r"\baustragen\b", r"\bauszutragen\b", r"\btragen (?:sie |du )?(?:mich|uns)(?: \S+){0,4}? aus\b",
    r"\b(?:streichen|entfernen|nehmen|löschen|loeschen) sie (?:bitte )?(?:mich|uns|meine \S+|meinen \S+)",
    r"\b(?:mich|uns|meine (?:e-?mail-?adresse|adresse|daten|kontaktdaten))(?: \S+){0,3}? (?:aus|von) (?:ihrem|ihrer"
    r"|ihren|dem|der|eurem|eurer|allen|diesem|dieser) (?:\S+ )?(?:verteiler\w*|liste|mailingliste|mailing-liste"
    r"|datenbank|newsletter|kartei|system|adressliste|e-?mail-?liste)",
    r"\bmeine (?:daten|adresse|e-?mail-?adresse|kontaktdaten)(?: \S+){0,3}? (?:löschen|loeschen|entfernen)",
    r"\bwider(?:spreche|sprechen|spruch)\b[^.]{0,150}?(?:werbung|verarbeitung|nutzung|art\.? ?21|artikel 21|dsgvo)",
    r"(?:werbung|verarbeitung|nutzung)[^.]{0,150}?\bwider(?:spreche|sprechen|spruch)\b",
    r"\bhören sie (?:bitte )?(?:damit )?auf\b",
    r"\b(?:bereits|schon|mehrfach|zweimal|längst|laengst)(?: \S+){0,3}? abgemeldet\b",
    # fr
    r"\bdésabonn(?:er|ez|e|ement|ons)\b", r"\bdésinscri(?:re|vez|ption|s)\b",
    r"\b(?:retirez|supprimez|enlevez|rayez|radiez|effacez|ôtez)[- ]moi\b",
    r"\bme (?:retirer|supprimer|enlever|rayer|radier|effacer|retirez|supprimez|enlevez)\b",
    r"\b(?:supprimer|effacer|retirer|supprimez|effacez|retirez) (?:mon adresse|mes (?:données|coordonnées)"
    r"|mon (?:e-?mail|courriel|contact|nom))",
    r"\barrêtez\bEND", r"\barrêtez (?:de (?:m'|me |nous )?(?:envoyer|écrire|contacter|solliciter|relancer|spammer)"
    r"|(?:vos|ces|les|tous ces|toutes ces) (?:e-?mails|mails|messages|courriels|envois|relances|sollicitations))",
    r"\bcessez de\b", r"\bje m'oppose\b[^.]{0,120}?(?:prospection|traitement|marketing|article 21)",
    # es
    r"\b(?:dar(?:me|nos|le|la|se|te)?|den(?:me|nos|le)?|dame|deme|me doy|nos damos)(?: \S+)? de baja\b",
    r"\bsolicito (?:la )?baja\b", r"\bdesuscrib\w*", r"\b(?:anular|cancelar) (?:mi |la )?suscripción\b",
    r"\b(?:bórren|borren|elimínen|eliminen|quíten|quiten|sáquen|saquen|borrad|eliminad|quitad|sacad)(?:me|nos)\b",
    r"\b(?:borrar|eliminar|quitar|sacar|retirar)(?:me|nos) de\b",
    r"\b(?:borren|eliminen|quiten|supriman) (?:mi|mis|nuestros?) (?:datos|correo|email|e-mail|dirección|contacto)",
    r"\bdej(?:en|e|ad|a) de (?:escribir|enviar|mandar|contactar|molestar|llamar)(?:me|nos)?\b",
    r"\bme opongo\b[^.]{0,120}?(?:tratamiento|marketing|publicidad|artículo 21)",
    # nl
    r"\bafmelden\b", r"\baf te melden\b", r"\bmeld (?:mij|me|ons)(?: \S+){0,2}? af\b", r"\buitschrijven\b",
    r"\buit te schrijven\b", r"\bschrijf (?:mij|me|ons)(?: \S+){0,2}? uit\b",
    r"\bhaal (?:mij|me|ons|mijn \S+)(?: \S+){0,3}? (?:van|uit) (?:de|jullie|uw|je|het|deze|alle) (?:\S+ )?"
    r"(?:lijst|mailinglijst|verzendlijst|bestand|database|nieuwsbrief|mailing)",
    r"\bverwijder (?:mij|me|ons|mijn (?:gegevens|adres|e-?mailadres|e-?mail))\b",
    r"\bstop (?:met )?(?:mailen|e-?mailen|sturen|benaderen|bellen)\b",
    # it
    r"\bcancella(?:mi|temi|rmi)\b", r"\bdisiscriv\w*", r"\b(?:rimuov|togli)(?:etemi|ermi|imi)\b",
    r"\bsmettete(?:la)? di (?:scriver|inviar|contattar|mandar|spedir)\w*", r"\bbasta (?:email|e-mail|mail|messaggi)\b",
    r"\bmi oppongo\b[^.]{0,120}?(?:trattamento|marketing|articolo 21)",
    # pt
    r"\bdescadastr\w*", r"\b(?:me|nos) (?:remov(?:a|am|er|e)|retir(?:e|em|ar)|tir(?:e|em)|exclu(?:a|am|ir))\b",
    r"\b(?:remov|retir|tir|exclu)\w*-(?:me|nos)\b",
    r"\b(?:remov|retir|exclu|apag)(?:a|am|e|em) (?:o |os )?(?:meu|meus|nosso|nossos) (?:e-?mail|email|endereço|contato"
    r"|contatos|dados|nome|cadastro)",
    r"\b(?:remover|retirar|excluir|apagar|apaguem|removam|excluam) (?:o |os )?(?:meu|meus) (?:e-?mail|email|endereço"
    r"|contato|contatos|dados|nome|cadastro)",
    r"\bparem de (?:me |nos )?(?:enviar|mandar|escrever|contatar|contactar|ligar)",
    r"\bcancelar (?:a |minha |a minha )?(?:inscrição|assinatura)\b", r"\bsair da (?:sua |vossa )?lista\b",
])

# Clear requests whose words already hold their negation ("don't email me again").
STRONG_PLAIN = PatternSet([
    # en
    r"\b(?:do not|don't|dont|never|please don't|pls don't|please do not)(?: ever)? (?:e-?mail|mail|contact"
    r"|write to|write|message|spam|bother|call|ping|reach out to|approach|pester|follow up with|solicit) (?:me|us"
    r"|this (?:e-?mail |mail )?address|my (?:e-?mail|address|colleague|team))(?: (?:again|anymore|any ?more|ever"
    r"|ever again|further|in (?:the )?future|going forward|please))*(?= *(?:$|[.!,;:)\"]|-\s))",
    r"\b(?:do not|don't|dont|never|please don't|please do not) send (?:me|us) (?:any ?more |more |further |these "
    r"|those |your |any )?(?:\S+ )?MAILN\b",
    r"\b(?:do not|don't|dont|never) (?:e-?mail|contact|write to|message|call) (?:me|us) (?:again|anymore|any ?more"
    r"|ever again|further|in (?:the )?future|going forward)\b",
    r"\bno (?:more|further) MAILN\b",
    r"\b(?:would|i'd|we'd|he'd|she'd|they'd) rather not (?:receive|get|hear|be (?:contacted|e-?mailed|mailed|on))\b",
    r"\bNEGEN (?:wish|want|care|like) (?:to )?(?:receive|get) (?:(?:these|those|this|your|any|any ?more|further|more"
    r"|such|future|the)\b|MAILN)",
    r"\bNEGEN (?:wish|want|care|like) (?:to )?(?:be (?:contacted|e-?mailed|mailed|on (?:your|this|the) \S+)"
    r"|hear (?:from|more from) (?:you|your|acme))",
    # de
    r"\bkeine (?:weiteren|weitere|zukünftigen|neuen) (?:e-?mails?|mails?|nachrichten|werbung|werbe-?e?-?mails?"
    r"|newsletter|zusendungen|kontaktaufnahmen?|anfragen|post|angebote|informationen)",
    r"\bkeine (?:e-?mails?|mails?|nachrichten|werbung|werbe-?e?-?mails?|newsletter|zusendungen|post|anfragen"
    r"|angebote)(?: \S+){0,3}? mehr\b",
    r"\b(?:bitte|möchte|will|wünsche)(?: \S+){0,3}? keine (?:e-?mails?|mails?|nachrichten|werbung|newsletter"
    r"|zusendungen|post|anrufe|kontaktaufnahme)",
    r"\bnicht mehr(?: \S+){0,3}? (?:kontaktier\w*|anschreiben|angeschrieben|anzuschreiben|anrufen|angerufen|schreiben"
    r"|zuschicken|zusenden|zugeschickt|zugesendet|erhalten|bekommen|belästig\w*|zu kontaktieren|mailen|anmailen"
    r"|angemailt|behelligen)\b",
    # fr
    r"\bne (?:\S+ ){0,2}?plus (?:\S+ ){0,2}?(?:recevoir|contacter|écrire|envoyer|solliciter|relancer"
    r"|être (?:contacté|sollicité)\w*)",
    r"\bne (?:souhaite|veux|désire|voudrais|souhaitons|voulons|désirons) plus\b",
    r"\bne (?:m'|me |nous )?(?:envoyez|contactez|écrivez|sollicitez|relancez|appelez|écrivez) plus\b",
    # es
    r"\bno (?:me|nos) (?:envíen|manden|escriban|contacten|llamen|molesten|vuelvan a (?:escribir|contactar|enviar"
    r"|llamar))\b",
    r"\bno (?:quiero|deseo|queremos|deseamos) (?:seguir )?(?:recibir|ser contactad\w*)",
    # nl
    r"\bgeen (?:\S+ )?(?:e-?mails?|mails?|berichten|nieuwsbrieven|mailings?)(?: \S+){0,2}? meer\b",
    r"\bniet meer (?:\S+ ){0,2}?(?:mailen|e-?mailen|benaderen|contacteren|ontvangen|sturen|lastigvallen|bellen"
    r"|gemaild|benaderd|gecontacteerd)\b",
    # it
    r"\bnon (?:voglio|desidero|vorrei|vogliamo|desideriamo) (?:più )?(?:ricevere|essere contattat\w*)",
    r"\bnon (?:mi |ci )?(?:contattate|scrivete|inviate|mandate|contattatemi|scrivetemi|mandatemi|inviatemi)(?:mi)?"
    r" più\b",
    # pt
    r"\bnão (?:quero|desejo|queremos|desejamos) (?:mais )?(?:receber|ser contactad\w*|ser contatad\w*)",
    r"\bnão (?:me|nos) (?:enviem|mandem|contatem|contactem|escrevam|liguem)(?: mais)?\b",
])

# Requests that stand even where a SAFE pattern would explain the words away.
STRONG_PRIORITY = PatternSet([
    r"\b(?:unsubscribe|opt[- ]?out) (?:link|button|page)[^.\n]{0,40}?(?:broken|doesn't work|does not work|not work"
    r"|didn't work|did not work|failed|fails|isn't working|is not working|dead|404|error)",
    r"\b(?:can't|cannot|couldn't|could not) (?:find|locate|see) (?:the |your |an |any )?(?:unsubscribe|opt[- ]?out)",
])

# The same words, used for another topic (checked first; what they overlap is not a request).
SAFE = PatternSet([
    # stop ...
    r"\bstop (?!(?:MAILN|MAILV|me|us|it|this|that|now|please|pls|plz|immediately|already|asap|all|any|the|your"
    r"|these|those|them|him|her|right|completely|entirely|altogether|for|sending|e-?mailing)\b)[a-z]{2,}\b",
    r"\bstop (?:the|a|an|my|our|their|his|her|its|this|that|those|these|all|any|some|your) (?!(?:\S+ )?MAILN\b)"
    r"(?!(?:MAILN|now|please|already|immediately)\b)[a-z]{2,}\b",
    r"\bnon-?stop\b", r"\bstop-?(?:loss|gap|watch|over|words?|lists?|signs?|lights?)\b", r"\bone-stop\b",
    r"\b(?:bus|full|pit|one|truck|next|last|first|final|shuttle|tram|train) stop\b",
    r"\bto stop receiving\b[^.\n]{0,60}?(?:click|visit|unsubscribe|go to|follow|update|manage)",
    r"\bstop met (?!(?:mailen|e-?mailen|sturen|benaderen|bellen|contact)\b)",
    # unsubscribe / opt out: other senders, other objects, product talk, notices
    r"\bunsubscribed from (?!(?:your|ur|this|these|those|you|acme|ava|it|them|all (?:your|of your|these))\b)",
    r"\bunsubscribe from (?!(?:your|ur|this|these|those|you|all|it|them|acme|ava|future|any|further|the (?:\S+ )?"
    r"(?:list|lists|newsletter|mailing|mailings|e-?mails|sequence|campaign|marketing|communications?|messages))\b)",
    r"\bunsubscribe (?:the|these|those|that|all the) (?!(?:\S+ )?(?:e-?mails?|mails?|address|addresses|accounts?"
    r"|mailbox|list|newsletters?|messages?|contacts?|person|people|users?|colleagues?)\b)",
    r"\b(?:unsubscribe|opt[- ]?out) (?:links?|buttons?|pages?|features?|process|options?|headers?|requests?"
    r"|handling|management|rates?|tracking|flow|url|footer|compliance|mechanism|logic|events?|data|workflow"
    r"|functionality|status|flags?|fields?|forms?|preferences?)\b",
    r"\b(?:an|the|our|their|your|its|gdpr-compliant|compliant|proper|automatic|automated|one-click|handle|handles"
    r"|track|tracks|manage|manages|respect|honou?r|easy|global)[- \n]opt[- ]?out\b",
    r"(?:^|[.!?\n] *|, *)to (?:unsubscribe|opt[- ]?out|stop receiving)\b",
    r"\byou (?:can|may|could) (?:always |also |easily |simply )?(?:unsubscribe|opt[- ]?out)\b(?! (?:me|us|him|her"
    r"|my|our|this)\b)",
    r"\bclick (?:here )?to (?:unsubscribe|opt[- ]?out)\b", r"\bunsubscribe (?:here|below|at any time|anytime)\b",
    r"\b(?:unsubscribe|opt[- ]?out)\s*[:(<]?\s*(?:https?://|www\.)",
    r"\b(?:unsubscribe|opt[- ]?out)\s*:\s*(?:reply|click|visit|send|text|go to|write)\b",
    r"\b(?:reply|respond|answer|text|send)(?: with| back)? (?:the word )?\W?(?:stop|remove|unsubscribe|opt[- ]?out"
    r"|abmelden|stopp|désabonner|baja|afmelden|cancella|descadastrar|remover)\b",
    r"\bif you (?:\S+ ){0,3}?(?:wish|want|would like|prefer|like)(?: not)? to (?:\S+ ){0,3}?(?:unsubscribe"
    r"|opt[- ]?out|receive|be removed|stop receiving)",
    # remove ...: logistics, not the list
    r"\bremove (?:me|us) (?:from|off) (?:the |this |that |our |your |tomorrow's |today's |next week's )?(?:\S+ )?"
    r"(?:invite|invitation|meeting|call|calendar|agenda|attendees?|demo|webinar|session|event)\b",
    r"\b(?:remove|delete) my (?:name|logo|quote|comment|details) from (?:the |your |this )?(?:deck|slides?"
    r"|document|doc|case study|website|page|proposal|report|testimonial|presentation)\b",
    r"\b(?:do not|don't|dont) (?:e-?mail|contact|call|write to|message) (?:me|us) (?:until|before|till|til|this week"
    r"|today|tomorrow|for now|for (?:a|the next) \S+|during|while|on (?:mon|tue|wed|thu|fri|sat|sun)\w*)\b",
    # de
    r"\b(?:von|vom) (?!(?:ihnen|ihrem|ihrer|ihren|euch|eurem|eurer|diesem|dieser|diesen|dem verteiler|der liste)\b)"
    r"[^.!?\n]{0,60}?abgemeldet\b",
    r"\babgemeldet (?:von|vom) (?!(?:ihnen|ihrem|ihrer|ihren|euch|eurem|eurer|diesem|dieser|diesen)\b)",
    r"\b(?:newsletter )?(?:abmelden|abbestellen)\s*:?\s*(?:https?://|www\.|hier)", r"\bhier (?:\S+ )?abmelden\b",
    r"\b(?:um sich|sich) (?:\S+ ){0,4}?abzumelden\b",
    r"\b(?:wenn|falls|sofern) sie keine (?:weiteren |weitere )?\S+ (?:mehr )?(?:wünschen|erhalten (?:möchten|wollen)"
    r"|bekommen (?:möchten|wollen))",
    r"\b(?:falls|wenn|sofern) sie (?:sich |diesen newsletter )?(?:\S+ ){0,3}?(?:abmelden|abbestellen)"
    r" (?:möchten|wollen|wünschen)",
    # fr
    r"\b(?:désabonné|désinscrit)\w* (?:de|des|d'|du) (?!(?:votre|vos|cette|ces|la liste|votre liste|acme|vous)\b)",
    r"\b(?:se|vous) (?:désabonner|désinscrire)\s*:?\s*(?:https?://|www\.|ici|cliquez)",
    r"\bpour (?:vous |se )?(?:désabonner|désinscrire|ne plus recevoir)\b",
    r"\bsi vous (?:\S+ ){0,4}?(?:souhaitez|voulez|désirez) (?:\S+ ){0,3}?(?:désabonner|désinscrire|plus recevoir)",
    r"\bvous ne (?:souhaitez|voulez|désirez) plus\b",
    # es
    r"\b(?:puedes|puede|para|si (?:\S+ ){0,3}?(?:desea|deseas|quiere|quieres)) (?:\S+ ){0,3}?(?:darte|darse|dar)"
    r" de baja\b",
    r"\b(?:está|estoy|estará|estaré|estuvo|sigue|sigo|de) de baja\b(?! (?:de|del) (?:la|su|esta|vuestra) lista)",
    r"\bbaja (?:médica|por|laboral|de maternidad|de paternidad)\b",
    # nl
    r"\b(?:afmelden|uitschrijven)\s*:?\s*(?:https?://|www\.|hier)",
    r"\b(?:klik hier om|om je|om u|wil je|wilt u) (?:\S+ ){0,5}?(?:af te melden|afmelden|uit te schrijven"
    r"|uitschrijven)\b",
    r"\bwilt? (?:je|u) (?:\S+ ){0,4}?niet meer (?:\S+ ){0,2}?ontvangen\b",
    r"\bwilt? (?:je|u) (?:\S+ ){0,3}?geen (?:\S+ ){0,2}?meer (?:\S+ )?ontvangen\b",
    r"\b(?:van|voor|bij) (?!(?:jullie|uw|je|deze)\b)[^.!?\n]{0,60}?afgemeld\b",
    r"\bafgemeld (?:voor|van|bij) (?!(?:jullie|uw|je|deze)\b)",
    # it
    r"\b(?:disiscritt|cancellat)\w* (?:da|dalla|dalle|dai|dal|dagli) (?!(?:vostra|vostre|vostri|vostro|questa"
    r"|queste|tua|sua)\b)",
    r"\bper (?:disiscriverti|cancellarti|annullare l'iscrizione|non ricevere)\b",
    r"\bcancella(?:mi|temi) (?:la|il|lo|l'|gli|le|i|un|una|quel\w*|quest\w*) ?(?!(?:lista|mailing|newsletter"
    r"|iscrizione|mio|mia)\b)",
    # pt
    r"\bdescadastr(?:ei|ado|ada|ados|adas)\b(?: \S+){0,2}? (?:de|da|do|dos|das) (?!(?:sua|seu|vossa|vosso|esta"
    r"|este)\b)",
    r"\bpara (?:se )?descadastrar\b", r"\bdescadastre-se\b",
])

# Opt-out vocabulary: any of it left unexplained is honored with Flag.UNSURE.
TRIGGERS = PatternSet([
    r"\bunsubscribe\b", r"\bunsubscribed\b", r"\bunsub\b", r"\bopt[- ]?out\b", r"\bstopp?\b",
    r"\b(?:remove|delete|erase) (?:me|us|myself|my (?:e-?mail|address|details|data|name|contact\S*))\b",
    r"\btake (?:me|us|myself|my (?:e-?mail|address|details|data|name|contact\S*)) (?:off|out)\b",
    r"\b(?:don't|do not|dont|never) (?:e-?mail|contact|write to|message|call) (?:me|us)\b",
    r"\b(?:i|we) (?:never|did not|didn't|have not|haven't) (?:sign(?:ed)? up|subscribe[d]?|opt(?:ed)?[- ]in"
    r"|consent(?:ed)?|agreed|asked for (?:this|these|your|any))",
    r"\bart(?:icle|\.)? ?21\b",
    r"\babmeld\w*", r"\babgemeldet\b", r"\babzumelden\b", r"\babbestell\w*", r"\baustrag\w*", r"\bausgetragen\b",
    r"\bauszutragen\b",
    r"\bdésabonn\w*", r"\bdésinscri\w*",
    r"\bde baja\b", r"\bdesuscri\w*",
    r"\bafmeld\w*", r"\bafgemeld\b", r"\baf te melden\b", r"\buitschrijv\w*", r"\buitgeschreven\b",
    r"\buit te schrijven\b",
    r"\bcancella(?:mi|temi|rmi)\b", r"\bdisiscri\w*",
    r"\bdescadastr\w*",
])

_ALL_SETS = (STRONG_PRIORITY, SAFE, STRONG_PLAIN, STRONG_CHECKED, TRIGGERS)

# A clause that is only the request ("Remove me.", "STOP", "abmelden bitte").
_POLITE = (r"(?:please|pls|plz|kindly|just|bitte|merci de|por favor|graag|per favore|s'il vous plaît|svp|hi|hello"
           r"|ok|okay)")
_THANKS = (r"(?:me|us|now|please|pls|plz|thanks|thank you|thx|ty|bitte|danke|merci|svp|gracias|grazie|obrigad[oa]"
           r"|asap|immediately|already|bedankt|dank je|graag|it|this|lol|!)")
STANDALONE = re.compile(_fold_pattern(
    rf" *(?:{_POLITE}[ ,]+)*(?P<word>stopp?|unsubscribe|unsub|opt[- ]?out|remove|remove me|take me off|abmelden"
    rf"|austragen|afmelden|uitschrijven|désabonner|désabonnez-moi|désinscrire|baja|de baja|cancellami|cancellatemi"
    rf"|disiscrivimi|descadastrar|descadastre-me|arrêtez|arrête)(?:[ ,]+{_THANKS})*[ .!]*"))
NOT_INTERESTED = re.compile(_fold_pattern(
    r" *(?:no,? )?(?:thanks,? |thank you,? )?(?:i'?m |i am |we'?re |we are )?(?:really |just |simply |honestly )?"
    r"(?:not interested|kein interesse|nicht interessiert|pas intéressée?s?|no me interesa|no nos interesa"
    r"|sin interés|niet geïnteresseerd|geen interesse|non (?:sono |siamo )?interessat[oaie]|não tenho interesse"
    r"|sem interesse|não estou interessad[oa])(?: at all| thanks| thank you| danke| merci| gracias| bedankt| grazie"
    r"| obrigad[oa])?[ .!,]*"))
_DEFER = re.compile(_fold_pattern(
    r"\b(?:but|however|right now|at the moment|currently|yet|this (?:year|quarter|month|time)|until|check back|later"
    r"|next (?:year|quarter|month)|for now|aber|derzeit|momentan|zurzeit|aktuell|mais|pour le moment|actuellement"
    r"|pero|por ahora|ahora mismo|maar|momenteel|op dit moment|ma|al momento|per ora|mas|no momento|agora)\b"))
_CLAUSES = re.compile(r"[.!?;\n]+|,\s+|\s-\s")

# -- text ---------------------------------------------------------------------------

_FOOTERS = re.compile("|".join(OUR_FOOTERS))
# Where quoted history starts in unquoted form (stop-gap until replytext cuts it).
_HISTORY = re.compile(_fold_pattern(
    r"^[ \t]*(?:on|am|le|el|op|il giorno|il|em|den)\b[^\n]{0,200}(?:\n[^\n]{0,120})??\b(?:wrote|schrieb|a écrit"
    r"|escribió|schreef|ha scritto|escreveu|skrev)\s*:?[ \t]*$"
    r"|^[ \t]*\*?(?:from|von|de|van|da|från) ?:[^\n]*\n(?:[^\n]*\n){0,2}?[ \t]*\*?(?:sent|date|gesendet|datum|envoyé"
    r"|enviado|enviada em|verzonden|inviato|data|skickat) ?:"
    r"|^[ \t]*-{2,} ?(?:original message|ursprüngliche nachricht|message d'origine|mensaje original"
    r"|oorspronkelijk bericht|messaggio originale|mensagem original|forwarded message|weitergeleitete nachricht"
    r"|message transféré|mensaje reenviado|doorgestuurd bericht|messaggio inoltrato|mensagem encaminhada)"
    r"|^[ \t]*_{8,}[ \t]*$"), re.MULTILINE)
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|wg|fw|fwd|tr|rv|sv|vs|antw|antwort|r|rif|res|enc|ref)\s*(?:\[\d+\])?"
                           r"\s*:\s*)+")
_SUBJECT_SPLIT = re.compile(r"\s[-|]\s|[:()\[\]|]")
_TOKENS = re.compile(r"[\w'\ufffd]+")
_CLAUSE_END = re.compile(r"[.!?;:\n]|,|\s-\s|\b(?:and|but|so|und|aber|mais|et|pero|y|maar|en|ma|e|mas)\b(?!-)")

_NEGATORS = frozenset({
    "not", "no", "never", "don't", "dont", "doesn't", "didn't", "won't", "wouldn't", "shouldn't", "without",
    "nicht", "nie", "niemals", "kein", "keine", "ne", "n'", "pas", "jamais", "sans", "nunca", "sin", "niet",
    "nooit", "geen", "non", "mai", "senza", "nao", "sem",
})
# A negator followed by one of these does not turn the request around ("no thanks remove me").
_NOT_NEGATING_NEXT = frozenset({
    "forget", "hesitate", "fail", "vergessen", "oublie", "oubliez", "olvide", "olviden",
    "thanks", "thank", "thx", "danke", "merci", "gracias", "grazie", "obrigado", "obrigada", "bedankt",
    "interested", "interessiert", "interesse", "interesse", "interesa", "geinteresseerd", "interessato",
    "interessata", "interessado", "interessada", "relevant", "signed", "asked", "agreed", "subscribed",
    "consented", "opted",
})
_CONDITIONAL_BEFORE = frozenset({"if", "unless", "why", "or", "wenn", "falls", "si", "als", "se", "caso"})


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
        lowered = {a.lower() for a in ours}
        for addr in facts.msg.to_addrs:
            if addr.lower() in lowered:
                return Hit(Kind.UNSUBSCRIBE, f"sent to our unsubscribe address {addr}",
                           frozenset({Flag.VIA_ADDRESS}))
        return None


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
