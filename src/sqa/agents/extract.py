"""Deterministic extraction from the lead's NEW reply text (en, de, fr, es; common it, nl, pt phrasings): BANT, intents, interest, injection.

Everything is decided per sentence, so a mail that answers several BANT
questions fills several slots, and a sentence that tries to instruct the agent
(prompt injection) is flagged and then ignored for everything else: it can
neither fill a slot nor raise an intent. The rules are phrasings (lexicon.py),
never particular messages.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqa.agents import lexicon as lx
from sqa.agents.engines.base import Intent, Slot
from sqa.agents.lexicon import fold, rx

EVIDENCE_CHARS = 300

CUR = r"(?:eur|euros?|€|\$|usd|us\$|r\$|dollars?|bucks|gbp|£|pounds?|chf|francs?|k€|k\$|reais|brl|zloty|pln|sek|nok|dkk)"
NUM = r"(?:\d{1,3}(?:[.,' ]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
MULT = r"(?:k|m|mio\.?|million(?:s|en|es)?|mn|thousand|tausend|mille|mil|tsd\.?|grand)"
AMOUNT = re.compile(rf"(?:(?P<pre>{CUR})\s?)?(?P<num>{NUM})\s?(?P<mult>{MULT}\b)?\s?(?P<post>{CUR}(?![a-z]))?")
RANGE = re.compile(rf"(?:between|zwischen|entre)\s+(?:{CUR}\s?)?{NUM}\s?(?:{MULT}\b)?\s?(?:{CUR})?\s+(?:and|und|et|y|to|bis)\s+"
                   rf"(?:{CUR}\s?)?{NUM}\s?(?:{MULT}\b)?\s?(?:{CUR}(?![a-z]))?"
                   rf"|(?:{CUR}\s?)?{NUM}\s?(?:{MULT}\b)?\s?(?:-|–|to|bis|a)\s?(?:{CUR}\s?)?{NUM}\s?(?:{MULT}\b)?\s?(?:{CUR}(?![a-z]))?")
# "six figures", "mid five-figure range": an amount in words
FIGURES = re.compile(r"\b(?:(?:low|mid|high|lower|upper)[- ])?(?:four|five|six|seven|eight|4|5|6|7)[- ]figures?\b")
BUDGET_WORD = re.compile(r"budget|presupuesto|orcamento|spend|invest|afford|set aside|allocated|earmarked|willing to pay|"
                         r"reserved|put (?:aside|behind)|stanziat|spendere|uitgeven|"
                         r"ausgeben|investieren|eingeplant|vorgesehen|zur verfugung|mittel|enveloppe|depenser|investir|"
                         r"prevu|gastar|invertir|destinado|asignado|range|rahmen|fourchette|rango")
THRESHOLD = re.compile(r"\b(?:above|over|more than|exceeding|beyond|upwards of|uber|ab|au-dela de|plus de|mas de|"
                       r"por encima de|oltre|boven|acima de)\s+(?:\S+\s+)?$")
SIGNING = re.compile(r"sign|approv|sign-?off|freigab|genehmig|unterschreib|valid|signe|firma|aprueb|approva|goedkeur|aprova")
# a period makes "15k a year" money, but "3,000 invoices per month" stays a count: only with a multiplier
PERIOD_WORD = re.compile(r"per (?:year|month|user|seat)|pro (?:jahr|monat)|par an|al ano|annual|jahrlich|annuel|anual|"
                         r"p\.a\.|l'anno|all'anno|per jaar|per maand|por ano|ao ano|por mes|ao mes")
BUDGET_NONE = rx(
    r"no budget|(?:don't|do not|dont|won't|will not) have (?:a |any )?budget|budget (?:is |has )?(?:not|n't) (?:yet )?(?:been )?"
    r"(?:approved|allocated|defined|set|available|planned)|without (?:a )?budget|zero budget|budget is (?:zero|frozen)",
    r"kein(?:e|en)? budget|budget (?:ist )?(?:noch )?nicht (?:freigegeben|genehmigt|vorhanden|eingeplant)",
    r"pas (?:encore )?de budget|aucun budget|budget (?:n'est )?pas (?:encore )?(?:valide|approuve|prevu|defini)",
    r"(?:sin|ningun) presupuesto|no (?:tenemos|hay) (?:un |ningun )?presupuesto|presupuesto (?:aun |todavia )?no",
    r"nessun budget|non (?:abbiamo|c'e) (?:ancora )?(?:un |il )?budget|geen budget|(?:nog )?geen budget|sem orcamento|"
    r"nao (?:temos|ha) (?:um |nenhum )?orcamento|ainda nao (?:temos|ha) orcamento",
)
BUDGET_OK = rx(
    r"budget (?:is |has been |was |got )?(?:approved|allocated|signed off|secured|in place|available|set aside|"
    r"confirmed|there|reserved|earmarked)|(?:approved|allocated|secured|dedicated) budget|(?:we|i) have (?:a |the |some )?"
    r"budget|budget (?:for this|for it) (?:exists|is ok)|is approved|"
    r"approved (?:the |a |an |our |this )?(?:\w+ )?(?:spend|spending|budget|investment|purchase|funding|money|project)|"
    r"(?:spend|spending|funding|investment|money|funds) (?:is|are|has been|have been|was) (?:already )?(?:approved|"
    r"signed off|secured|available|allocated|there|in place)|budget'?s? (?:is )?(?:there|in place|not (?:an|the) (?:issue|"
    r"problem))|budget (?:isn't|is not) (?:an|the) (?:issue|problem)",
    r"budget (?:ist )?(?:bereits )?(?:freigegeben|genehmigt|vorhanden|eingeplant|da|reserviert)|(?:haben|gibt es) (?:ein |das )?"
    r"budget",
    r"budget (?:est )?(?:deja )?(?:valide|approuve|prevu|disponible|alloue|debloque)|(?:nous )?avons (?:un |le |du )?budget",
    r"presupuesto (?:ya )?(?:esta )?(?:aprobado|asignado|disponible|reservado)|tenemos (?:el |un )?presupuesto",
    r"(?:il )?budget (?:c'e|e (?:gia )?(?:approvato|stanziato|disponibile))|abbiamo (?:un |il |del )?budget|"
    r"budget is (?:goedgekeurd|vrijgemaakt|beschikbaar|er)|we hebben (?:een |het )?budget|"
    r"temos (?:um |o )?orcamento|orcamento (?:ja )?(?:esta )?(?:aprovado|disponivel|reservado)",
)
AUTH_SELF = rx(
    r"\bi (?:alone |personally )?(?:decide|make (?:the|all|those|these|that) (?:final )?decisions?|am the (?:final )?"
    r"decision[- ]?maker|sign off|have (?:the )?final say|own the budget|approve (?:it|this|purchases))|"
    r"it'?s my (?:call|decision)|decision is mine|i'?m the (?:one who decides|decision[- ]?maker|budget owner)|"
    r"(?:just|only) me\b|i'?m the only one|the decision is (?:up to )?me|up to me|"
    r"i'?m the one who(?:'d| would| will| has to| gets to)? (?:signs?|decides?|approves?|makes?)|"
    r"i (?:sign|approve) (?:it |this |that )?off|(?:decision|call|sign-?off) (?:sits|lies|rests|is) with (?:me|(?:\w+ ){1,2}and me|me and)\b|"
    r"\bi(?:'d| would| will| can) (?:sign|approve|decide)\b",
    r"\bich (?:entscheide|treffe die entscheidung|bin (?:der|die) (?:entscheider|entscheiderin|budgetverantwortliche))|"
    r"entscheide ich|(?:nur|allein) ich|liegt bei mir",
    r"\bje (?:decide|prends la decision|suis (?:le |la )?decideu)|c'est moi qui decide|(?:seulement|que) moi\b|"
    r"la decision me revient",
    r"\b(?:yo )?decido yo|\byo decido|la decision es mia|soy (?:quien|el que|la que) decide|yo tomo la decision|"
    r"(?:la )?tomo yo|lo decido yo|"
    r"(?:solo|solamente) yo\b|depende de mi",
    r"decido io|sono io (?:a decidere|che decido)|la decisione (?:e|spetta) (?:mia|a me)|\bik beslis|beslis ik|"
    r"ik neem de beslissing|de beslissing ligt bij mij|\beu decido|decido eu|a decisao e minha|sou eu quem decide",
)
AUTH_OTHERS = rx(
    r"\b(?:my|our|the) (?:manager|boss|ceo|cfo|cto|coo|cio|board|director|vp|head of \w+|owner|founder|management|"
    r"leadership|it department|finance (?:team|department)|partners?)\b.{0,40}\b(?:decides?|approves?|signs?|final|sign[- ]off|"
    r"decision|involved|needs? to|has to|must|will have)",
    r"\b(?:decides?|decision|decided|approv\w*|sign[- ]off|signs? off|signature)\b.{0,40}\b(?:ceo|cfo|cto|coo|board|manager|"
    r"boss|procurement|purchasing|management|director|committee|leadership|owner|founder|team|partners?)\b",
    r"\b(?:he|she|they) (?:decides?|makes the call|signs off|approves)|together with (?:our|my|the) |(?:need|needs|require) (?:sign[- ]off|approval|a green light) from|procurement|"
    r"purchasing (?:department|team)|buying committee|steering committee|we decide (?:together|as a team)|"
    r"\b(?:my|our|the) (?:\w+ )?committee\b|goes through (?:our |the )?(?:procurement|purchasing|legal|board|"
    r"committee|finance|cfo|ceo|it)|(?:decision|call|sign-?off) (?:sits|lies|rests|is) with (?:our|my|the)\b|"
    r"\b(?:co-?founder|partner|business partner) and i\b|\bi (?:decide|sign) (?:with|together with)",
    r"einkauf|geschaftsfuhrung|geschaftsfuhrer|vorgesetzte|vorstand|(?:mein|meine|unser|unsere) (?:chef|chefin|"
    r"cfo|ceo|cto|it-leiter|it-abteilung|finanzabteilung)|gemeinsam mit (?:unserem|unserer|meinem|meiner)|"
    r"\b(?:er|sie) entscheidet|wir entscheiden gemeinsam|freigabe (?:durch|von)|entscheidet (?:unser|mein|der|die)",
    r"\bachats\b|la direction|(?:mon|ma|notre) (?:responsable|directeur|directrice|patron|dg|daf|pdg|dsi|comite)|"
    r"avec (?:notre|mon|ma) (?:daf|dg|pdg|cfo|ceo|directeur|directrice)|nous decidons ensemble|c'est (?:lui|elle|eux) qui decide|validation (?:par|de) (?:la|notre|mon)",
    r"\bcompras\b|la direccion|(?:mi|nuestro|nuestra) (?:jefe|jefa|director|directora|gerente|cfo|ceo|junta|comite)|"
    r"decide (?:el|la|mi|nuestro|nuestra)|decidimos juntos|(?:el|ella) decide|junto con (?:el|la|nuestro|nuestra|mi)|aprobacion (?:de|del)|"
    r"(?:que )?es quien decide",
    r"(?:il nostro|la nostra|il mio|la mia) (?:direttore|direttrice|titolare|amministratore|cfo|ceo|responsabile|capo)|"
    r"insieme (?:al|alla|con il|con la)|ufficio acquisti|decide (?:il|la)|"
    r"samen met (?:onze|mijn|de)|(?:onze|mijn) (?:directeur|baas|manager|cfo|ceo|directie)|\binkoop\b|de directie|beslist|"
    r"junto com (?:o|a|nosso|nossa|meu|minha)|(?:nosso|nossa|meu|minha) (?:diretor|diretora|socio|chefe|cfo|ceo|gerente)|"
    r"\bcompras\b|quem decide",
)
# who approved the money is the budget, not the buying decision ("our board signed off on a budget of 80k")
BUDGET_APPROVER = re.compile(
    r"\b(?:board|cfo|ceo|management|finance|director|owner|leadership|vorstand|geschaftsfuhrung|direction|direccion)\b"
    r"[^.;]{0,30}?\b(?:approved|signed off|sign off|freigegeben|genehmigt|approuve|valide|aprobado|aprobo)\b"
    r"[^.;]{0,30}?\b(?:budget|spend|spending|funds?|funding|investment|money|presupuesto)\w*")
AUTH_TITLE = re.compile(
    r"\b(?:i am|i'm|as|ich bin|als|je suis|en tant que|soy|como)\s+(?:the |our |der |die |unser\w* |le |la |notre |el |"
    r"nuestr[oa] )?(?P<title>(?:vp|vice president|svp|evp|head|chief \w+ officer|c[efiotm]o|director|directeur|"
    r"directrice|directora|managing director|geschaftsfuhrer\w*|leiter\w*|owner|co-?founder|founder|inhaber\w*|"
    r"gerente|responsable|jefe|jefa|president\w*|partner|gesellschafter\w*)\b(?: of \w+(?: \w+)?| de \w+| der \w+)?)"
    r"|\bi (?:run|lead|head|manage|own) (?:the |our |this )?(?:\w+ )?(?:team|department|company|business|function|division)\b")
NEED = rx(
    r"\b(?:we|i) (?:really |urgently )?(?:need|want|are looking for|'re looking for|am looking for|are searching for|'d like to|"
    r"would like to|have to|must|struggle|are struggling|spend|waste|lose|are losing|lack|keep (?:losing|running|getting))\b|"
    r"could (?:do with|use)|would benefit from|(?:looking|want|need|trying) to (?:improve|reduce|cut|fix|speed up|automate|"
    r"replace|get rid of)|more and more|increasingly|nightmare|a mess\b|sore point|by hand|eats (?:up )?(?:\w+ )?(?:hours|"
    r"time|days)|wast(?:e|es|ing) (?:a lot of |so much )?time|chasing|drowning|stall|double-?book|run(?:ning)? out of|"
    r"out of stock|nobody (?:can|knows)|no (?:visibility|overview)|doubled|keeps? (?:failing|breaking|going)|"
    r"(?:we )?(?:have|has) no (?!budget|time|plans?|need|interest|idea|rush|preference)\w+|complaints|"
    r"(?:is|are) (?:shutting down|being discontinued|end of life|going away)|(?:a|the|for the) replacement|"
    r"go(?:es)? walkabout|goes? missing|get lost|"
    r"\bexcel\b|whatsapp|google (?:sheets|forms)|on paper|paper[- ](?:based|forms?|checklists?|receipts?|lists?|files?)|"
    r"pen and paper|paper (?:receipts|forms|checklists)|(?:by|over the) phone|post-?its?|whiteboard|patchwork|"
    r"cost (?:us|me) (?:\w+ ){0,3}(?:money|days?|hours?|weeks?|thousands|a fortune|customers|production|deals)|"
    r"breakdowns?|downtime|outages?|(?:nobody|no one) (?:noticed|notices|checks|tracks|remembers)|"
    r"keep (?:over|under|mis|losing|running|getting|breaking|missing|forgetting)|over-?order|(?:sell|sold|selling) out|"
    r"unmanageable|(?:can't|cannot|can no longer) keep up|los(?:e|es|ing|t) track|"
    r"los(?:e|es|ing|t) \w+ (?:all the time|constantly|regularly)|drag(?:s|ging)? on|"
    r"purely reactive|(?:is|are) (?:being )?(?:discontinued|retired|sunset|phased out)|"
    r"(?:late|missed|delayed) (?:deliveries|payments|renewals|deadlines)",
    r"(?:our|the|my|biggest|main) (?:problem|issue|challenge|pain|bottleneck|goal|priority|headache)|"
    r"\b(?:problem|issue|challenge|pain point|struggle|headache|bottleneck|manual(?:ly)?|spreadsheets?|errors?|mistakes|"
    r"too slow|time[- ]consuming|tedious|error[- ]prone|inefficient|costly|frustrat\w*|painful)\b|takes (?:us |our |the |my )?"
    r"(?:\w+ ){0,2}(?:hours|days|weeks|forever|too long)",
    r"\bwir (?:brauchen|benotigen|suchen|wollen|mussen|verbringen|verlieren|kampfen)|"
    r"\b(?:brauchen|benotigen|suchen|mussen|verlieren) wir|(?:wird|werden) (?:\w+ ){0,3}eingestellt|abgekundigt|\bersatz\b|\bpapier|zettel|"
    r"immer mehr|von hand|per hand|"
    r"chaos|albtraum|keinen uberblick|beschwerden|ersatz fur|(?:unser|das) (?:problem|ziel)|"
    r"\b(?:problem|herausforderung|manuell|fehler|zeitaufwendig|muhsam|aufwendig)\b|dauert (?:zu |sehr )?(?:lange|tage|stunden)",
    r"nous (?:avons besoin|cherchons|voulons|devons|passons|perdons|aimerions)|de plus en plus|a la main|"
    r"personne (?:dans l'equipe )?ne (?:parle|sait|peut)|cauchemar|plaintes|remplacement|(?:notre|le) (?:probleme|defi|objectif)|"
    r"\b(?:probleme|manuel(?:lement)?|erreurs|fastidieu\w*)\b|prend (?:trop de temps|des jours|des heures)|besoin d|"
    r"sur (?:papier|excel)|par telephone|reclamations|retards|se multiplient|ingerable|il nous faut|manque de",
    r"necesitamos|buscamos|queremos|tenemos que|perdemos|cada vez mas|a mano|nos quedamos sin|sin stock|"
    r"siempre falta|pesadilla|un caos|quejas|reemplazo|(?:nuestro|el) (?:problema|reto|desafio|objetivo)|"
    r"\b(?:problema|manual(?:mente)?|errores|tedioso)\b|lleva (?:mucho tiempo|dias|horas)|"
    r"en (?:papel|excel)|por telefono|reclamaciones|retrasos|inmanejable|nos hace falta",
    r"su carta|a mano|manualmente|ci serv\w+|abbiamo bisogno|\bproblem[ai]\b|errori|perdiamo|reclami|ritardi|"
    r"cerchiamo|dobbiamo",  # it
    r"handmatig|met de hand|op papier|kost (?:ons )?(?:\w+ ){0,3}(?:uren|tijd|dagen|geld)|\bprobleem|fouten|"
    r"we zoeken|nodig|klachten|vertraging",  # nl
    r"planilhas?|a mao|em papel|ficando sem|falta de|\bproblemas?\b|\berros\b|precisamos|perdemos|reclamacoes|"
    r"atrasos|buscamos|procuramos",  # pt
)
NOT_NEED_OBJECT = re.compile(r"\b(?:need|want|brauchen|necesitamos|besoin|nodig|precisamos)\b\s+(?:it|this|that|to talk|to discuss|"
                             r"to check|to think|more (?:info|time)|approval|sign|a (?:demo|call|quote|meeting)|budget)")
EMPLOYEES = re.compile(rf"\b(?P<n>\d[\d.,]*|{lx.NUMWORD})\s*\+?\s*(?:employees|people|staff|persons|fte|headcount|"
                       r"mitarbeiter\w*|beschaftigte\w*|angestellte\w*|personen|employes|salaries|personnes|empleados|"
                       r"personas|trabajadores)\b|\bteam of (?P<t>\d+|" + lx.NUMWORD + r")\b")
TITLED_NAME = re.compile(r"\b(?:Frau|Herrn?|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|M\.|Mme|Madame|Monsieur|Sr\.?|Sra\.?|Don|Doña)\s+"
                         r"[A-ZÄÖÜÉÈÁÍÓÚÑ][\w'-]+(?:\s+[A-ZÄÖÜÉÈÁÍÓÚÑ][\w'-]+)?")
TITLE_ABBR = re.compile(r"\b(?:M|Mr|Mrs|Ms|Dr|Mme|Sr|Sra|Hr|Fr|Prof)\.$")
INTERNAL_MEETING = re.compile(r"\b(?:board|team|internal|staff|budget|weekly|monthly|annual|quarterly|kick-?off|"
                              r"management|our|their|all-hands|sales|customer|planning)\s*$")  # not a meeting with us
NO_MEETING = re.compile(r"\b(?:no|not|don't|dont|kein\w*|pas|sin|ni)\b.{0,25}\b(?:call|meeting|demo|termin|gesprach|"
                        r"appel|reunion|llamada|rendez-vous)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
NAME = re.compile(r"\b([A-ZÄÖÜÉÈÁÍÓÚÑ][a-zäöüßéèêáíóúñç'-]+(?:\s+[A-ZÄÖÜÉÈÁÍÓÚÑ][a-zäöüßéèêáíóúñç'-]+)?)")
NOT_NAMES = frozenset("I Hi Hello Dear Thanks Thank Please Our We You Your The My He She They This That It Sie Ich Wir "
                      "Bitte Danke Hallo Je Nous Vous Merci Bonjour Yo Nosotros Gracias Hola Mr Mrs Ms Herr Frau "
                      "Kollege Kollegin Monsieur Madame Sr Sra Q1 Q2 Q3 Q4 CFO CEO CTO COO VP Head".split())
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+|(?<=[.!?])(?=[¿¡])")
LATER = re.compile(r"later|spater|plus tard|mas adelante|mas tarde|not (?:right )?now|piu avanti|mais tarde|"
                   r"mais (?:para|pra) frente")
# "this year" next to an amount is the budget's period, not a buying timeline ("30 grand for tools this year")
BUDGET_PERIOD = re.compile(r"^(?:this|next) (?:year|quarter|fiscal year|financial year)$|^(?:dieses|nachstes) jahr$|"
                           r"^cette annee$|^este ano$|^quest'anno$|^dit jaar$")
TIMING_VERB = re.compile(r"\b(?:live|running|in place|start|roll|launch|implement|go|decide|choose|pick|switch|need|want)")
_CLAUSES = re.compile(r",?\s+\b(?:but|however|aber|jedoch|mais|pero|sin embargo)\b\s+|;\s*|,\s+")

FIGURES, BUDGET_APPROVER = lx.Cue(FIGURES), lx.Cue(BUDGET_APPROVER)  # with a pre-check

@dataclass(frozen=True, slots=True)
class Extraction:
    slots: dict[str, Slot] = field(default_factory=dict)
    intents: tuple[Intent, ...] = ()
    interest: str | None = None  # "positive" | "negative"
    interest_signal: str | None = None
    questions: tuple[str, ...] = ()  # the lead's product questions (sentences)
    referral: str | None = None  # the colleague the lead points to (address or name)
    paused_until: date | None = None
    injection: tuple[str, ...] = ()  # sentences that tried to instruct the agent
    no_fit: tuple[str, ...] = ()  # written reasons: no need, student, competitor, bought elsewhere
    escalate: tuple[str, ...] = ()  # pricing, legal or complaint: for a human (reasons)
    employees: int | None = None
    language: str | None = None


def sentences(text: str) -> list[str]:
    out = []
    for part in _SENTENCES.split(text or ""):
        part = " ".join(part.split()).strip(" -*>")
        if part and re.search(r"\w", part):
            out.append(part)
    return out


def _number(raw: str) -> int | None:
    raw = raw.strip().lower()
    if raw in lx.NUMBERS:
        return lx.NUMBERS[raw]
    digits = re.sub(r"[.,' ]", "", raw)
    return int(digits) if digits.isdigit() else None


def _snip(text: str) -> str:
    return text[:EVIDENCE_CHARS]


# -- dates ------------------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def resolve_date(folded: str, today: date) -> date | None:
    """The first day a time expression points to, relative to today ("Q2" = the next first of April)."""
    m = lx.QUARTER_RE.search(folded)
    if m:
        q = int(m.group(1) or m.group(3) or 0) or lx.QUARTER_WORDS.get(m.group(4) or "", 0)
        start = date(today.year, 3 * (q - 1) + 1, 1)
        year = m.group(2)
        if year and m.group(1):
            full = int(year) + (2000 if len(year) == 2 else 0)
            return date(full, start.month, 1)
        return start if start > today else date(today.year + 1, start.month, 1)
    if lx.SUMMER_AFTER_RE.search(folded):
        sept = date(today.year, 9, 1)
        return sept if sept > today else date(today.year + 1, 9, 1)
    if lx.NEW_YEAR_RE.search(folded):
        return date(today.year + 1, 1, 1)
    m = lx.NEXT_RE.search(folded)
    if m:
        unit = m.group(1) or m.group(2)
        if unit in ("week", "woche", "semaine", "semana", "settimana"):
            return today + timedelta(days=7)
        if unit in ("month", "monat", "mois", "mes", "mese", "maand"):
            return _add_months(today, 1)
        if unit in ("quarter", "quartal", "trimestre", "kwartaal"):
            return _add_months(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), 3)
        if unit in ("summer", "sommer", "ete", "verano", "estate", "zomer", "verao"):
            return date(today.year + (today.month >= 6), 6, 1)
        if unit in ("fall", "autumn", "herbst", "automne", "otono", "autunno", "najaar", "herfst", "outono"):
            return date(today.year + (today.month >= 9), 9, 1)
        if unit in ("spring", "fruhling", "printemps", "primavera", "voorjaar"):
            return date(today.year + (today.month >= 3), 3, 1)
        if unit in ("winter", "hiver", "invierno", "inverno"):
            return date(today.year + (today.month >= 12), 12, 1)
        return date(today.year + 1, 1, 1)
    m = lx.RELATIVE_RE.search(folded)
    if m:
        n = _number(m.group(1)) or 1
        unit = m.group(2)
        if unit.startswith(("day", "tag", "jour", "dia", "giorn", "dag")):
            return today + timedelta(days=n)
        if unit.startswith(("week", "woche", "semaine", "semana", "settiman")):
            return today + timedelta(weeks=n)
        if unit.startswith(("year", "jahr", "an", "ano", "ann", "jaar")):
            return date(today.year + n, today.month, 1)
        return _add_months(today, n)
    m = lx.MONTH_RE.search(folded)
    if m:
        month = next(k for k, v in lx.MONTHS.items() if m.group(1) in v.split("|"))
        if m.group(2):
            return date(int(m.group(2)), month, 1)
        start = date(today.year, month, 1)
        return start if start > today else date(today.year + 1, month, 1)
    if re.search(r"end of (?:the )?year|year[- ]end|jahresende|ende des jahres|fin d'annee|fin de(?:l)? ano|fine anno|"
                 r"fine dell'anno|einde van het jaar|eind dit jaar|(?:fim|final) do ano", folded):
        return date(today.year, 12, 1) if today.month < 12 else date(today.year + 1, 1, 1)
    if re.search(r"next year|nachstes jahr|l'annee prochaine|el (?:proximo )?ano (?:que viene)?|volgend jaar|"
                 r"(?:il )?prossimo anno|l'anno prossimo|(?:o )?proximo ano|ano que vem", folded):
        return date(today.year + 1, 1, 1)
    return None


def _has_time(folded: str) -> bool:
    return bool(lx.QUARTER_RE.search(folded) or lx.MONTH_RE.search(folded) or lx.RELATIVE_RE.search(folded)
                or lx.NEXT_RE.search(folded) or lx.TIMELINE.search(folded) or lx.SUMMER_AFTER_RE.search(folded)
                or lx.NEW_YEAR_RE.search(folded))


# -- slots --------------------------------------------------------------------------------------------


def _budget(folded: str, original: str) -> str | None:
    """An amount, a range or a stated approval; "no budget yet" answers nothing (README: budget known)."""
    if BUDGET_NONE.search(folded):
        return None
    found = None
    m = RANGE.search(folded)
    if m and (re.search(CUR, m.group(0)) or re.search(MULT, m.group(0)) or BUDGET_WORD.search(folded)):
        found = original[m.start():m.end()].strip()
    if found is None:
        for m in AMOUNT.finditer(folded):
            num = _number(m.group("num"))
            cur = m.group("pre") or m.group("post")
            if num is None or (not cur and re.fullmatch(r"(?:19|20)\d\d", m.group("num"))):
                continue
            if THRESHOLD.search(folded[max(0, m.start() - 25):m.start()]) and SIGNING.search(folded):
                continue  # "our CFO co-signs anything above 50k": who signs what, not a budget
            context = BUDGET_WORD.search(folded) or BUDGET_OK.search(folded)
            money = cur or (m.group("mult") or "").startswith("grand")  # "30 grand" is money
            if money or (m.group("mult") and (context or PERIOD_WORD.search(folded))) or (context and num >= 1000):
                found = original[m.start():m.end()].strip()
                break
    if found is None:
        m = FIGURES.search(folded)
        if m:
            found = original[m.start():m.end()].strip()
    approved = BUDGET_OK.search(folded)
    if found and approved:
        return f"{found} (approved)"
    if found:
        return found
    return "approved" if approved else None


def _authority(folded: str, original: str) -> str | None:
    approver = BUDGET_APPROVER.search(folded)
    if approver:  # same length: spans still point at the original
        folded = folded[:approver.start()] + " " * (approver.end() - approver.start()) + folded[approver.end():]
    if AUTH_SELF.search(folded):
        return "the lead decides" + (" with others" if AUTH_OTHERS.search(folded) else "")
    m = AUTH_OTHERS.search(folded)
    if m:
        return f"others involved: {original[m.start():m.end()].strip()}"
    m = AUTH_TITLE.search(folded)
    if m:
        return f"role: {original[m.start('title'):m.end('title')].strip()}" if m.group("title") else \
            f"role: {original[m.start():m.end()].strip()}"
    return None


def _timeline(folded: str, original: str) -> str | None:
    for pattern in (lx.QUARTER_RE, lx.MONTH_RE, lx.RELATIVE_RE, lx.NEXT_RE, lx.TIMELINE):
        m = pattern.search(folded)
        if m:
            return original[m.start():m.end()].strip()
    return None


def _need(folded: str) -> bool:
    if lx.NO_NEED.search(folded):
        return False
    # any cue that is not "we need it / need a demo" ("yes, we need it: 2k invoices keyed in by hand")
    m = NEED.search(folded)
    while m is not None:
        if not NOT_NEED_OBJECT.search(folded[m.start():m.start() + 40]):
            return True
        m = NEED.search(folded, m.start() + 1)
    return False


def _referral(original: str) -> str:
    m = EMAIL.search(original)
    if m:
        return m.group(0)
    titled = TITLED_NAME.search(original)
    if titled:
        return titled.group(0)
    for m in NAME.finditer(original):
        name = m.group(1)
        first = name.split()[0]
        before = original[:m.start()].rstrip()
        sentence_start = not before or (before.endswith((".", "!", "?", ":", ";")) and not TITLE_ABBR.search(before))
        if not sentence_start and first not in NOT_NAMES:
            return name
    return "a colleague (no name given)"


def _employees(folded: str) -> int | None:
    m = EMPLOYEES.search(folded)
    if not m:
        return None
    return _number(m.group("n") or m.group("t") or "")


# -- language -----------------------------------------------------------------------------------------

_LANG_WORDS = {
    "en": set("the and is are we our you to for of with this that have not it be will would can thanks".split()),
    "de": set("der die das und ist wir unser sie nicht mit für ich ein eine zu haben wäre gerne danke bitte auch".split()),
    "fr": set("le la les et est nous notre vous pas avec pour je un une des du merci bien aussi c'est".split()),
    "es": set("el la los las y es somos nuestro usted no con para yo un una del por gracias también que".split()),
}


@functools.lru_cache(maxsize=64)
def detect_language(text: str) -> str | None:
    """en, de, fr or es by common words and letters; None when unsure (cached: the engage agent and the
    extraction both ask it about the same reply)."""
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", (text or "").lower())
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in _LANG_WORDS.items()}
    scores["de"] += 2 * len(re.findall(r"[äöüß]", text.lower()))
    scores["es"] += 2 * len(re.findall(r"[ñ¿¡]", text))
    scores["fr"] += 2 * len(re.findall(r"[çœèêà]", text.lower()))
    best = max(scores, key=lambda k: scores[k])
    ranked = sorted(scores.values(), reverse=True)
    return best if ranked[0] >= 2 and ranked[0] > ranked[1] else None


# -- the whole reply ----------------------------------------------------------------------------------


def is_question(sentence: str, folded: str) -> bool:
    if len(re.findall(r"\w+", folded)) < 2:  # "Budget?", "Really?": the lead echoing or musing, no product question
        return False
    return sentence.endswith("?") or sentence.startswith("¿") or bool(lx.QUESTION_START.match(folded))


@dataclass(frozen=True, slots=True)
class _Reading:
    """What one sentence says on its own: everything the cues read in it, before the reply's other sentences
    are taken into account (extract() does that). A pure function of the sentence, so a sentence that comes
    again (a greeting, a sign-off, a repeated paragraph) is read once (``_read`` is cached)."""

    sent: str
    folded: str
    injection: bool = False
    question: bool = False
    negated: bool = False
    referral: bool = False  # points to someone else: the sentence says nothing more
    who: str | None = None  # the authority a referral names
    defer: bool = False  # "contact me again in Q2": the sentence says nothing more
    no_fit: tuple[str, ...] = ()
    not_interested: bool = False
    meeting: bool = False
    quote: bool = False
    human: bool = False
    escalate: str | None = None
    employees: int | None = None
    values: tuple[tuple[str, str], ...] = ()  # BANT slots the sentence fills, in order (budget, authority, timeline, need)
    asks_for: bool = False  # a question that names a meeting, a quote or a human
    vague: bool = False
    positive: bool = False  # a positive cue in a sentence that is not negated


@functools.lru_cache(maxsize=4096)
def _read(sent: str) -> _Reading:
    folded = fold(sent)
    if lx.INJECTION.search(folded):
        return _Reading(sent, folded, injection=True)
    question = is_question(sent, folded)
    negated = bool(lx.NEGATION.search(folded))
    wrong = lx.WRONG_PERSON.search(folded)
    if wrong and not re.search(r"\b(?:me|mich|moi|conmigo)\b", folded[wrong.end():wrong.end() + 12]) and not (
            lx.NO_NEED.search(folded) or lx.NOT_INTERESTED.search(folded) or lx.BOUGHT.search(folded)):
        # "our accountant handles all our payroll, so we don't need this" is a refusal, not a referral
        return _Reading(sent, folded, question=question, negated=negated, referral=True, who=_authority(folded, sent))
    defer = lx.DEFER.search(folded)
    if defer and (_has_time(folded) or LATER.search(folded)):
        return _Reading(sent, folded, question=question, negated=negated, defer=True)
    no_fit = tuple(f"{reason}: \"{_snip(sent)}\"" for pattern, reason in (
        (lx.BOUGHT, "bought elsewhere"), (lx.STUDENT, "a student, not a buyer"), (lx.COMPETITOR, "a competitor"),
        (lx.NO_NEED, "no need")) if pattern.search(folded))
    ours = [m for m in lx.MEETING.finditer(folded) if not INTERNAL_MEETING.search(folded[:m.start()])]
    meeting = bool(ours and (lx.REQUEST.search(folded) or question) and not NO_MEETING.search(folded))
    escalate = None
    if lx.COMPLAINT.search(folded):
        escalate = f"complaint: \"{_snip(sent)}\""
    elif lx.LEGAL.search(folded) and (question or lx.REQUEST.search(folded)):
        escalate = f"legal or contract question: \"{_snip(sent)}\""
    elif lx.PRICING_QUESTION.search(folded) and question:
        escalate = f"pricing question: \"{_snip(sent)}\""
    vague = [c for c in _CLAUSES.split(folded) if c and lx.VAGUE.search(c)]
    usable = folded if not vague else " ; ".join(c for c in _CLAUSES.split(folded) if c and not lx.VAGUE.search(c))
    budget = _budget(folded, sent) if not vague or BUDGET_NONE.search(folded) else _budget(usable, usable)
    if budget is None and vague and any(m.group("pre") or m.group("post") for m in AMOUNT.finditer(folded)):
        budget = _budget(folded, sent)  # a hedged amount is still an amount: "I could spend maybe $300 a month"
    values = {"budget": budget,
              "authority": _authority(usable, usable if vague else sent),
              # when to meet, or when they bought elsewhere, is no buying timeline
              "timeline": None if meeting or no_fit else _timeline(usable, usable if vague else sent)}
    if values["budget"] and values["timeline"] and BUDGET_PERIOD.match(fold(values["timeline"])) \
            and not TIMING_VERB.search(folded):
        values["timeline"] = None
    if not question and usable.strip() and _need(usable):
        values["need"] = _snip(sent)
    return _Reading(
        sent, folded, question=question, negated=negated, no_fit=no_fit,
        not_interested=bool(lx.NOT_INTERESTED.search(folded)), meeting=meeting, quote=bool(lx.QUOTE.search(folded)),
        human=bool(lx.HUMAN.search(folded)), escalate=escalate, employees=_employees(folded),
        values=tuple((slot, value) for slot, value in values.items() if value),
        asks_for=question and bool(lx.MEETING.search(folded) or lx.QUOTE.search(folded) or lx.HUMAN.search(folded)),
        vague=bool(vague), positive=not negated and bool(lx.POSITIVE.search(folded)))


def extract(text: str, turn: int, *, today: date, vocabulary: frozenset[str] = frozenset(),
            asked_last: str | None = None) -> Extraction:
    """What the lead's new text says. `asked_last`: the BANT slot the agent asked in its last message.
    (`vocabulary`, the snippets' terms, is not read: kept for callers.)"""
    slots: dict[str, Slot] = {}
    intents: list[Intent] = []
    questions: list[str] = []
    injection: list[str] = []
    no_fit: list[str] = []
    escalate: list[str] = []
    interest = signal = referral = None
    paused: date | None = None
    employees: int | None = None
    loose: list[str] = []  # statements that filled nothing: the answer to the question asked, perhaps

    def add(intent: Intent) -> None:
        if intent not in intents:
            intents.append(intent)

    for sent in sentences(text):
        r = _read(sent)
        if r.injection:
            injection.append(_snip(sent))
            continue
        if r.referral:
            add(Intent.WRONG_PERSON)
            referral = referral or _referral(text)
            if r.who and "authority" not in slots:
                slots["authority"] = Slot(value=r.who, evidence=_snip(sent), turn=turn)
            continue
        if r.defer:
            add(Intent.DEFER)
            when = resolve_date(r.folded, today) or resolve_date(fold(text), today) or today + timedelta(days=90)
            paused = paused or when
            continue
        no_fit += r.no_fit
        if r.not_interested:
            add(Intent.NOT_INTERESTED)
            interest, signal = "negative", _snip(sent)
        if r.meeting:
            add(Intent.MEETING)
        if r.quote:
            add(Intent.QUOTE)
        if r.human:
            add(Intent.HUMAN)
        if r.escalate is not None:
            escalate.append(r.escalate)
        employees = employees or r.employees
        filled = False
        for slot, value in r.values:
            if slot not in slots:
                slots[slot] = Slot(value=value, evidence=_snip(sent), turn=turn)
                filled = True
        if r.question and not (set(intents) & {Intent.MEETING, Intent.QUOTE, Intent.HUMAN} and r.asks_for):
            questions.append(_snip(sent))
            add(Intent.QUESTION)
        elif not filled and not r.vague and len(sent.split()) >= 4 and not r.negated:
            loose.append(sent)
        if interest is None and r.positive:
            interest, signal = "positive", _snip(sent)
    if asked_last and asked_last not in slots and asked_last in ("need", "authority") and loose and not no_fit \
            and Intent.NOT_INTERESTED not in intents:
        slots[asked_last] = Slot(value=_snip(loose[0]), evidence=_snip(loose[0]), turn=turn)
    if interest is None and (slots or set(intents) & {Intent.MEETING, Intent.QUOTE}) and not no_fit:
        first = min(slots.values(), key=lambda s: s.evidence).evidence if slots else None
        interest, signal = "positive", signal or first or "asked for a meeting or a quote"
    if no_fit and interest is None:
        interest, signal = "negative", no_fit[0]
    return Extraction(slots=slots, intents=tuple(intents), interest=interest, interest_signal=signal,
                      questions=tuple(questions), referral=referral, paused_until=paused, injection=tuple(injection),
                      no_fit=tuple(no_fit), escalate=tuple(escalate), employees=employees,
                      language=detect_language(text))
