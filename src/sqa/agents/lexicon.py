"""Multilingual cue words (en, de, fr, es; the common phrasings in it, nl, pt) for the offline extraction, as one table of patterns.

Patterns run on folded text: lower case, accents removed, same length as the
original (so a match points at the original words). A rule names what a
sentence says, never a particular sentence: every entry is a general phrasing.
"""

from __future__ import annotations

import re
import unicodedata


class _FoldTable(dict):
    """str.translate table built lazily, one entry per character seen (C speed after the first sight)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        low = char.lower()
        if len(low) != 1:
            low = char
        base = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))
        folded = base if len(base) == 1 else low
        if folded == "\u2019":
            folded = "'"
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower case, accents removed, one character for one (spans map back to the original)."""
    return text.translate(_FOLD)


class Cue:
    """A compiled pattern with a sound pre-check: every match contains one of a few literal runs (found
    in the parsed pattern), so a text that contains none of them is skipped without running the regex
    (a sentence is read by ~40 patterns; most contain none of a pattern's words). A pattern for which no
    such runs can be named is always run; case-insensitive patterns too. Many runs (the big multilingual
    tables) are looked for at once, by one regex over the runs' prefix tree (a few steps per character
    of text, whatever the number of runs). A cue made of several parts (rx: one per language or
    phrasing group) runs only the parts whose own runs occur, and returns the leftmost match, the
    earliest part first at one position: exactly what the joined regex finds."""

    __slots__ = ("regex", "pattern", "_starts", "_tree", "_parts")

    MANY = 24  # runs above which the prefix-tree regex is cheaper than looking for each run in turn

    def __init__(self, regex: re.Pattern[str], parts: tuple[Cue, ...] | None = None) -> None:
        self._parts = parts
        self.regex = regex
        self.pattern = regex.pattern
        starts = None if regex.flags & re.IGNORECASE else _leading_literals(regex.pattern)
        if starts:  # a run that contains another run adds nothing: text holding it holds the shorter one
            starts = {a for a in starts if not any(b != a and b in a for b in starts)}
        self._starts = tuple(sorted(starts, key=len)) if starts else None
        self._tree = _prefix_tree(self._starts) if self._starts and len(self._starts) > self.MANY else None

    def _may_match(self, text: str) -> bool:
        if self._starts is None:
            return True
        if self._tree is not None:
            return self._tree.search(text) is not None
        for s in self._starts:  # a plain loop: no generator per call (~40 cues read every sentence)
            if s in text:
                return True
        return False

    def search(self, text: str, *args: int) -> re.Match[str] | None:
        if not self._may_match(text):
            return None
        if self._parts is None:
            return self.regex.search(text, *args)
        best = None
        for part in self._parts:
            m = part.search(text, *args)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        return best

    def finditer(self, text: str, *args: int):  # noqa: ANN201 - Iterator[re.Match[str]]
        return self.regex.finditer(text, *args) if self._may_match(text) else iter(())

    def __getattr__(self, name: str):  # noqa: ANN204 - match, sub, split, ...: the regex itself
        return getattr(self.regex, name)


def _prefix_tree(runs: tuple[str, ...]) -> re.Pattern[str]:
    """One regex that finds any of ``runs`` (none contains another), branching one character at a time."""
    tree: dict = {}
    for run in runs:
        node = tree
        for char in run:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        if "" in node:  # a run ends here: any text that reaches it holds that run
            return ""
        alts = [re.escape(char) + build(sub) for char, sub in sorted(node.items())]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return re.compile(build(tree))


def _leading_literals(pattern: str) -> set[str] | None:
    """Literal runs one of which every match of ``pattern`` contains; None when none can be named."""
    try:
        from re import _constants as c, _parser as parser  # noqa: PLC0415 - CPython internals, guarded

        parsed = parser.parse(pattern)
    except Exception:  # noqa: BLE001 - another Python: no pre-check, same results
        return None

    def required(items: list) -> set[str] | None:
        """Of the parts of a sequence that every match contains, the one whose literal runs are longest."""
        best: set[str] | None = None

        def consider(got: set[str] | None) -> None:
            nonlocal best
            if got and (best is None or min(map(len, got)) > min(map(len, best))):
                best = got

        i = 0
        while i < len(items):
            op, av = items[i]
            if op is c.LITERAL:
                run = ""
                while i < len(items) and items[i][0] is c.LITERAL:
                    run += chr(items[i][1])
                    i += 1
                consider({run})
                continue
            if op is c.SUBPATTERN and not av[1] and not av[2]:  # a group without inline flags
                consider(required(list(av[3])))
            elif op is c.BRANCH:
                sets = [required(list(b)) for b in av[1]]
                consider(set().union(*sets) if all(sets) else None)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:  # at least once: its body is in the match
                consider(required(list(av[2])))
            i += 1  # zero-width, a class, an optional part...: not required content
        return best

    return required(list(parsed))


GROUP = 12  # top-level alternatives per part: a part whose runs occur is run whole


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern (split at "|" outside groups, classes and escapes)."""
    out, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":
                i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def rx(*parts: str) -> Cue:
    """One cue from phrasing groups; long groups are cut into parts of GROUP alternatives (same matches)."""
    whole = re.compile("|".join(f"(?:{p})" for p in parts))
    pieces = []
    for part in parts:
        alts = _alternatives(part)
        pieces += ["|".join(alts[i:i + GROUP]) for i in range(0, len(alts), GROUP)]
    return Cue(whole, tuple(Cue(re.compile(p)) for p in pieces) if len(pieces) > 1 else None)


NUMWORD = (r"\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|a few|a couple of|few|"
           r"ein|eine|einem|einen|zwei|drei|vier|funf|sechs|sieben|acht|neun|zehn|zwolf|"
           r"un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quelques|"
           r"uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce|unos|unas|pocos|pocas|"
           r"due|tre|quattro|sei|sette|otto|dieci|qualche|alcuni|alcune|"
           r"een|twee|drie|vijf|zes|zeven|negen|tien|twaalf|enkele|"
           r"um|uma|dois|duas|quatro|sete|oito|nove|dez|doze|alguns|algumas")
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "twelve": 12, "a few": 3, "a couple of": 2, "few": 3, "ein": 1, "eine": 1,
           "einem": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4, "funf": 5, "sechs": 6, "sieben": 7, "acht": 8,
           "neun": 9, "zehn": 10, "zwolf": 12, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5,
           "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "douze": 12, "quelques": 3, "uno": 1, "una": 1, "dos": 2,
           "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
           "doce": 12, "unos": 3, "unas": 3, "pocos": 3, "pocas": 3, "due": 2, "tre": 3, "quattro": 4, "sei": 6,
           "sette": 7, "otto": 8, "dieci": 10, "qualche": 3, "alcuni": 3, "alcune": 3, "een": 1, "twee": 2, "drie": 3,
           "vijf": 5, "zes": 6, "zeven": 7, "negen": 9, "tien": 10, "twaalf": 12, "enkele": 3, "um": 1, "uma": 1,
           "dois": 2, "duas": 2, "quatro": 4, "sete": 7, "oito": 8, "nove": 9, "dez": 10, "doze": 12, "alguns": 3,
           "algumas": 3}

MONTHS = {  # en, de, fr, es, it, nl, pt
    1: "january|jan|januar|janvier|enero|gennaio|januari|janeiro", 2: "february|feb|februar|fevrier|febrero|febbraio|"
    "februari|fevereiro", 3: "march|marz|mars|marzo|maart|marco", 4: "april|apr|avril|abril|aprile",
    5: "may|mai|mayo|maggio|mei|maio", 6: "june|jun|juni|juin|junio|giugno|junho",
    7: "july|jul|juli|juillet|julio|luglio|julho", 8: "august|aug|aout|agosto|augustus",
    9: "september|sept|sep|septembre|septiembre|setiembre|settembre|setembro",
    10: "october|oct|oktober|octobre|octubre|ottobre|outubro", 11: "november|nov|novembre|noviembre|novembro",
    12: "december|dec|dezember|decembre|diciembre|dicembre|dezembro",
}
MONTH_ALT = "|".join(MONTHS.values())
MONTH_PREP = (r"by|in|until|till|before|from|starting|around|early|mid|late|end of|beginning of|start of|"
              r"bis|im|ab|vor|anfang|mitte|ende|fruhestens|spatestens|"
              r"d'ici|en|avant|fin|debut|courant|a partir d'|a partir de|mi-|"
              r"para|antes de|a finales de|a principios de|hasta|desde|a mediados de|finales de|principios de|"
              r"entro|prima di|a partire da|dopo|fine|inizio|meta|"
              r"voor|tegen|uiterlijk|eind|begin|medio|vanaf|na|"
              r"ate|antes de|a partir de|no inicio de|no final de|no fim de|depois de")
# "may" the month, not the verb ("a tool that may help")
_MONTH_ALT_RE = MONTH_ALT.replace("may|", r"may(?!\s+(?:be|have|not|need|want|help|take|also|well|or|i|we|you|make|"
                                        r"get|work|require|still|already|come|find|see|look|ask|need)\b)|")
MONTH_RE = re.compile(rf"\b(?:(?:{MONTH_PREP})\s+(?:[\w']+\s+){{0,3}}?|(?:a|ad|em|per|op)\s+)({_MONTH_ALT_RE})\b"
                      rf"(?:\s+(20\d\d))?")
QUARTER_RE = re.compile(
    r"\b(?:q|t)([1-4])\b(?:\s*/?\s*'?(\d{2,4}))?"
    r"|\b([1-4])\s*\.?\s*(?:quartal|quarter|trimestre|kwartaal)\b"
    r"|\b(first|second|third|fourth|1st|2nd|3rd|4th|ersten|zweiten|dritten|vierten|premier|deuxieme|second|"
    r"troisieme|quatrieme|primer|segundo|tercer|cuarto|primo|secondo|terzo|quarto|eerste|tweede|derde|vierde|"
    r"primeiro|terceiro)\s+(?:quarter|quartal|trimestre|kwartaal)\b")
QUARTER_WORDS = {"first": 1, "1st": 1, "ersten": 1, "premier": 1, "primer": 1, "second": 2, "2nd": 2, "zweiten": 2,
                 "deuxieme": 2, "segundo": 2, "third": 3, "3rd": 3, "dritten": 3, "troisieme": 3, "tercer": 3,
                 "fourth": 4, "4th": 4, "vierten": 4, "quatrieme": 4, "cuarto": 4, "primo": 1, "secondo": 2, "terzo": 3,
                 "quarto": 4, "eerste": 1, "tweede": 2, "derde": 3, "vierde": 4, "primeiro": 1, "terceiro": 3}
UNIT = (r"days?|weeks?|months?|years?|tagen?|wochen?|monaten?|monate|monat|jahren?|jours?|semaines?|mois|ans?|annees?|"
        r"dias?|semanas?|meses|mes|anos?|giorni|settimane|settimana|mesi|mese|anni|anno|dagen|weken|week|maanden|"
        r"maand|jaar")
RELATIVE_RE = re.compile(rf"\b(?:in|within|over|during|innerhalb(?: von)?|binnen|in den nachsten|dans|d'ici|en|dentro de|"
                         rf"durante|entro|tra|fra|binnen|em|nos proximos|nas proximas)\s+(?:the next\s+|the coming\s+|den nachsten\s+|"
                         rf"les prochains?\s+|los proximos\s+|i prossimi\s+|le prossime\s+|de komende\s+|de volgende\s+)?"
                         rf"({NUMWORD})\s+({UNIT})\b")
NEXT_RE = re.compile(
    r"\b(?:next|nachste[nms]?|kommende[nms]?|prochaine?|proxim[oa]|siguiente|que viene|prossim[oa]|volgende?|"
    r"komende)\s+(week|month|year|quarter|"
    r"spring|summer|fall|autumn|winter|woche|monat|jahr|quartal|fruhling|sommer|herbst|semaine|mois|annee|an|"
    r"trimestre|ete|automne|hiver|printemps|semana|mes|ano|verano|otono|invierno|primavera|settimana|mese|anno|"
    r"estate|autunno|inverno|maand|jaar|kwartaal|zomer|najaar|herfst|voorjaar|verao|outono)\b"
    r"|\b(week|month|year|semaine|mois|annee|an|semana|mes|ano|trimestre|settimana|mese|anno)\s+"
    r"(?:prochaine?|proxim[oa]|que viene|prossim[oa]|que vem)\b")
SUMMER_AFTER_RE = re.compile(r"after (?:the )?summer|nach dem sommer|nach den sommerferien|apres l'ete|a la rentree|"
                             r"despues del verano|tras el verano|in (?:the )?(?:fall|autumn)|im herbst|a l'automne|"
                             r"en otono|dopo l'estate|in autunno|na de zomer|na de zomervakantie|in het najaar|depois do verao|no outono")
NEW_YEAR_RE = re.compile(r"after (?:the )?(?:holidays|new year|christmas)|in the new year|nach (?:den feiertagen|"
                         r"neujahr|weihnachten)|im neuen jahr|apres les fetes|debut d'annee|l'annee prochaine|"
                         r"despues de (?:las fiestas|navidad|ano nuevo)|el ano que viene|el proximo ano|"
                         r"(?:early|beginning of) next year|anfang nachsten jahres|l'anno prossimo|il prossimo anno|dopo le feste|"
                         r"volgend jaar|in het nieuwe jaar|na de feestdagen|no proximo ano|ano que vem|depois das festas")

# the date expressions are read on every sentence: cues, so a sentence without their words is skipped
MONTH_RE, RELATIVE_RE, NEXT_RE, SUMMER_AFTER_RE, NEW_YEAR_RE = (
    Cue(MONTH_RE), Cue(RELATIVE_RE), Cue(NEXT_RE), Cue(SUMMER_AFTER_RE), Cue(NEW_YEAR_RE))

TIMELINE = rx(
    r"\basap\b|as soon as possible|right away|immediately|urgent|straight away|this week|this month|this quarter|"
    r"this year(?!'s)|this summer|this spring|this fall|before (?:the )?(?:summer|holidays)|"
    r"(?:by|before|until|till|at|for|around|over|in time for) (?:the )?(?:fiscal |financial )?year[- ]end|"
    r"end of (?:the )?(?:year|quarter|month|q[1-4]|fiscal year|financial year)|by (?:the )?end of|"
    r"(?:by|in|before|until) 20\d\d|(?:in|over|within|during) the (?:coming|next (?:few|couple of)) (?:days|weeks|months)|"
    r"before (?:the|our) (?:fiscal|financial|new) year|"
    r"go[- ]live|deadline|(?:roll ?out|launch|start|live|running|in place)\b.{0,30}\b(?:by|in|before)\b",
    r"so schnell wie moglich|sofort|umgehend|dringend|zeitnah|dieses jahr|diesen monat|dieses quartal|"
    r"ende (?:des |dieses )?(?:jahres|quartals|monats)|jahresende|bis (?:ende|spatestens)|bis 20\d\d|"
    r"in den (?:kommenden|nachsten) wochen|baldmoglichst",
    r"des que possible|au plus vite|urgent|immediatement|rapidement|cette annee|ce mois|ce trimestre|"
    r"fin (?:de l'|d')annee|d'ici (?:la )?fin|avant (?:la fin|l'ete)|dans les (?:prochaines|semaines|mois) (?:a venir|semaines|mois)",
    r"lo antes posible|cuanto antes|urgente|inmediatamente|lo mas pronto|este ano|este mes|este trimestre|"
    r"(?:a )?finales? de(?:l)? ano|antes de(?:l)? (?:verano|fin)|en las proximas semanas",
    r"il prima possibile|al piu presto|quanto prima|subito|urgente|entro (?:la )?fine|entro l'estate|quest'anno|"
    r"questo (?:mese|trimestre)|fine anno|fine dell'anno|prima dell'estate",  # it
    r"zo snel mogelijk|\bzsm\b|zo spoedig mogelijk|dringend|dit jaar|deze maand|dit kwartaal|voor de zomer|"
    r"(?:voor|tegen) het einde van|eind dit jaar|einde van het jaar|de komende weken",  # nl
    r"o quanto antes|o mais rapido possivel|urgente|imediatamente|este ano|este mes|este trimestre|"
    r"ate o (?:fim|final) d[oa] (?:ano|mes|trimestre|semestre)|(?:fim|final) do ano|antes do verao|nas proximas semanas",  # pt
)

DEFER = rx(
    r"(?:contact|reach out to|reach|get back to|get in touch with|follow up with|write to|email|e-mail|ping|call|"
    r"talk to|speak to|come back to|try) (?:me|us)\b.{0,25}\b(?:again|in|after|next|around|later|closer|early|from|"
    r"towards?|at|by)\b",
    r"(?:write|get back|come back|reach out|talk|speak)(?: to)? (?:me|us) (?:then|at that point|at that time|again)|"
    r"pick (?:this|it|things|the conversation) (?:back )?up(?: again)?|once\b.{0,40}\b(?:lifts|is over|ends|is done|"
    r"is finished|has passed|settles)|check back|circle back|reach out again|try again|follow up (?:in|after|next)|revisit|ask (?:me|us) again|"
    r"not (?:right )?now|not at the moment|not at this time|not this (?:year|quarter)|maybe later|later this year|"
    r"too early|bad timing|not (?:a )?(?:priority|the right time) (?:right now|now|at the moment|this)|"
    r"(?:reconnect|talk|speak|revisit) (?:again )?(?:in|after|next)|on hold until|pause (?:this|until)",
    r"melden sie sich\b.{0,30}\b(?:wieder|erneut|im|nach|in|ab|nachste)|kontaktieren sie (?:mich|uns)\b.{0,20}\b"
    r"(?:wieder|erneut|im|nach|in|ab)|(?:derzeit|im moment|momentan|aktuell|gerade|zurzeit) (?:noch )?(?:nicht|kein)|"
    r"spater (?:wieder|nochmal|noch einmal)|(?:wieder|nochmal|erneut) (?:aufnehmen|aufgreifen|melden)|(?:fragen|melden) sie (?:bitte )?(?:im|nach|in)",
    r"recontacte[rz]|reprendre (?:contact|la discussion|cela|ca)|revenez vers|reprenez contact|pas pour (?:le moment|l'instant|maintenant)|plus tard|"
    r"(?:contactez|ecrivez|relancez)[- ](?:moi|nous)\b.{0,20}\b(?:en|apres|dans|a la|au|l'annee)",
    r"(?:contacte|contacta|escribe|escriba|escribir|contactar|llamar|llame|vuelva a contactar|vuelvan a contactar)"
    r"(?:me|nos)?\b.{0,20}\b"
    r"(?:de nuevo|otra vez|en|despues|dentro|el proximo|a partir)|ahora no|por ahora no|mas adelante|"
    r"en este momento no|todavia no es el momento",
    r"\bnot (?:before|until)\b|\berst (?:im|in|ab|nach|wieder|nachstes|nachsten|zum)\b|\bpas avant\b|"
    r"\bno (?:antes de|hasta)\b|\bnon prima d|\bniet voor\b|\bnao antes d|"
    r"(?:only|not) (?:becomes? |be )?relevant (?:again )?(?:in|from|after|next)",
    r"ricontatt\w*|risentiamoci|sentiamoci (?:a|dopo|tra|piu avanti)|piu avanti|(?:in questo momento|al momento|per ora) "
    r"no|non (?:e|sia) (?:una )?priorita|(?:scrivetemi|mi scriva|scrivermi|contattatemi|mi contatti)\b.{0,20}\b"
    r"(?:a|tra|dopo|di nuovo|nuovamente|piu avanti|in)\b",  # it
    r"neem\b.{0,25}\b(?:contact|opnieuw)|later (?:weer|nog eens|opnieuw)|op dit moment niet|nu (?:even )?niet|"
    r"benader (?:me|ons)\b.{0,15}\b(?:later|in|na|opnieuw)|(?:mail|bel) (?:me|ons)\b.{0,15}\b(?:later|in|na|opnieuw)",  # nl
    r"(?:entre|entrem|volte|voltem) (?:a entrar )?em contato\b.{0,20}\b(?:novamente|de novo|em|depois|daqui)|"
    r"retom\w* (?:o )?contato|mais (?:para|pra) frente|no momento nao|agora nao|mais tarde|"
    r"(?:fale|falem|escreva|escrevam)(?:-me| comigo)?\b.{0,20}\b(?:em|depois|novamente|de novo)",  # pt
)

INJECTION = rx(
    r"\b(?:ignore|disregard|forget|override|bypass|skip)\b.{0,40}\b(?:instructions?|rules|prompts?|guidelines|directives|"
    r"programming|guardrails|policies)\b|ignore (?:all |everything )?(?:the )?above",
    r"(?:system|initial|hidden|original|your) prompt|(?:reveal|show|print|repeat|tell me|what (?:is|are|were)|share|"
    r"output|give me)\b.{0,25}\b(?:your|the) (?:instructions|rules|configuration|guidelines|system message)",
    r"\byou are now\b|\bfrom now on,? you\b|\bact as (?:a|an|my|the)\b|\bpretend (?:to be|you)|developer mode|"
    r"jailbreak|new instructions|\bdo anything now\b|system override|admin override|\[system|\bsystem:|"
    r"(?:forward|hand|pass|route|escalate) (?:this|the|my) lead|(?:mark|record|set|flag|classify) (?:me|this lead|the lead|"
    r"us)\b.{0,20}\b(?:qualified|hot|as )|record (?:budget|authority|need|timeline)|qualification is (?:complete|done)|"
    r"\bsystem (?:note|notice|message|instruction|update|command)s?\s*:|\bnote to (?:the |any |all )?(?:ai|assistants?|"
    r"bots?|llms?|language models?)\b|(?:for|to) (?:any|the|all|an) (?:ai|llm|language model|bot|automated "
    r"(?:assistant|system|agent))s?\b.{0,15}\b(?:reading|processing|handling|parsing)|"
    r"\b(?:this|the) lead is (?:already )?(?:pre-?)?qualified|\bmark (?:me|us|the lead|this lead|this (?:email|thread|"
    r"contact))\b.{0,15}\b(?:as )?(?:qualified|hot|priority|high priority)|\bmark it\b.{0,10}\b(?:as )?(?:qualified|hot)\b|"
    r"new instructions? (?:for|to) (?:the |this )?(?:ai|assistant|bot|model|agent|you)\b|"
    r"treat (?:this lead|me|us|this email)\b.{0,20}\bqualified|as an ai,? you (?:must|are|will|should)",
    r"\b\d{1,3}\s?%\s?(?:off|discount|rabatt|nachlass|remise|de remise|de reduction|descuento|de descuento)|"
    r"(?:offer|give|grant|apply|approve|send) (?:me|us)\b.{0,25}\b(?:discount|for free|free of charge|free licen)|"
    r"(?:approve|give|grant|offer|send)\b.{0,30}\bfree (?:lifetime |unlimited )?(?:licen[cs]e|account|access|subscription)|"
    r"lifetime licen[cs]e for free",
    r"(?:other|your|all|existing) (?:customers?|clients?|leads?|users?|prospects?)'?s?\b.{0,30}\b(?:e-?mails?|addresses|"
    r"data|names|list|contacts|phone)|(?:list|names|e-?mails?|e-?mail addresses|addresses|contacts|contact details|details|"
    r"phone numbers?|data) of (?:your |all |the )?(?:other |existing )?(?:customers|clients|leads|users)|"
    r"customer list|client list",
    r"ignorier\w* (?:alle |deine |die |ihre )?(?:vorherigen |bisherigen |obigen )?(?:anweisungen|instruktionen|regeln)|"
    r"vergiss (?:alle |deine )?(?:anweisungen|regeln)|system-?prompt|du bist (?:jetzt|nun|ab sofort)|"
    r"zeige? (?:mir )?(?:deine|ihre) anweisungen|kundenliste|(?:adressen|daten|e-mails) (?:ihrer|anderer) kunden",
    r"ignore[zs]? (?:toutes )?(?:les |tes |vos )?(?:instructions|consignes|regles)|oublie[zs]? (?:tes |vos |les )"
    r"(?:instructions|consignes)|prompt systeme|tu es (?:maintenant|desormais)|vous etes (?:maintenant|desormais)|"
    r"liste (?:de |des )clients|(?:donnees|e-mails|adresses) (?:de |des )?(?:vos )?autres clients",
    r"ignora\w* (?:todas )?(?:las |tus |sus )?(?:instrucciones|reglas)|olvida\w* (?:tus |las |sus )?instrucciones|"
    r"prompt del sistema|(?:ahora|a partir de ahora) eres|lista de (?:sus |tus )?clientes|"
    r"(?:datos|correos|e-mails) de (?:otros|sus|tus) clientes",
    r"ignora (?:tutte )?(?:le )?(?:tue |sue )?(?:istruzioni|regole)|dimentica (?:le )?(?:tue )?istruzioni|"
    r"negeer (?:alle |je |uw )?(?:vorige |eerdere )?(?:instructies|regels)|ignore (?:as |suas |todas as )?(?:instrucoes|regras)|"
    r"esque[cç]a (?:as |suas )?instrucoes",
)

NEGATION = re.compile(r"\b(?:no|not|don't|dont|do not|never|without|kein\w*|nicht|pas|jamais|sans|ni|nunca|sin|"
                      r"aucun\w*|rather not|no need|non|nessun\w*|senza|niet|geen|nooit|zonder|nao|nem|sem)\b")
VAGUE = rx(
    r"not sure|unsure|no idea|(?:don't|do not|dont) know|hard to say|difficult to say|it depends|depends on|\btbd\b|"
    r"to be (?:determined|defined|decided)|unclear|we'll see|not (?:yet )?(?:decided|defined|clear)|no clue|i guess|"
    r"who knows|mull (?:it|this) over|think (?:it|this) over|let me think|(?:we|i)'ll think about|(?:works|is) fine "
    r"|possibly|at some point|when i (?:can|get (?:a chance|the time|round to it))|(?:we've|we have) got a lot on"
    r"(?:as it is|the way it is)|works the way it is|maybe|perhaps",
    r"weiss (?:ich )?(?:noch )?nicht|keine ahnung|unklar|noch offen|mal sehen|kommt darauf an|schwer zu sagen|"
    r"(?:muss|mussen) (?:ich|wir) (?:mir |uns )?(?:noch )?uberlegen|vielleicht",
    r"je ne sais pas|pas (?:encore )?sur|difficile a dire|on verra|ca depend|pas encore (?:defini|decide|clair)|"
    r"je vais (?:y )?reflechir|peut-etre",
    r"\bno (?:lo )?se\b|no estoy segur|depende|ya veremos|todavia no (?:lo )?sabemos|no (?:esta )?claro|"
    r"(?:lo )?pensare|tal vez|quizas",
    r"\bnon (?:lo )?so\b|\bforse\b|\bvedremo\b|\bdipende\b|weet (?:ik )?(?:het )?(?:nog )?niet|misschien|we zullen zien|"
    r"hangt (?:ervan )?af|\bnao sei\b|\btalvez\b|\bveremos\b",
)
QUESTION_START = re.compile(
    r"^(?:how|what|which|who|where|why|when|does|do you|do i|did|can you|can i|could you|is there|are there|is it|"
    r"are you|will it|would it|wie|was|welche\w*|wer|wo|warum|wann|gibt es|konnen sie|kann man|unterstutzt|"
    r"unterstutzen sie|bieten sie|habt ihr|haben sie|ist es|comment|quel\w*|qui|ou|pourquoi|quand|est-ce|"
    r"proposez|pouvez|avez-vous|offrez|combien|como|que|cual\w*|quien|donde|por que|cuando|ofrecen|tienen|pueden|"
    r"hay|es posible|cuanto|cosa|quale|quali|chi|dove|perche|quanto|potete|avete|offrite|e possibile|c'e|hoe|wat|"
    r"welke|waar|waarom|wanneer|kunt u|kunnen jullie|hebben jullie|heeft u|bieden jullie|o que|qual|quais|quem|onde|"
    r"podem|oferecem|e possivel|existe)\b(?!\s+(?:not|pas|nicht|no|non|niet|nao)\b\s*[.!]?$)")

# -- intents --------------------------------------------------------------------------------------

REQUEST = rx(
    r"\?|\b(?:can we|could we|can you|could you|let's|lets|i'd like|i would like|we'd like|we would like|would love|"
    r"love to|please|book|schedule|set up|arrange|organi[sz]e|happy to|open to|available|send|show|interested in|"
    r"want|need|keen|would be great|would help|when can|how about|konnen wir|konnten wir|gerne|gern|mochte|mochten|"
    r"wurde|wurden|bitte|vereinbaren|ausmachen|zeigen|pouvons|pourrions|pourriez|je voudrais|nous voudrions|"
    r"j'aimerais|nous aimerions|volontiers|organiser|planifier|fixer|envoyez|podemos|podriamos|me gustaria|"
    r"nos gustaria|quisiera|quisieramos|agendar|programar|organizar|envie|envien|mande|manden|find (?:some )?time|"
    r"possiamo|potremmo|potete|vorrei|vorremmo|mi interessa|ci interessa|volentieri|fissare|organizzare|inviate|mandate|"
    r"kunnen we|kunt u|graag|inplannen|plannen|afspreken|stuur|podemos|poderiamos|gostaria|gostariamos|marcar|enviem|"
    r"mandem|podem)\b")
MEETING = rx(
    r"\b(?:call|phone call|meeting|demo|demonstration|walk-?through|presentation|video ?call|zoom|teams call|"
    r"calendar invite|invite|slot|termin|vorfuhrung|gesprach|telefonat|videocall|telefonieren|treffen|"
    r"rendez-vous|rdv|appel|reunion|visio|echange|llamada|cita|videollamada|demostracion|"
    r"chiamata|incontro|appuntamento|videochiamata|dimostrazione|afspraak|gesprek|belafspraak|videogesprek|"
    r"kennismaking|demonstratie|reuniao|demonstracao|chamada|ligacao|videochamada)\b"
    r"|\b(?:a|quick|short|brief|phone|video|virtual|\d+[- ]min(?:ute)?) chat\b|\bchat (?:next|this|on|tomorrow|soon|"
    r"sometime|later this)\b|\bsee (?:it|this|the (?:tool|product|platform|software|app)) (?:in action|live)\b|"
    r"\b(?:find|grab|block|spare|set aside|book|schedule) (?:\w+ )?\d+\s?(?:minutes|mins?)\b|walk (?:me|us) through\b"
    r"|\b(?:call|phone|ring) (?:me|us)\b|\blet'?s (?:talk|meet|chat|connect|speak)\b|rufen sie (?:mich|uns) an|"
    r"appelez-(?:moi|nous)|llame(?:me|nos)|llamame|hablemos|when are you (?:free|available)")
QUOTE = rx(
    r"\b(?:send|give|get|share|need|want|like|request|provide|prepare|see|receive|have)\b.{0,30}\b(?:quote|quotation|"
    r"proposal|offer|pricing|price list|prices|price|cost estimate|estimate|costs)\b",
    r"how much (?:does|do|is|are|would|will|for)|what (?:does|do|would|will) (?:it|this|that|you|your \w+) cost|"
    r"what(?:'s| is| are| would be) (?:the |your )?(?:price|pricing|cost|rate)|\b(?:pricing|price|prices|cost)\s*\?",
    r"\bangebot\b|was kostet|wie ?viel kostet|was wurde\b.{0,20}\bkosten|\bpreise?\b|preisliste|\bkosten\b.{0,20}\?",
    r"\bdevis\b|combien (?:coute|ca coute|couterait)|quel (?:est |serait )?(?:le |votre )?(?:prix|tarif)|\btarifs?\b|"
    r"\bprix\b|proposition (?:commerciale|de prix|tarifaire)",
    r"preventivo|quanto cost(?:a|erebbe)|\bprezz[io]\b|listino|offerta (?:economica|commerciale)|\bofferte\b|"
    r"wat kost|\bprijs(?:opgave)?\b|\bprijzen\b|cotacao|quanto cust(?:a|aria)|tabela de precos|"
    r"(?:enviar|envie|enviem|mandar|mandem|fazer|faca|facam|preparar)\w* (?:um |o |uma )?(?:orcamento|proposta|cotacao)|"
    r"cotizacion|cuanto (?:cuesta|vale|costaria|cobran)|\bprecios?\b|propuesta (?:economica|comercial)|"
    r"(?:enviar|envie|envien|mandar|mande|manden|enviarnos|enviarme|mandarnos|mandarme)\w* (?:un |una |el |la )?"
    r"(?:presupuesto|oferta|cotizacion|propuesta)",
)
HUMAN = rx(
    r"(?:talk|speak|chat) (?:to|with) (?:a |an |some(?:one|body)|a real |your |an actual )?(?:human|person|real person|"
    r"someone|somebody|sales ?rep|salesperson|representative|account (?:executive|manager)|colleague of yours)",
    r"real person|human being|actual human|(?:are|is) (?:you|this) (?:a |an )?(?:bot|robot|ai|machine|automated|human|"
    r"real)\b|have (?:someone|somebody|a person|a rep) (?:call|contact|reach|get in touch)|"
    r"(?:can|could) (?:someone|somebody) (?:call|contact|reach)",
    r"(?:echten|richtigen) menschen|mit einem menschen|mit jemandem (?:sprechen|reden|telefonieren)|"
    r"personlichen ansprechpartner|(?:bist du|sind sie) ein (?:bot|roboter|mensch|ki)|einen vertriebler",
    r"vraie personne|un humain|parler a (?:quelqu'un|une personne|un commercial)|un commercial|"
    r"(?:etes-vous|es-tu) (?:un robot|une ia|humain)",
    r"persona real|un humano|hablar con (?:alguien|una persona|un comercial|un agente|un vendedor)|"
    r"(?:eres|es usted) (?:un bot|un robot|una ia|humano)|un comercial",
    r"persona reale|parlare con (?:qualcuno|una persona|un commerciale)|een echt(?:e)? persoon|met iemand (?:spreken|praten)|"
    r"een verkoper|pessoa real|falar com (?:alguem|uma pessoa|um vendedor|um consultor)",
    r"is (?:this|that) (?:an )?automated|(?:speak|talk) (?:to|with) (?:an? )?(?:actual|real) \w+",
)
NOT_INTERESTED = rx(
    r"not interested|no interest|no,? thanks|no,? thank you|not for us|not relevant (?:for|to) us|not a fit|"
    r"we(?:'re| are) (?:all )?(?:good|set|fine)(?: for now)?,? (?:thanks|thank you)|we(?:'ll| will) pass|"
    r"not looking for|don't see (?:a|the) need|no longer (?:interested|relevant)|happy with (?:our|the) (?:current|existing)|"
    r"no plans to change|(?:we're|we are) (?:sorted|covered)|sorted on that front|"
    r"(?:i|we) doubt (?:this|it|that)(?:'s| is| would be|'d be| will be)? (?:for us|a (?:good )?fit|relevant|right for us|"
    r"something for us)|(?:don't|do not) think (?:this|it|that)(?:'s| is| would be|'d be) (?:for us|a (?:good )?fit|"
    r"relevant|right for us|something for us)",
    r"kein interesse|nicht interessiert|kein bedarf|nein danke|nicht relevant fur uns|passt nicht zu uns|"
    r"zufrieden mit (?:unserer|der|dem) (?:aktuellen|jetzigen|bestehenden)|fur uns (?:damit )?erledigt",
    r"pas interesse|pas d'interet|non merci|ne nous interesse pas|ne m'interesse pas|pas pertinent pour nous|"
    r"satisfaits de (?:notre|la) solution (?:actuelle|existante)",
    r"no (?:nos |me )?interesa|no estamos interesados|no estoy interesad|no,? gracias|no es para nosotros|"
    r"content[oa]s con (?:nuestra|la) (?:solucion|herramienta) actual",
    r"non (?:mi|ci) interessa|non siamo interessati|no,? grazie|non fa per noi|geen interesse|niet geinteresseerd|"
    r"nee,? dank|niet voor ons|nao (?:tenho|temos) interesse|nao (?:estou|estamos) interessad|nao,? obrigad|nao e para nos",
)
NO_NEED = rx(
    r"(?:we|i) (?:don't|do not|dont) (?:really )?(?:need|require|have (?:a |any )?(?:need|use))|no (?:real )?need for "
    r"(?:this|that|it|such|a tool|a solution|your|the product|something)|no use for|(?:we )?(?:already )?(?:do|handle|"
    r"build|solve) (?:this|that|it) in-house|(?:don't|do not) have (?:this|that|the) problem|no need on our (?:side|end)|"
    r"already covers?\b|(?:is|are) already covered|(?:wouldn't|would not|won't) be (?:of )?(?:any )?use|no use to us|"
    r"useless for us",
    r"kein bedarf|brauchen (?:wir|das|so etwas) (?:nicht|kein)|haben (?:wir )?(?:dieses|das|kein) problem nicht|"
    r"benotigen (?:wir )?(?:das |so etwas )?nicht|bringt uns nichts|wurde uns nichts bringen|deckt (?:bereits|schon) ab",
    r"pas besoin|n'avons pas besoin|aucun besoin|n'en avons pas besoin|ne nous (?:servirait|sert) a rien|"
    r"couvre deja",
    r"no (?:lo )?necesitamos|no tenemos necesidad|no nos hace falta|no nos (?:serviria|sirve) de nada|ya cubre",
    r"(?:we )?(?:built|developed|wrote|made) (?:\w+ ){0,3}(?:ourselves|in-house|internally)|"
    r"selbst (?:entwickelt|gebaut|programmiert)|eigenentwicklung|intern entwickelt|(?:sind|bin) (?:damit|mit (?:unserer|"
    r"unserem|der|dem) \w+) (?:sehr |vollig |voll und ganz |absolut )?zufrieden|developpe\w* (?:en interne|nous-memes)|"
    r"solution maison|desarrollad[oa] internamente|herramienta propia",
    r"non (?:ne )?abbiamo bisogno|non ci serve|sviluppat[oa] internamente|geen behoefte|hebben (?:dit|dat|het) niet nodig|"
    r"zelf ontwikkeld|nao precisamos|nao temos necessidade|desenvolv\w* internamente",
)
BOUGHT = rx(
    r"already (?:bought|purchased|signed|chose|chosen|selected|have a (?:solution|tool|vendor|provider)|went|"
    r"licensed|implemented|decided|committed|rolled out)|(?:just|recently|last (?:month|week|year)) (?:bought|purchased|"
    r"signed|chose|selected|went with|implemented|switched to|renewed)|(?:went|gone|decided to go) with (?:another|"
    r"a different|a competitor|[a-z]+)|chose (?:another|a different|a competitor)|signed (?:a contract )?with (?:another|"
    r"a different|[a-z]+)|locked into a contract|under contract with|signed (?:up )?for (?:\w+ )?(?:years?|months?)|"
    r"(?:rolled out|deployed|implemented|introduced) \w+ (?:across|company-wide|last|earlier|this year)|"
    r"(?:contract|agreement) with (?:another|a different|a competing) (?:vendor|provider|supplier)|"
    r"abbiamo (?:gia )?(?:scelto|firmato|acquistato)|con un altro fornitore|al gekozen voor|al een contract|"
    r"met een andere leverancier|hebben al (?:een )?(?:oplossing|leverancier)|ja (?:assinamos|compramos|escolhemos|"
    r"contratamos|fechamos|temos (?:uma|um) (?:solucao|fornecedor|ferramenta))|com outro fornecedor|"
    r"with (?:another|a different) (?:vendor|provider|supplier)",
    r"bereits (?:gekauft|erworben|eine losung|entschieden|im einsatz|einen vertrag|lizenziert)|haben (?:uns )?(?:bereits |"
    r"schon )?fur (?:\w+ )?(?:\w+ )?entschieden|schon (?:gekauft|eine losung|einen anbieter)|"
    r"(?:vertrag|dreijahresvertrag|jahresvertrag)\b.{0,40}\b(?:anderen|fremden) anbieter|mit einem anderen anbieter",
    r"deja (?:achete|choisi|signe|opte|equipes?|une solution|un prestataire|un fournisseur)|avons (?:deja )?(?:choisi|"
    r"opte pour|signe avec)|avec un autre (?:prestataire|fournisseur|editeur)",
    r"ya (?:compramos|hemos comprado|elegimos|hemos elegido|firmamos|contratamos|hemos contratado|tenemos (?:una|un) "
    r"(?:solucion|proveedor|herramienta)|optamos)|con otro proveedor",
)
STUDENT = rx(
    r"i'?m (?:a |an )?(?:student|intern|phd candidate)|i am (?:a |an )?(?:student|intern)|my (?:thesis|dissertation|"
    r"homework|class project|course|university project|school project)|for a (?:school|university|class|research) project",
    r"ich bin (?:student|studentin|praktikant|praktikantin)|meine (?:bachelorarbeit|masterarbeit|abschlussarbeit|"
    r"seminararbeit)|fur (?:mein studium|die uni)",
    r"je suis (?:etudiant|etudiante|stagiaire)|mon (?:memoire|projet (?:d'etudes|universitaire))",
    r"soy (?:estudiante|becario|becaria)|mi (?:tesis|trabajo de fin de grado|proyecto universitario)",
    r"sono (?:uno |una )?(?:studente|studentessa|stagista)|la mia tesi|ik ben (?:student|stagiair)|mijn scriptie|"
    r"sou (?:estudante|estagiari[oa])|meu tcc|minha (?:tese|dissertacao)|(?:i'?m|i am) (?:a |an )?\w+ student doing|"
    r"(?:doing|for|writing) (?:a |my |our )?(?:university|uni|school|college|class|student) (?:project|assignment|paper)",
)
COMPETITOR = rx(
    r"we(?:'re| are) (?:a |your )?(?:competitor|competing vendor)|we (?:also )?(?:sell|build|offer|make|develop) "
    r"(?:a )?(?:similar|the same|competing)|competitive (?:research|analysis|intelligence)|\bwe(?:'re| are)\b.{0,20}\bcompetitors?\b|"
    r"we(?:'re| are) (?:actually |also |currently )?(?:building|selling|developing|making|offering|launching) "
    r"(?:a |an |our own )?(?:similar|competing|comparable|rival)|"
    r"we (?:build|make|sell|develop) (?:a |an |our own )?[\w-]+ (?:\w+ )?ourselves|(?:reseller|partner) of \w+",
    r"wir sind (?:ein |ihr )?(?:wettbewerber|konkurrent|mitbewerber)|wir (?:bieten|verkaufen|entwickeln) "
    r"(?:ein )?(?:ahnliches|das gleiche)",
    r"nous sommes (?:un |votre )?concurrent|nous (?:vendons|proposons|developpons) (?:un produit )?(?:similaire|la meme)",
    r"somos (?:un |su |tu )?(?:competidor|competencia)|(?:vendemos|ofrecemos|desarrollamos) (?:algo )?(?:similar|lo mismo)",
)
WRONG_PERSON = rx(
    r"(?:i'?m|i am) not (?:the )?(?:right|correct|best|appropriate|relevant) (?:person|contact|one)|wrong person|"
    r"not (?:really |quite |exactly )?(?:my|in my) (?:area|department|remit|responsibility)|(?:you should|better|best to|please|you'll want to|"
    r"you may want to|you might want to) (?:talk|speak|reach out|write|contact|get in touch|email)\b(?! me)|"
    r"(?:handles|is responsible for|takes care of|owns|is in charge of|looks after) (?:this|that|these|it|such|our|all)|"
    r"(?:forward|forwarded|forwarding|passing|passed|cc'?(?:ed|ing)?) (?:this|your (?:e-?mail|message|note))",
    r"nicht (?:der|die) (?:richtige|passende|zustandige)|nicht zustandig|wenden sie sich (?:bitte )?an|ist (?:dafur |hierfur )?"
    r"zustandig|(?:kontaktieren|schreiben) sie (?:bitte )?(?:meine?n? kolleg|herrn|frau)|leite (?:ihre|die) (?:mail|nachricht)",
    r"pas (?:la|le) (?:bonne|bon) (?:personne|interlocut)|pas (?:de )?mon ressort|(?:contactez|adressez-vous a|voyez avec|"
    r"ecrivez a) (?:plutot )?(?:mon|ma|notre|m\.|mme|madame|monsieur|[a-z]+@)|s'occupe de (?:ce|cela|ca|ces)|"
    r"(?:je transmets|j'ai transmis) (?:votre|ce)",
    r"no soy la persona (?:adecuada|indicada|correcta)|(?:contacte|hable|escriba|contacta|habla|escribe) (?:con |a )"
    r"(?:mi |nuestr[oa] )?(?:colega|companer[oa]|responsable|jefe|sr|sra|[a-z]+@)|se encarga de|es (?:el |la )?responsable de|"
    r"(?:reenvio|he reenviado) (?:su|tu|este) (?:correo|mensaje)",
    r"non sono la persona (?:giusta|adatta|corretta)|non e di mia competenza|se ne occupa|(?:contatti|scriva a|si rivolga a) "
    r"(?:il mio|la mia|il nostro|la nostra) (?:collega|responsabile)|ik ben niet de (?:juiste|aangewezen) persoon|"
    r"(?:neem contact op met|mail|benader) (?:mijn|onze) (?:collega|manager)|nao sou a pessoa (?:certa|indicada|correta)|"
    r"(?:fale|falem|entre em contato) com (?:meu|minha|nosso|nossa) (?:colega|responsavel|gerente)",
)
COMPLAINT = rx(
    r"(?:i|we) (?:want to |would like to |must )?complain|file a complaint|this is a complaint|unacceptable|this is spam|"
    r"stop spamming|how did you get my (?:e-?mail|address|data|details)|"
    r"where did you get my|harass",
    r"beschwere mich|beschwerde einreichen|unverschamt|woher haben sie meine|belastigung|das ist spam",
    r"porter plainte|je me plains|inacceptable|ou avez-vous (?:eu|trouve|obtenu) mes|harcelement",
    r"presentar una queja|me quejo|inaceptable|de donde (?:sacaron|obtuvieron|tienen) mi|acoso",
)
LEGAL = rx(
    r"\bcontract|\bdpa\b|data processing agreement|terms (?:and|&) conditions|\bt&cs?\b|liabilit|indemn|\blegal\b|"
    r"lawyer|\bmsa\b|warrant(?:y|ies)",
    r"vertrag|\bavv\b|\bagb\b|haftung|rechtsabteilung|juristisch|anwalt",
    r"contrat|juridique|\bcgv\b|responsabilite civile|avocat",
    r"contrato|juridic|clausula|abogado",
)
PRICING_QUESTION = rx(
    r"\b(?:discount\w*|negotiable|payment terms|invoice|billing|rabatt|nachlass|verhandelbar|zahlungsbedingungen|remise|"
    r"negociable|conditions de paiement|descuento|condiciones de pago|facturacion|factura)\b",
)
POSITIVE = rx(
    r"\binterest(?:ed|ing)\b|sounds (?:good|great|interesting|promising|useful|relevant|exciting)|tell me more|"
    r"(?:happy|glad|keen|eager) to (?:hear|learn|talk|chat|see|try|explore|discuss)|(?:hear|learn|know) more|"
    r"would love|i'd love|looks (?:good|great|interesting|promising|useful)|curious|exactly what we need|"
    r"could (?:really )?help|relevant for us|makes sense|good timing|let's (?:do|go|move)",
    r"klingt (?:gut|interessant|spannend|vielversprechend|sinnvoll)|interessiert|interessant|gerne mehr|mehr erfahren|"
    r"erzahlen sie (?:mir )?mehr|genau das|konnte (?:uns )?helfen",
    r"ca m'interesse|interesse|interessant|volontiers|en savoir plus|prometteur|exactement ce qu",
    r"me interesa|nos interesa|interesante|suena (?:bien|interesante|genial)|saber mas|cuenteme mas|cuentame mas|"
    r"justo lo que",
    r"mi interessa|ci interessa|interessante|klinkt (?:interessant|goed|prima)|\binteressant\b|tenho interesse|"
    r"temos interesse|parece (?:bom|otimo|interessante)",
)
FIRST_PERSON = re.compile(r"\b(?:we|our|us|i|my|wir|unser\w*|uns|ich|mein\w*|nous|notre|nos|je|mon|ma|mes|"
                          r"nosotros|nuestr\w*|yo|mi|mis)\b")
