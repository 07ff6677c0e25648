"""The new text of a reply: quoted history, signature, mobile footers and disclaimers removed.

``extract_reply(msg)`` works on lines, in two passes, with precompiled patterns
only (it runs for every human message, so it must stay cheap):

1. Quoted history. ``>`` lines go, with the attribution line that introduces
   them ("On ... wrote:" in seven languages), so interleaved and bottom-posted
   answers keep the sender's own paragraphs. Everything from the first *hard*
   marker on goes: an attribution that is not followed by ``>`` lines (Yahoo,
   Gmail HTML converted to text), Outlook's ``____`` rule, a
   ``From:/Sent:/To:/Subject:`` block in any of the languages,
   ``-----Original Message-----`` and forwarded-message separators.
2. What follows the message proper: a legal disclaimer paragraph, a mobile
   footer ("Sent from my iPhone", "Von meinem iPhone gesendet", ...), the
   ``-- `` delimiter, a valediction ("Best regards,", "Mit freundlichen
   Grüßen", "Cordialement", ...) with the short lines under it, or a line
   that is just the sender's name or initial (taken from the From header).

HTML-only messages: the quoted part is cut out of the tree first (Gmail's
``div.gmail_quote``, ``<blockquote>``, Outlook's ``#divRplyFwdMsg`` /
``#appendonsend`` / top-bordered header div and everything after it), the
rest is converted with inscriptis (the converter ``parse.html_to_text``
uses), then pass 1 and 2 run on that text.

quotequail was measured on the labelled corpus and is not used here: its
``quote()`` finds the same cut points as pass 1 on the plain-text replies
but has no Italian attribution, does not recognise a translated Outlook
header block without a rule line, keeps the signature, and costs 0.7 ms per
message (``unwrap()`` 1.3 ms), which is more than this whole function.

It never raises: on anything unexpected it returns the best text it has.
"""

from __future__ import annotations

import re
import unicodedata

from sqa.mailbox.parse import InboundMessage, html_to_text, html_tree

MAX_LINES = 4000  # a reply longer than this is read up to here
_SIGNATURE_MAX_LINES = 12  # non-blank lines a sign-off or name line may have under it

# --------------------------------------------------------------------------- quoted history

# "On <date>, <who> wrote:" and its translations (Gmail, Apple Mail, Thunderbird,
# Yahoo, mutt). A line that starts with the lead word and holds a date is a *strong*
# attribution: it cuts even when no ">" lines follow (Yahoo, HTML converted to text).
_ATTR_STRONG = re.compile(
    r"""(?ix)^(?:
        on\b.{1,300}?\b(?:wrote|writes|said)
      | am\b.{1,300}?\bschrieb\b.{0,300}?
      | le\b.{1,300}?\ba\s+écrit
      | el\b.{1,300}?\bescribió
      | op\b.{1,300}?\b(?:schreef\b.{0,300}?|heeft\b.{1,300}?\bgeschreven)
      | il\b.{1,300}?\bha\s+scritto
      | em\b.{1,300}?\bescreveu
      | (?:de|den)\b.{1,300}?\bskrev\b.{0,300}?
    )\s*:$""")
_ATTR_LEAD = re.compile(r"(?i)^(?:on|am|le|el|op|il|em|de|den)\b")
_HAS_DIGIT = re.compile(r"\d")  # a strong attribution carries its date; "On the topic, Bob wrote:" is only weak
# "<who> wrote:" without the lead word, or old Gmail's "2014-10-17 11:28 GMT+03:00 Bob <bob@x.y>:":
# only an attribution when ">" lines follow.
_ATTR_WEAK = re.compile(
    r"(?i)^(?:.{1,300}?\b(?:wrote|writes|sent|schrieb|a\s+écrit|escribió|schreef|geschreven|ha\s+scritto|escreveu"
    r"|skrev|napisał|написал\(?а?\)?)(?:\s+(?:am|on)\b.{1,100}?)?\s*:"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b.{1,200}?\S@\S.{0,200}?[>:])$")
# the text of a line that ends in an attribution ("reply On Wed, Apr 4, 2012 at 3:59 PM, bob@x.y wrote:"),
# as HTML converted to text or a broken client leaves it
_ATTR_EMBEDDED = re.compile(
    r"^(?P<keep>.*?\S)(?:\s+|\s*-{2,}\s*)(?:On|Am|Le|El|Op|Il|Em)\s.{0,20}?\d.{0,300}?"
    r"\b(?:wrote|schrieb|a\s+écrit|escribió|schreef|ha\s+scritto|escreveu)\s*:$")

_SEPARATOR = re.compile(
    r"""(?ix)^(?:
        _{20,}
      | -{2,}\s*(?:original\s+message|ursprüngliche\s+nachricht|message\s+d'origine|mensaje\s+original
                 |oorspronkelijk\s+bericht|origineel\s+bericht|messaggio\s+originale|mensagem\s+original
                 |forwarded\s+message|weitergeleitete\s+nachricht|message\s+transféré|mensaje\s+reenviado
                 |doorgestuurd\s+bericht|messaggio\s+inoltrato|mensagem\s+encaminhada)\s*-{2,}
      | -{2,}\s*\S.{0,200}?\b(?:wrote|schrieb|a\s+écrit|escribió|schreef|ha\s+scritto|escreveu)\b.{0,60}?-{2,}
      | (?:begin\s+forwarded\s+message|anfang\s+der\s+weitergeleiteten\s+(?:e-mail|nachricht)
          |début\s+du\s+message\s+réexpédié|inicio\s+del\s+mensaje\s+reenviado|begin\s+doorgestuurd\s+bericht
          |inizio\s+messaggio\s+inoltrato|início\s+da\s+mensagem\s+encaminhada)\s*:
    )$""")

# The header block of a quoted message (Outlook, Outlook for Mac, Hotmail, forwards):
# From:/Sent:/To:/Subject: and their translations, in any order, "*From:*" as Outlook's
# HTML becomes text, "De :" with the French space.
_HDR_FROM = re.compile(r"(?i)^\*?(?:from|von|de|van|da|från|fra|от)\s*\*?\s*:")
_HDR_ANY = re.compile(
    r"""(?ix)^\*?(?:from|sent|date|to|cc|bcc|subject|reply-to
       |von|gesendet|datum|an|betreff|kopie
       |de|envoyé(?:\s+le)?|à|objet
       |enviado(?:\s+el)?|fecha|para|asunto
       |van|verzonden|aan|onderwerp
       |da|inviato|data|a|oggetto
       |enviada(?:\s+em)?|assunto
       |från|skickat|till|ämne|fra|sendt|til|emne
       |от|отправлено|кому|тема|дата
    )\s*\*?\s*:""")

# --------------------------------------------------------------------------- what follows the message

_SIG_DELIMITER = "-- "
_BARE_DASHES = "--"  # "-- " with its space lost (HTML converted, a client that strips): cuts above a short signature

_MOBILE_FOOTER = re.compile(
    r"""(?ix)^(?:
        sent\s+from\s+(?:my\s+)?\S.{0,50}
      | sent\s+(?:with|via)\s+\S.{0,40}
      | get\s+outlook\s+for\s+\S.{0,20}
      | von\s+meinem\s+\S.{0,30}\s+gesendet
      | gesendet\s+(?:von|mit)\s+(?:meinem\s+)?\S.{0,40}
      | envoyé\s+(?:de|depuis)\s+(?:mon\s+)?\S.{0,40}
      | enviado\s+(?:desde|de|do|con)\s+(?:mi\s+|meu\s+|o\s+meu\s+)?\S.{0,40}
      | (?:verzonden|verstuurd)\s+(?:vanaf|met|van)\s+(?:mijn\s+)?\S.{0,40}
      | inviato\s+da(?:l\s+mio)?\s+\S.{0,40}
    )$""")

# a device or app in a footer line: such a footer cuts wherever it is; "Sent from <other>" only at the end
_DEVICE = re.compile(
    r"(?i)\b(?:iphone|ipad|android|galaxy|samsung|mobile|mobil|móvil|movil|celular|telefone|telefoon|cellulare"
    r"|smartphone|phone|handy|blackberry|huawei|pixel|xiaomi|outlook|gmail|yahoo|proton\s*mail|aol|windows|ios"
    r"|tablet|portable|dispositivo|apparaat|gerät|appareil)\b")

_DISCLAIMER_START = re.compile(
    r"(?i)^(?:confidentiality\s+notice|confidentiality|disclaimer|legal\s+notice|important\s+notice"
    r"|privileged\s*(?:&|and)\s*confidential"
    r"|haftungsausschluss|vertraulichkeitshinweis|rechtlicher\s+hinweis|avis\s+de\s+confidentialité|avertissement"
    r"|aviso\s+(?:legal|de\s+confidencialidad(?:e)?)|clausola\s+di\s+riservatezza|avviso\s+di\s+riservatezza"
    r"|vertrouwelijkheid(?:sclausule)?|disclaimer)\b")
# A legal disclaimer paragraph has a word of each group (lower case, substrings).
_DISCLAIMER_SECRET = ("confidential", "privileg", "vertraulich", "rechtlich geschützt", "confidentiel", "confidencial",
                      "sigilo", "vertrouwelijk", "riservat", "confidenzial")
_DISCLAIMER_RECIPIENT = ("intended", "addressee", "recipient", "in error", "by mistake", "adressat", "empfänger",
                         "irrtümlich", "destinat", "par erreur", "por error", "por engano", "geadresseerde",
                         "per abuis", "per errore", "ontvanger")

# Valedictions: a whole line, optionally followed by a place ("Viele Grüße aus Regensburg").
_VALEDICTION = re.compile(
    r"""(?ix)^(?:
        (?:best|kind|kindest|warm|warmest|many|with\s+best|with\s+kind)\s+(?:regards|wishes)
      | best|regards|rgds|br|kr|cheers|thanks|thank\s+you|thanks\s+again|thanks\s+a\s+lot|thanks\s+so\s+much
      | thank\s+you\s+very\s+much|many\s+thanks|thanks\s+in\s+advance|all\s+the\s+best|all\s+best|best\s+wishes
      | yours(?:\s+(?:sincerely|faithfully|truly))?|sincerely|respectfully|take\s+care|talk\s+soon|speak\s+soon
      | with\s+thanks
      | mit\s+(?:freundlichen|besten|herzlichen|lieben|vielen)\s+grü(?:ß|ss)en|mit\s+freundlichem\s+gru(?:ß|ss)
      | (?:freundliche|viele|beste|liebe|herzliche|schöne|sonnige)\s+grü(?:ß|ss)e|grü(?:ß|ss)e|gru(?:ß|ss)
      | lg|vg|mfg|danke|danke\s+schön|vielen\s+dank|besten\s+dank
      | cordialement|bien\s+cordialement|très\s+cordialement|bien\s+à\s+vous|bien\s+à\s+toi|salutations
      | (?:meilleures|sincères|bien\s+sincères)\s+salutations|bonne\s+journée|belle\s+journée|merci|merci\s+beaucoup
      | amicalement|bien\s+amicalement|à\s+bientôt
      | saludos|un\s+saludo|saludos\s+cordiales|un\s+cordial\s+saludo|atentamente|un\s+abrazo|abrazos|gracias
      | muchas\s+gracias|cordialmente
      | met\s+vriendelijke\s+groet(?:en)?|vriendelijke\s+groet(?:en)?|hartelijke\s+groet(?:en)?|groet(?:en|jes)?
      | mvg|met\s+groet|bedankt|dank\s+je(?:\s+wel)?|dank\s+u(?:\s+wel)?|alvast\s+bedankt
      | cordiali\s+saluti|distinti\s+saluti|saluti|un\s+saluto|grazie|grazie\s+mille|a\s+presto|buona\s+giornata
      | un\s+caro\s+saluto
      | atenciosamente|abraços?|abs|att|cumprimentos|melhores\s+cumprimentos|obrigad[oa]|muito\s+obrigad[oa]
      | saudações|um\s+abraço|grande\s+abraço
    )\b(?P<rest>(?:\s+(?:aus|from|de|da|uit|desde|dal)\s+\S.{0,40})?[\s,.!…:;-]*(?P<name>\S.{0,40})?)$""")

# the first word of every valediction above: a set lookup before the regex
_VALEDICTION_FIRST = frozenset("""
    best kind kindest warm warmest many with regards rgds br kr cheers thanks thank all yours sincerely
    respectfully take talk speak mit freundliche viele beste liebe herzliche schöne sonnige grüße grüsse gruß
    gruss lg vg mfg danke vielen besten cordialement bien très salutations meilleures sincères bonne belle merci
    amicalement à saludos un atentamente abrazos gracias muchas cordialmente met vriendelijke hartelijke groet
    groeten groetjes mvg bedankt dank alvast cordiali distinti saluti grazie a buona atenciosamente abraço abraços
    abs att cumprimentos melhores obrigado obrigada muito saudações um grande""".split())

_NAME_TITLES = frozenset({"dr", "dr.", "prof", "prof.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "herr", "frau",
                          "mme", "mme.", "m.", "sr.", "sra.", "dott.", "dott.ssa", "ing.", "mag.", "dipl.-ing."})
_LETTERS = re.compile(r"[^\w]+|\d+")
_LOCAL_PART_SEP = re.compile(r"[._+-]+")
# tabs and the Unicode spaces HTML converters and mobile clients leave (nbsp, thin space, ...); zero-width ones
_ODD_SPACE = re.compile("[\t\r\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff]")
_BLANK_RUNS = re.compile(r"\n{3,}")


# --------------------------------------------------------------------------- entry point

def extract_reply(msg: InboundMessage) -> str:
    """The new text the sender wrote, with quotes, signature, footers and disclaimers removed."""
    try:
        text = msg.text
        if msg.html is not None:
            text = _html_new_text(msg.html, text)
        return reply_from_text(text, _sender_names(msg.from_name, msg.from_addr))
    except Exception:  # noqa: BLE001 - never raise: the best text there is
        return (msg.text or "").strip()


def reply_from_text(text: str, names: tuple[str, ...] = ()) -> str:
    """Pass 1 and 2 on plain text; ``names`` are the sender's name forms (lower case), see ``_sender_names``."""
    lines = _lines(text)
    kept = _drop_quotes(lines)
    kept = _drop_trailer(kept, names)
    out = "\n".join(kept).strip()
    return _BLANK_RUNS.sub("\n\n", out)


# --------------------------------------------------------------------------- pass 1: quoted history

def _lines(text: str) -> list[str]:
    """The lines, stripped, with odd spaces made plain; at most MAX_LINES."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if _ODD_SPACE.search(text):
        text = _ODD_SPACE.sub(" ", text)
    if not text.isascii() and _ZERO_WIDTH.search(text):
        text = _ZERO_WIDTH.sub("", text)
    # "-- " keeps its space: the standard signature delimiter (RFC 3676 4.3) cuts unconditionally
    return [ln.strip() if ln != "-- " else ln for ln in text.split("\n", MAX_LINES)[:MAX_LINES]]


def _attribution_end(lines: list[str], i: int) -> tuple[int, bool] | None:
    """If an attribution starts at line i: (its last line, strong?); it may be wrapped over up to 3 lines."""
    line = lines[i]
    if line.startswith(">"):
        return None
    if _ATTR_LEAD.match(line):
        joined = line
        for j in range(i, min(i + 3, len(lines))):
            if j > i:
                if not lines[j]:
                    break
                joined = f"{joined} {lines[j]}"
            if joined.endswith(":") and len(joined) <= 400 and _HAS_DIGIT.search(joined) and _ATTR_STRONG.match(joined):
                return j, True
    if line[-1] in ":>" and len(line) <= 300 and _ATTR_WEAK.match(line):
        return i, False
    if i + 1 < len(lines) and lines[i + 1].endswith(":") and not lines[i + 1].startswith(">"):
        nxt = _next_nonblank(lines, i + 2)
        if nxt is not None and lines[nxt].startswith(">"):
            joined = f"{line} {lines[i + 1]}"
            if len(joined) <= 300 and _ATTR_WEAK.match(joined):
                return i + 1, False
    return None


def _header_block_at(lines: list[str], i: int) -> bool:
    """A quoted message's header block starts at line i: three header lines or more, one of them From:.

    Up to two other lines may sit between them (a long To: list wrapped by the client).
    """
    if not _HDR_ANY.match(lines[i]):
        return False
    headers, other, has_from = 0, 0, False
    for j in range(i, min(i + 10, len(lines))):
        line = lines[j]
        if not line:
            if headers >= 3 and has_from:
                break
            continue
        if _HDR_ANY.match(line):
            headers += 1
            has_from = has_from or bool(_HDR_FROM.match(line))
        else:
            other += 1
            if other > 2:
                break
    return headers >= 3 and has_from


def _next_nonblank(lines: list[str], i: int, limit: int = 50) -> int | None:
    for j in range(i, min(len(lines), i + limit)):
        if lines[j]:
            return j
    return None


def _drop_quotes(lines: list[str]) -> list[str]:
    """Pass 1: the lines before the quoted history, and those between and after ">" blocks."""
    kept: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line:
            kept.append(line)
            i += 1
            continue
        if line[0] == ">":
            if kept and kept[-1]:
                kept.append("")  # a removed quote separates paragraphs
            i += 1
            continue
        if i and lines[i - 1][:1] == ">" and i + 1 < n and lines[i + 1][:1] == ">":
            i += 1  # a quoted line the client wrapped without its ">" (a long link)
            continue
        attr = _attribution_end(lines, i)
        if attr is not None:
            end, strong = attr
            nxt = _next_nonblank(lines, end + 1)
            if nxt is not None and lines[nxt][0] == ">":
                embedded = _ATTR_EMBEDDED.match(line) if end == i and len(line) <= 400 else None
                if embedded is not None:
                    kept.append(embedded["keep"])
                i = end + 1  # the attribution of a ">" block: drop it, keep what follows the block
                continue
            if strong:
                break
        if _SEPARATOR.match(line) or _header_block_at(lines, i):
            break
        kept.append(line)
        i += 1
    return kept


# --------------------------------------------------------------------------- pass 2: what follows the message

def _drop_trailer(lines: list[str], names: tuple[str, ...]) -> list[str]:
    """Pass 2: the lines before the signature delimiter, mobile footer, disclaimer and sign-off."""
    first = _next_nonblank(lines, 0, len(lines))
    if first is None:
        return []
    lines = lines[first:]
    cut = len(lines)
    last = max(i for i, line in enumerate(lines) if line)
    for i, line in enumerate(lines):
        if not line:
            continue
        if line == _SIG_DELIMITER or (line == _BARE_DASHES and _looks_like_signature(lines, i + 1)):
            cut = i
            break
        if len(line) <= 70 and _MOBILE_FOOTER.match(line) and (i >= last - 2 or _DEVICE.search(line)):
            cut = i
            break
        if i > 0 and not lines[i - 1] and _is_disclaimer(lines, i):
            cut = i
            break
    lines = lines[:cut]
    cut = _sign_off_at(lines, names)
    return lines[:cut]


def _looks_like_signature(lines: list[str], start: int) -> bool:
    """At most _SIGNATURE_MAX_LINES non-blank lines from ``start`` on, none of them prose (see _is_prose)."""
    count = 0
    for line in lines[start:]:
        if line:
            count += 1
            if count > _SIGNATURE_MAX_LINES or _is_prose(line):
                return False
    return True


def _is_disclaimer(lines: list[str], i: int) -> bool:
    """The paragraph at line i is a legal notice: a known heading, or a secrecy word and a recipient/error word."""
    para: list[str] = []
    for line in lines[i:i + 40]:
        if not line:
            break
        para.append(line)
    text = " ".join(para)
    if len(text) < 80 or "?" in text:
        return False
    if _DISCLAIMER_START.match(text):
        return True
    low = text.lower()
    return any(w in low for w in _DISCLAIMER_SECRET) and any(w in low for w in _DISCLAIMER_RECIPIENT)


def _sign_off_at(lines: list[str], names: tuple[str, ...]) -> int:
    """Index of the first line of the sign-off (valediction or name line), or len(lines)."""
    n = len(lines)
    # from the end: how many non-blank lines follow line i, and whether one of them reads like prose
    below = [0] * n
    prose_below = [False] * n
    count, prose = 0, False
    for i in range(n - 1, -1, -1):
        below[i], prose_below[i] = count, prose
        line = lines[i]
        if line:
            count += 1
            prose = prose or _is_prose(line)
    for i in range(1, n):
        line = lines[i]
        if not line or len(line) > 80 or below[i] > _SIGNATURE_MAX_LINES:
            continue
        if not prose_below[i] and _first_word(line) in _VALEDICTION_FIRST:
            m = _VALEDICTION.match(line)
            if m is not None and (m.group("name") is None or _is_name(m.group("name"), names)):
                return i
        if names and not lines[i - 1] and _is_name_line(line, names):
            return i
    return n


def _is_prose(line: str) -> bool:
    """A sentence, not a signature line: long, a question, or four words or more ending a sentence."""
    if len(line) > 100 or line.endswith("?"):
        return True
    return line.endswith((".", "!")) and line.count(" ") >= 3


def _first_word(line: str) -> str:
    return line.split(None, 1)[0].rstrip(",.!:;…").lower()


def _sender_names(from_name: str | None, from_addr: str | None) -> tuple[str, ...]:
    """Lower-case, accent-free forms of the sender's name a signature line may consist of or start with.

    ("first", "last", "first last", "f", "f.") from the display name, else from the
    address's local part ("tom.whitaker" -> "tom", "whitaker").
    """
    words: list[str] = []
    if from_name:
        name = from_name.strip().strip("\"'")
        if "," in name:  # "Whitaker, Tom"
            last, _, first = name.partition(",")
            name = f"{first} {last}"
        words = [w for w in name.lower().split() if w not in _NAME_TITLES and not w.endswith(")")]
        words = [w for w in words if "@" not in w]
    if not words and from_addr:
        local = from_addr.split("@", 1)[0].lower()
        words = [w for w in _LOCAL_PART_SEP.split(local) if w.isalpha() and len(w) > 1]
    if not words:
        return ()
    words = [_fold(w) for w in words]
    first, last = words[0], words[-1]
    initial = first[:1]
    forms = {first, last, f"{first} {last}", " ".join(words), initial, f"{initial}.", f"{initial}{last[:1]}"}
    return tuple(forms)


def _fold(text: str) -> str:
    """Lower case without accents ("Élodie" -> "elodie")."""
    if text.isascii():
        return text.lower()
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _is_name(text: str, names: tuple[str, ...]) -> bool:
    """Every word of ``text`` is part of the sender's name ("Tom", "Rosa=3", "T.")."""
    if not names:
        return False
    words = [w for w in _LETTERS.split(_fold(text)) if w]
    if not words or len(words) > 4:
        return False
    parts = {p for form in names for p in form.split()}
    return all(w in parts for w in words)


def _is_name_line(line: str, names: tuple[str, ...]) -> bool:
    """The line is the sender's name, an initial ("H.", "K"), "C. Donovan", or starts "Diane Foster | VP ..."."""
    low = _fold(line).rstrip(" .,")
    if not low or len(low) > 80:
        return False
    if low in names or f"{low}." in names:
        return True
    words = low.replace(".", ". ").split()
    # "C. Donovan", "J Hartmann": an initial and the last name
    if len(words) == 2 and len(words[0].rstrip(".")) == 1:
        return words[0][0] + "." in names and words[1] in names
    # the full name followed by a title or company: "Diane Foster | VP Revenue", "Martin Hale, CEO"
    for form in names:
        if " " in form and low.startswith(form):
            rest = low[len(form):len(form) + 2]
            if not rest or not rest[0].isalnum():
                return True
    return False


# --------------------------------------------------------------------------- HTML

def _html_new_text(markup: str, fallback: str) -> str:
    """The visible text of an HTML reply with its quoted part cut out of the tree; ``fallback`` if it cannot be read."""
    try:
        tree = html_tree(markup)
    except Exception:  # noqa: BLE001 - unparsable or truncated HTML: the text parse.py already made
        return fallback
    if tree is None:
        return fallback
    if not _prune_quotes(tree):
        return fallback  # nothing structural to remove: parse.py's conversion is the same text
    return html_to_text(tree)


# Elements that start the quoted message; they and everything after them go. Outlook on the
# web: #divRplyFwdMsg (after <div id="appendonsend"> and an <hr>); new Outlook / Outlook for Mac:
# #mail-editor-reference-message-container, #OLK_SRC_BODY_SECTION; Gmail: div.gmail_quote (the
# attribution and the blockquote); Yahoo: div.yahoo_quoted; Thunderbird: div.moz-cite-prefix (the
# attribution above its blockquote). Outlook desktop: the header div with a top border.
_CUT_IDS = frozenset({"divRplyFwdMsg", "x_divRplyFwdMsg", "appendonsend", "x_appendonsend",
                      "mail-editor-reference-message-container", "OLK_SRC_BODY_SECTION"})
_CUT_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix")


def _prune_quotes(tree) -> bool:  # noqa: ANN001 - an lxml element
    """Remove quoted history from the tree; True when anything was removed.

    One walk over the elements (an XPath with string functions costs 5x more).
    Blockquotes are removed in place, so answers written between them stay.
    """
    cut = None
    quotes = []
    for el in tree.iter():
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions
            continue
        if tag == "blockquote":
            quotes.append(el)
            continue
        attrib = el.attrib
        if not attrib:
            continue
        ident = attrib.get("id")
        if ident is not None and ident in _CUT_IDS:
            cut = el
            break
        cls = attrib.get("class")
        if cls is not None and any(c in cls for c in _CUT_CLASSES):
            cut = el
            break
        style = attrib.get("style")
        if (style is not None and tag == "div" and "3.0pt" in style
                and "border-top:solid" in style.replace(" ", "").lower()):
            cut = el
            break
    if cut is not None:
        _remove_from(cut)
    for el in quotes:  # the blockquotes before the cut (or holding it)
        if el.getparent() is not None:
            _drop_keep_tail(el)
    return cut is not None or bool(quotes)


def _drop_keep_tail(el) -> None:  # noqa: ANN001
    """Remove ``el`` but keep the text that follows it (lxml stores it on the element)."""
    parent = el.getparent()
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + "\n" + tail
        else:
            parent.text = (parent.text or "") + "\n" + tail
    parent.remove(el)


def _remove_from(el) -> None:  # noqa: ANN001
    """Remove ``el`` and everything after it in document order."""
    node = el
    while node is not None:
        parent = node.getparent()
        if parent is None:
            break
        for sib in list(node.itersiblings()):
            parent.remove(sib)
        node.tail = None
        node = parent
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)
