"""An agent's knowledge: a folder of Markdown/text files, chunked into cited snippets, searched with BM25.

Files are whatever the operator keeps there: product facts, FAQ, the pricing
policy (a file named ``pricing*.md``: what may be said about prices), battle
cards, follow-up material. Each file is cut at headings and blank lines into
snippets with stable ids ``<file>#<n>`` (n counts from 1 in file order), so a
citation in agent_runs still points at the same text until the file changes.

Retrieval is a compact Okapi BM25 over a multilingual tokenizer (accents
folded, a few suffixes stripped, en/de/fr/es stop words dropped). bm25s was
measured too: on a few hundred snippets both answer in well under a
millisecond, and bm25s would add numpy (45 MB) for no gain at this size.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqa.agents.engines.base import Snippet

SUFFIXES = ("ations", "ation", "ungen", "ement", "mente", "ions", "ness", "ings", "ing", "ung", "ies", "ed", "es",
            "en", "er", "e", "s")
MIN_STEM = 3
MAX_CHUNK_CHARS = 1200
EXTENSIONS = (".md", ".markdown", ".txt")

STOPWORDS = frozenset("""
a about above after again all also am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers him his how i
if in into is it its itself just me more most my no nor not now of off on once only or other our ours out over own
same she should so some such than that the their theirs them then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your yours yourselves us let
get got please thanks thank hi hello dear regards best
aber alle als also am an auch auf aus bei bin bis bist da damit dann das dass dem den der des die dies diese dieser
doch dort du durch ein eine einem einen einer eines er es etwas euch euer für gibt hat hatte haben hier ich ihr ihre
im in ist ja jede jedoch kann kein keine können mich mir mit muss nach nicht noch nun nur ob oder ohne sehr sein sich
sie sind so über um und uns unser unsere vom von vor war was weil welche wenn wer werden wie wir wird wo zu zum zur
danke bitte hallo grüße gruss
au aux avec ce ces cet cette dans de des du elle en est et eux il ils je la le les leur lui ma mais me meme mes moi
mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous
merci bonjour cordialement est-ce
al algo como con cual de del el ella ellos en entre era es esa ese eso esta este esto estos hay la las le les lo los
mas me mi mis muy nos nosotros o para pero por que se sin sobre su sus también te tu tus un una unas uno unos y ya
usted ustedes gracias hola saludos
""".split())

# a few words product questions use in every language, mapped to one term (retrieval and answer checks)
GLOSSARY = {
    "data": "daten donnees datos dati",
    "store": "stored storage gespeichert speichern speicherung speicher stocke stockees stockage heberge hebergees "
             "hebergement almacenan almacenados almacenamiento alojados hosted hosting gehostet",
    "integration": "integrate integrates integrated integrations integriert integrieren schnittstelle schnittstellen "
                   "integracion integraciones integre connector connectors anbindung connecteur conector conectores",
    "price": "pricing prices cost costs preis preise kosten prix tarif tarifs precio precios coste costo",
    "center": "centre centers centres rechenzentrum rechenzentren",
    "europe": "eu european europa europaische europeen europeens europeo europeos",
    "language": "languages sprache sprachen langue langues idioma idiomas",
    "user": "users nutzer benutzer utilisateur utilisateurs usuario usuarios",
    "report": "reports reporting berichte bericht rapport rapports informe informes",
    "delivery": "deliveries lieferung lieferungen livraison livraisons entrega entregas",
    "photo": "photos foto fotos",
    "employee": "employees mitarbeiter employes empleados staff",
    "invoice": "invoices rechnung rechnungen facture factures factura facturas",
    "training": "trainings schulung schulungen formation formations formacion",
    "app": "apps application mobile",
    "restore": "restores wiederherstellung wiederherstellen restauration restaurer restauracion restaurar",
    "backup": "backups sicherung sicherungen sauvegarde sauvegardes copia copias",
    "support": "unterstutzen unterstutzt prend soporta admite",
    "calendar": "calendars kalender calendrier calendario",
    "mobile": "handy smartphone movil",
}

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


class KnowledgeError(Exception):
    """The knowledge folder cannot be read."""


def fold(text: str) -> str:
    """Lower case without accents ("Qualité" -> "qualite", "Größe" -> "grosse")."""
    text = text.lower().replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def stem(word: str) -> str:
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def _canonical() -> dict[str, str]:
    table = {}
    for key, words in GLOSSARY.items():
        for word in (key, *words.split()):
            table[stem(fold(word))] = stem(key)
    return table


def tokens(text: str) -> list[str]:
    """Content terms of a text: folded, stop words dropped, lightly stemmed (any of en, de, fr, es)."""
    out = []
    for raw in _WORD.findall(text.lower()):
        if raw in STOPWORDS:
            continue
        word = fold(raw).replace("’", "'")
        for part in re.split(r"['-]", word):
            if len(part) >= 2 and part not in STOPWORDS and not part.isdigit():
                term = stem(part)
                out.append(_CANONICAL.get(term, term))
            elif part.isdigit():
                out.append(part)
    return out


_CANONICAL: dict[str, str] = {}
_CANONICAL.update(_canonical())


def _paragraphs(body: str) -> Iterable[tuple[str, str]]:
    """(heading, paragraph) pairs of one Markdown/text file, in order."""
    heading = ""
    lines: list[str] = []

    def flush() -> Iterable[tuple[str, str]]:
        text = " ".join(" ".join(lines).split())
        lines.clear()
        if text:
            yield heading, text

    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            yield from flush()
            heading = match.group(1).strip()
        elif not line.strip():
            yield from flush()
        else:
            lines.append(line.strip().lstrip("-*+> ").strip() if line.lstrip().startswith(("- ", "* ", "+ ", "> ")) else line)
    yield from flush()


def _split_long(text: str) -> list[str]:
    if len(text) <= MAX_CHUNK_CHARS:
        return [text]
    parts, current = [], ""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if current and len(current) + len(sentence) + 1 > MAX_CHUNK_CHARS:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        parts.append(current)
    return parts


@dataclass(frozen=True, slots=True)
class _Doc:
    snippet: Snippet
    heading: str
    terms: Counter[str]
    length: int


@dataclass(slots=True)
class KnowledgeBase:
    """Snippets of one agent's knowledge and a BM25 index over them."""

    snippets: tuple[Snippet, ...] = ()
    headings: dict[str, str] = field(default_factory=dict)  # snippet id -> its heading ("" when none)
    k1: float = 1.5
    b: float = 0.75
    _docs: list[_Doc] = field(default_factory=list, repr=False)
    _df: Counter[str] = field(default_factory=Counter, repr=False)
    _avg_len: float = 1.0

    def __post_init__(self) -> None:
        self._docs = []
        for snip in self.snippets:
            heading = self.headings.get(snip.id, "")
            terms = Counter(tokens(f"{heading} {snip.text}"))
            self._docs.append(_Doc(snip, heading, terms, sum(terms.values())))
        self._df = Counter(term for doc in self._docs for term in doc.terms)
        self._avg_len = (sum(d.length for d in self._docs) / len(self._docs)) if self._docs else 1.0

    # -- building -------------------------------------------------------------------------

    @classmethod
    def from_texts(cls, texts: Mapping[str, str]) -> KnowledgeBase:
        """{file name: text} -> snippets "<file>#<n>" (paragraphs under headings, long ones cut at sentences)."""
        snippets: list[Snippet] = []
        headings: dict[str, str] = {}
        for name in sorted(texts):
            n = 0
            for heading, paragraph in _paragraphs(texts[name]):
                for piece in _split_long(paragraph):
                    n += 1
                    sid = f"{name}#{n}"
                    snippets.append(Snippet(id=sid, source=name, text=piece, title=heading))
                    headings[sid] = heading
        return cls(tuple(snippets), headings)

    @classmethod
    def from_dir(cls, path: Path | str) -> KnowledgeBase:
        """Every .md/.markdown/.txt file directly in the folder (sorted by name)."""
        folder = Path(path)
        if not folder.is_dir():
            raise KnowledgeError(f"knowledge_dir {folder}: not a directory")
        texts = {}
        for file in sorted(folder.iterdir()):
            if file.is_file() and file.suffix.lower() in EXTENSIONS and not file.name.startswith("."):
                try:
                    texts[file.name] = file.read_text(encoding="utf-8", errors="replace")
                except OSError as exc:
                    raise KnowledgeError(f"knowledge_dir {folder}: cannot read {file.name}: {exc.strerror}") from None
        return cls.from_texts(texts)

    # -- queries --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.snippets)

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every (stemmed) content term of the knowledge."""
        return frozenset(self._df)

    def idf(self, term: str) -> float:
        n, df = len(self._docs), self._df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def is_pricing(self, snippet: Snippet) -> bool:
        return snippet.source.lower().startswith("pricing")

    def search(self, query: str, k: int = 3) -> list[Snippet]:
        """The k best snippets for the query (BM25 score > 0), best first; ties keep file order."""
        if not self._docs:  # no knowledge: nothing to read the query for
            return []
        terms = set(tokens(query))
        if not terms:
            return []
        scored = []
        for index, doc in enumerate(self._docs):
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * doc.length / self._avg_len)
            for term in terms:
                tf = doc.terms.get(term)
                if tf:
                    score += self.idf(term) * tf * (self.k1 + 1) / (tf + norm)
            if score > 0:
                scored.append((-score, index, doc.snippet))
        scored.sort()
        return [replace(s, score=round(-neg, 4)) for neg, _, s in scored[:k]]

    def coverage(self, query: str, snippet: Snippet) -> float:
        """Share of the query's content terms (idf-weighted) that the snippet (with its heading) contains."""
        terms = set(tokens(query))
        if not terms:
            return 0.0
        have = set(tokens(f"{self.headings.get(snippet.id, '')} {snippet.text}"))
        total = sum(self.idf(t) for t in terms)
        return sum(self.idf(t) for t in terms if t in have) / total if total else 0.0


EMPTY = KnowledgeBase()
