"""Auto-replies (RFC 3834): out-of-office, "left the company" notices, helpdesk acknowledgements.

Two rules, at two places in the chain:

* ``AutoReplyHeaders`` (before ``bulk``): the machine says so in its headers -
  ``Auto-Submitted`` other than ``no``, ``X-Autoreply``, ``X-Autorespond``,
  ``Precedence: auto_reply``, Exchange's ``X-Auto-Response-Suppress`` together
  with its rule-loop headers, a few rarer autoresponder headers, and the null
  return path ``<>`` (the bounce rule has taken the delivery reports by then).
  ``X-Auto-Response-Suppress`` alone is NOT enough: Outlook sets it on ordinary
  mail written by people. ``Auto-Submitted: auto-generated`` (and ``<>``) from a
  list or a no-reply sender is left to ``bulk``: notifications carry it too.
* ``AutoReplyText`` (after ``bulk``): no such headers, but the subject
  ("Automatic reply:", "Abwesenheitsnotiz:", ...) or the new text says it -
  an absence statement ("I am out of the office until ...", "ich bin bis ...
  nicht im Büro", "je suis absent jusqu'au ...") backed by the boilerplate that
  comes with one ("Thank you for your email", "will not be forwarded", "à mon
  retour", ...) and without signs of a person writing ("let's", a question,
  "recontactez-moi après cette date"); a "has left the company" notice; a
  ticket acknowledgement. It leaves anything that asks to opt out to the
  unsubscribe rules, which run after it.

Both report the return date (see ``returndate``), ``Flag.LEFT_COMPANY`` and
``Flag.TICKET``.
"""

from __future__ import annotations

import logging
import re
from functools import cached_property

from sqa.mailbox.classify.base import Facts, Flag, Hit, Kind
from sqa.mailbox.classify.bulk import bulk_signal
from sqa.mailbox.classify.returndate import extract_return_date, sent_date
from sqa.mailbox.parse import InboundMessage

log = logging.getLogger(__name__)

HEAD_CHARS = 3000  # auto-replies say what they are at the top
TEXT_ONLY_MAX_CHARS = 2000  # without headers, a longer new text is a person writing, not an autoresponder

# --- the new text: everything above the quoted history ---------------------------------------------------

_QUOTE_START = re.compile(
    r"""(?imx)^(?:
        \s*>
      | \s*-{2,}\s*(?:original\s+message|ursprüngliche\s+nachricht|message\s+d'origine|mensaje\s+original
            |oorspronkelijk\s+bericht|messaggio\s+originale|mensagem\s+original|forwarded\s+message
            |weitergeleitete\s+nachricht|message\s+transféré|mensaje\s+reenviado)
      | \s*_{10,}\s*$
      | \s*(?:from|von|de|van|da|fra|sent|gesendet|envoyé)\s?:[ \t]+\S
      | .{0,200}\b(?:wrote|schrieb|a\s+écrit|escribió|schreef|ha\s+scritto|escreveu)\s*:\s*$
      | --[ \t]?$
    )"""
)


def new_text(msg: InboundMessage) -> str:
    """The top of the body, up to the quoted history or signature delimiter (cheap; no library)."""
    text = msg.text[: HEAD_CHARS * 2]
    m = _QUOTE_START.search(text)
    head = text[: m.start()] if m else text
    return head[:HEAD_CHARS].replace("’", "'").replace("\u00a0", " ").strip()


# --- subject markers (the whole subject, or a prefix with a colon) ---------------------------------------

def _tolerant(pattern: str) -> str:
    """Accented letters also match as U+FFFD: a raw 8-bit Subject can arrive with its bytes replaced."""
    return "".join(f"(?:{c}|\ufffd{{1,2}})" if c.isalpha() and not c.isascii() else c for c in pattern)


# Strong: what autoresponders put in front of the subject; a person does not type these.
SUBJECT_MARKER = re.compile(_tolerant(
    r"""(?ix)^\s*\[?(?:
        automatic\s+reply | auto(?:matic)?[-\s]?(?:reply|response) | autoreply | autoresponse
      | out\s+of\s+(?:the\s+)?office\s+auto[-\s]?reply | vacation\s+(?:reply|response|notice)
      | automatische\s+antwort | autom\.\s+antwort | abwesenheitsnotiz | abwesenheitsmeldung
      | réponse\s+automatique | reponse\s+automatique | message\s+d'absence
      | respuesta\s+automática | respuesta\s+automatica
      | automatisch\s+antwoord | afwezigheidsbericht
      | risposta\s+automatica | resposta\s+automática | resposta\s+automatica
    )\]?\s*(?::|$)"""
))
# Weak: also words a person might use as a subject; they count only when the text does not read
# like a person writing.
SUBJECT_MARKER_WEAK = re.compile(_tolerant(
    r"""(?ix)^\s*\[?(?:
        out\s+of\s+(?:the\s+)?office | ooo | away\s+from\s+(?:the\s+)?office | on\s+vacation | auto
      | abwesenheit | abwesend | absence | absente? | fuera\s+de\s+(?:la\s+)?oficina | ausente
      | afwezig(?:heid)? | niet\s+aanwezig | fuori\s+(?:sede|ufficio) | assente | assenza | ausência
      | fora\s+do\s+escritório
    )\]?\s*(?::|$)"""
))
TICKET_SUBJECT = re.compile(
    r"(?i)^\s*\[(?:request|ticket|case)\s+(?:received|created|opened)\]"
    r"|\b(?:ticket|case|request)\s*(?:#|no\.?\s*)\d+|\[#\d+\]"
)

# --- what an absence notice says --------------------------------------------------------------------------

_OOO = {
    "en": r"""\b(?:i\s*am|i'm|im|i\s+will\s+be|i'll\s+be|i\s+shall\s+be)\s+(?:currently\s+|now\s+|presently\s+
              |unfortunately\s+)?
              (?:out\s+of\s+(?:the\s+)?office|ooo\b|out\s+of\s+town|out\s+of\s+the\s+country|away|absent
              |on\s+(?:annual\s+|parental\s+|maternity\s+|paternity\s+|sick\s+|medical\s+|study\s+|extended\s+
              |holiday\s+)?leave
              |on\s+(?:vacation|holidays?|pto|a\s+business\s+trip|business\s+travel|sabbatical|a\s+break)
              |travell?ing|off\b|out\s+(?:today|until|till|from|sick|on)|not\s+in\s+the\s+office
              |(?:currently\s+)?unavailable
              |not\s+available|attending|at\s+a\s+(?:conference|trade\s+show)|back\s+(?:on|in|tomorrow|next|from))
            | \b(?:the|our)\s+office\s+is\s+(?:closed|shut)
            | \bout\s+of\s+(?:the\s+)?office\s*(?:[-–:]|until|till|returning|from)""",
    "de": r"""\b(?:ich\s+bin|bin\s+ich)\b(?:[^.!?\n]|(?<=\d)\.){0,60}?\b(?:nicht\s+im\s+(?:büro|haus)
              |nicht\s+erreichbar|abwesend|im\s+urlaub
              |in\s+(?:urlaub|elternzeit|mutterschutz)|außer\s+haus|nicht\s+am\s+platz|auf\s+(?:dienst
              |geschäfts)?reise|unterwegs
              |krank|wieder\s+(?:im\s+büro|erreichbar|im\s+haus|da|zurück|verfügbar|für\s+sie\s+da)|zurück)
            | \b(?:unser\s+büro|das\s+büro)\s+ist\s+[^.\n]{0,30}geschlossen""",
    "fr": r"""\bje\s+(?:suis|serai)\s+(?:actuellement\s+|absente?\s+et\s+)?(?:absente?|en\s+(?:congés?|vacances
              |déplacement|formation
              |arrêt|voyage|séminaire)|hors\s+du\s+bureau|en\s+dehors\s+du\s+bureau|de\s+retour|indisponible)
            | \bnos\s+bureaux\s+sont\s+fermés""",
    "es": r"""\b(?:estaré|estoy|me\s+encuentro)\s+(?:actualmente\s+)?(?:fuera\s+de\s+(?:la\s+)?oficina|ausente
              |de\s+vacaciones
              |de\s+viaje|fuera\b|de\s+baja|de\s+permiso|de\s+vuelta|de\s+regreso|no\s+disponible)
            | \b(?:vuelvo|regreso|volveré|regresaré)\s+(?:a\s+la\s+oficina\s+)?(?:el|mañana|la\s+próxima)\b""",
    "nl": r"""\bik\s+ben\b(?:[^.!?\n]|(?<=\d)\.){0,60}?\b(?:afwezig|met\s+vakantie|op\s+vakantie|niet\s+(?:aanwezig
              |op\s+kantoor|bereikbaar|beschikbaar)
              |(?:weer\s+)?terug|op\s+reis|met\s+verlof|vrij\b)""",
    "it": r"""\b(?:sono|sarò|saro)\s+(?:attualmente\s+)?(?:fuori\s+(?:ufficio|sede)
              |in\s+(?:ferie|vacanza|viaggio|trasferta|congedo|malattia|maternità)
              |assente|di\s+ritorno|non\s+disponibile|lontan[oa]\s+dall'ufficio)
            | \brientr(?:o|erò)\s+(?:in\s+ufficio\s+)?(?:il\b|lunedì|martedì|mercoledì|giovedì|venerdì|domani|\d)""",
    "pt": r"""\b(?:estou|estarei|encontro-me)\s+(?:atualmente\s+)?(?:de\s+férias|ausente|fora\s+do\s+escritório
              |fora\b|de\s+volta
              |em\s+viagem|de\s+licença|indisponível)
            | \b(?:retorno|volto|retornarei|regresso)\s+(?:ao\s+escritório\s+)?(?:em|no|na|dia|a)\b""",
}
OOO_ANY = re.compile("(?ix)" + "|".join(f"(?P<{lang}>{p})" for lang, p in _OOO.items()))  # lastgroup = language
# Literal gates (see TextFindings): each _OOO alternative holds one ANCHOR word and one state WORD.
OOO_GATE_ANCHOR = re.compile(
    "i am|i'm|im |iam |i will|i'll|i shall|office is|out of"
    "|ich bin|bin ich|büro"
    "|je suis|je serai|nos bureaux"
    "|estaré|estoy|me encuentro|vuelvo|regreso|volveré|regresaré"
    "|ik ben"
    "|sono|sarò|saro|rientr"
    "|estou|estarei|encontro-me|retorn|volto|regresso"
)
OOO_GATE_WORD = re.compile(
    "out|ooo|away|absent|leave|vacation|holiday|pto|trip|travel|sabbatical|break|off|available|attending"
    "|conference|trade show|back|closed|shut"
    "|büro|haus|erreichbar|abwesend|urlaub|elternzeit|mutterschutz|platz|reise|unterwegs|krank|wieder|zurück"
    "|verfügbar|geschlossen"
    "|congé|vacances|déplacement|formation|arrêt|voyage|séminaire|bureau|retour|indisponible|fermés"
    "|oficina|ausente|vacaciones|viaje|fuera|baja|permiso|vuelta|regreso|disponible|vuelvo|volveré|regresaré"
    "|afwezig|vakantie|aanwezig|kantoor|bereikbaar|beschikbaar|terug|reis|verlof|vrij"
    "|ufficio|sede|ferie|vacanza|viaggio|trasferta|congedo|malattia|maternità|assente|ritorno|disponibil|lontan|rientr"
    "|férias|escritório|fora|volta|viagem|licença|indisponível|retorn|volto|regresso"
)

# The boilerplate that comes with an absence notice.
CORROBORATE = re.compile(
    r"""(?ix)
      \bthanks?(?:\s+you)?\s+for\s+your\s+(?:e-?mail|message|mail)
    | \blimited\s+(?:access|connectivity|e-?mail\s+access)\b
    | \b(?:no|without)\s+(?:access\s+to\s+(?:my\s+)?e-?mail|e-?mail\s+access)
    | (?:\bwill|'ll)\s+(?:respond|reply|get\s+back\s+to\s+you|answer|read\s+your\s+(?:e-?mail|message))\b[^.\n]{0,40}?
        (?:on\s+my\s+return|upon\s+my\s+return|when\s+i(?:'m|\s+am)\s+back|as\s+soon\s+as|then\b
        |after\s+my\s+return|when\s+i\s+return)
    | \b(?:for|in\s+case\s+of)\s+(?:anything\s+)?(?:urgent|immediate)\b
    | \bif\s+(?:you\s+need\s+)?(?:it\s+is\s+|this\s+is\s+|your\s+matter\s+is\s+)?(?:urgent|immediate)
    | \bwill\s+not\s+be\s+(?:forwarded|read|monitored)
    | \bchecking\s+(?:e-?mail|mail|messages)\s+(?:only\s+)?(?:occasionally|intermittently|periodically)
    | \bmerry\s+christmas | \bhappy\s+(?:holidays|new\s+year)
    | \bduring\s+(?:this|that|my)\s+(?:time|absence|leave) | \bin\s+my\s+absence
    | \bwhile\s+i(?:'m|\s+am)\s+(?:away|out|on\s+leave)
    | \bfor\s+(?:\w+\s+){1,3}?(?:please\s+)?(?:call|contact|e-?mail|reach|write\s+to)\b
    | \bwährend\s+meiner\s+abwesenheit | \bpendant\s+mon\s+absence | \ben\s+mon\s+absence | \bdurante\s+mi\s+ausencia
    | \btijdens\s+mijn\s+afwezigheid | \bdurante\s+la\s+mia\s+assenza | \bdurante\s+(?:a\s+)?minha\s+ausência
    | \bvielen\s+dank\s+für\s+ihre\s+(?:nachricht|e-?mail|mail) | \bdanke\s+für\s+ihre\s+(?:nachricht|e-?mail)
    | \bnicht\s+weitergeleitet | \bin\s+dringenden\s+fällen | \bkeinen\s+zugriff | \beingeschränkte[mn]?\s+zugriff
    | \bmelde\s+mich\s+(?:dann|nach\s+meiner\s+rückkehr|umgehend|schnellstmöglich|so\s+bald)
    | \bnach\s+meiner\s+rückkehr
    | \bmerci\s+(?:pour|de)\s+votre\s+(?:message|e-?mail|mail|courriel) | \bà\s+mon\s+retour
    | \bdès\s+(?:que\s+possible|mon\s+retour)
    | \bpour\s+toute\s+urgence | \bn'aurai\s+pas\s+acc | \baccès\s+limité | \bje\s+vous\s+répondrai
    | \ben\s+cas\s+d'urgence
    | \bgracias\s+por\s+su\s+(?:mensaje|correo|e-?mail) | \bacceso\s+limitado | \b(?:temas|asuntos)\s+urgentes
    | \bcontestaré
    | \bresponderé | \ba\s+mi\s+(?:regreso|vuelta) | \bsin\s+acceso | \ben\s+caso\s+de\s+urgencia
    | \bbedankt\s+voor\s+(?:je|uw)\s+(?:bericht|e-?mail|mail) | \blees\s+(?:mijn|de)\s+(?:e-?)?mail\s+niet
    | \bniet\s+doorgestuurd
    | \bbeantwoord\s+(?:je|uw)\s+(?:mail|bericht|e-?mail) | \bdringende\s+zaken | \bbij\s+terugkomst
    | \bbij\s+(?:mijn\s+)?terugkeer
    | \bgrazie\s+per\s+(?:il\s+|la\s+)?(?:suo\s+|sua\s+|tuo\s+|tua\s+)?(?:messaggio|e-?mail|mail) | \brisponderò
    | \bal\s+mio\s+rientro
    | \baccesso\s+limitato | \bper\s+urgenze | \bsenza\s+accesso
    | \bobrigad[oa]\s+pel[oa]\s+(?:seu\s+|sua\s+)?(?:mensagem|e-?mail|contato) | \bresponderei | \bsem\s+acesso
    | \bacesso\s+limitado
    | \bassim\s+que\s+(?:retornar|possível|voltar) | \bem\s+caso\s+de\s+urgência
    """
)
# "This is an automatic reply" - an autoresponder describing itself.
SELF_DECLARED = re.compile(
    r"""(?ix)
      \bthis\s+is\s+an?\s+(?:automatic|automated|auto-generated|automatically\s+generated)\s+(?:reply|response
      |message|confirmation|e-?mail|notification)
    | \bthis\s+(?:reply|response|message)\s+(?:is|was)\s+(?:sent\s+)?automatically
    | \bdies\s+ist\s+eine\s+automatische\s+(?:antwort|nachricht|benachrichtigung|e-mail|bestätigung)
    | \bceci\s+est\s+(?:une\s+réponse|un\s+message|un\s+e-?mail|un\s+accusé)\s+automatique
    | \beste\s+(?:es\s+)?(?:un\s+)?(?:mensaje|correo|e-?mail)\s+(?:es\s+)?automático
    | \besta\s+es\s+una\s+respuesta\s+automática
    | \bdit\s+is\s+een\s+automatisch(?:\s+gegenereerd)?\s+(?:antwoord|bericht|e-?mail)
    | \bquesto\s+è\s+un\s+messaggio\s+(?:generato\s+)?automatico | \bquesta\s+è\s+una\s+risposta\s+automatica
    | \besta\s+é\s+uma\s+(?:mensagem|resposta)\s+automática
    """
)
LEFT_COMPANY = re.compile(
    r"""(?ix)
      \bno\s+longer\s+(?:with|at|employed|working|works|part\s+of|in\s+the\s+company|an?\s+employee)\b
    | \bhas\s+left\s+(?:the\s+(?:company|organi[sz]ation|firm|business|team)|(?-i:[A-Z])[\w&.-]+)
    | \bnicht\s+(?:mehr|länger)\s+(?:für|bei|im)\b[^.\n]{0,80}?\b(?:tätig|beschäftigt|angestellt)\b
    | \bnicht\s+mehr\s+im\s+unternehmen | \bhat\s+(?:das\s+unternehmen|die\s+firma|uns)\s+verlassen
    | \bist\s+ausgeschieden
    | \bne\s+fait\s+plus\s+partie
    | \ba\s+quitté\s+(?:la\s+société|l'entreprise|notre\s+(?:société|entreprise)|le\s+groupe)
    | \bn'(?:est|travaille)\s+plus\s+(?:chez|dans|au\s+sein|en\s+poste|employée?|avec\s+nous)
    | \bya\s+no\s+(?:trabaja|forma\s+parte|está\s+en\s+la\s+empresa|pertenece)
    | \bha\s+dejado\s+(?:la\s+empresa|la\s+compañía|de\s+trabajar)
    | \bis\s+niet\s+(?:meer|langer)\s+(?:werkzaam|in\s+dienst|verbonden) | \bwerkt\s+(?:hier\s+)?niet\s+meer
    | \bheeft\s+(?:ons|het\s+bedrijf|de\s+organisatie)\s+verlaten
    | \bnon\s+(?:fa\s+più\s+parte|lavora\s+più|è\s+più\s+(?:in\s+forza|dipendente))
    | \bha\s+lasciato\s+(?:l'azienda|la\s+società)
    | \bnão\s+(?:faz\s+mais\s+parte|trabalha\s+mais|está\s+mais\s+na\s+empresa|pertence\s+mais)
    | \bdeixou\s+a\s+(?:empresa|companhia)
    """
)
MAILBOX_CLOSED = re.compile(
    r"""(?ix)
      \bthis\s+(?:mailbox|inbox|e-?mail\s+address|address|account)\s+is\s+(?:no\s+longer
      |not)\s+(?:being\s+)?(?:monitored|active|in\s+use|read)
    | \b(?:please\s+)?(?:direct|send|forward|address)\s+(?:all\s+|any\s+
    |your\s+)?(?:future\s+)?(?:sales\s+)?(?:enquiries|inquiries|e-?mails|correspondence|questions)\s+to
    | \bplease\s+update\s+your\s+(?:records|address\s+book|contacts?|contact\s+list|distribution\s+list)
    | \b(?:will|is\s+going\s+to)\s+be\s+(?:closed|deactivated|deleted|shut\s+down|disabled)
    | \bwird\s+nicht\s+(?:mehr\s+)?(?:weitergeleitet|gelesen|bearbeitet) | \bwenden\s+sie\s+sich\s+(?:bitte\s+)?an
    | \bwird\s+(?:zum\s+[^.\n]{0,20})?(?:geschlossen|deaktiviert|gelöscht) | \bbitte\s+aktualisieren\s+sie
    | \bn'est\s+plus\s+(?:consultée?|active|lue) | \bne\s+sera\s+pas\s+(?:transféré|lu)
    | \bya\s+no\s+(?:se\s+revisa|está\s+activ[ao]) | \bniet\s+meer\s+(?:gelezen|actief)
    | \bnon\s+è\s+più\s+(?:attiv[ao]|monitorat[ao])
    | \bnão\s+é\s+mais\s+(?:monitorad[ao]|lid[ao]) | \bnão\s+está\s+mais\s+ativ[ao]
    """
)
ADDRESS_CHANGED = re.compile(
    r"""(?ix)\b(?:e-?mail\s+)?address\s+has\s+changed|\bnew\s+e-?mail\s+address|\bneue(?:n)?\s+e-mail-adresse
    |\bnouvelle\s+adresse|\bnueva\s+dirección|\bnieuw(?:e)?\s+e-?mailadres|\bnuovo\s+indirizzo|\bnovo\s+endereço"""
)
_ID = r"\s*(?:\(?\s*(?:\#|n[°o]\.?|no\.|number|nr\.?|número)?\s*(?:[A-Z]{1,10}-\d+|\#?\d{3,})\s*\)?\s*)?"
TICKET = re.compile(
    rf"""(?ix)
      \b(?:your|the)\s+(?:support\s+)?(?:request|ticket|case|enquiry|inquiry){_ID}
        (?:has\s+been|was|is)\s+(?:received|created|logged|opened|registered|submitted)
    | \b(?:ihre?|ihr)\s+(?:support)?(?:anfrage|ticket){_ID}(?:ist|wurde)\s+(?:bei\s+uns\s+)?(?:eingegangen|erstellt
    |registriert|aufgenommen)
    | \bvotre\s+(?:demande|ticket|requête){_ID}a\s+(?:bien\s+)?été\s+(?:reçue?|enregistrée?|créée?|prise\s+en\s+compte)
    | \bsu\s+(?:solicitud|consulta|ticket|petición|caso){_ID}(?:ha\s+sido|fue)\s+(?:recibid[ao]|registrad[ao]|cread[ao])
    | \b(?:uw|je)\s+(?:verzoek|aanvraag|ticket|melding|vraag){_ID}(?:is|werd)\s+(?:ontvangen|aangemaakt|geregistreerd)
    | \b(?:la\s+)?(?:sua|tua)\s+(?:richiesta|segnalazione){_ID}è\s+stata\s+(?:ricevuta|registrata|presa\s+in\s+carico)
    | \b(?:il\s+)?(?:suo|tuo)\s+ticket{_ID}è\s+stato\s+(?:ricevuto|creato|aperto)
    | \b(?:sua|a\s+sua)\s+(?:solicitação|solicitacao|requisição|pedido|chamado|mensagem){_ID}foi\s+(?:recebid[ao]
    |registrad[ao]|criad[ao]|abert[ao])
    """
)
LEFT_GATE = re.compile("longer|left|mehr|länger|verlassen|ausgeschieden|plus|quitté|ya no|dejado|meer|langer"
                       "|verlaten|più|lasciato|não|deixou")
TICKET_GATE = re.compile("request|ticket|case|caso|enquiry|inquiry|anfrage|demande|requête|solicitud|consulta|petición"
                         "|verzoek|aanvraag|melding|vraag|richiesta|segnalazione|solicitação|solicitacao|requisição"
                         "|pedido|chamado|mensagem")
SELF_GATE = re.compile("automat|auto-gen")
ADDRESS_GATE = re.compile("address|adresse|dirección|adres|indirizzo|endereço")
TICKET_ID = re.compile(r"#\s*\d+|\b[A-Z]{1,10}-\d+\b|\b\d{3,}\b")
HELPDESK_HEADER_PREFIXES = ("x-zendesk-", "x-freshdesk-", "x-helpscout-", "x-jsd-", "x-servicenow-", "x-kayako-",
                            "x-otrs-")

# Signs that a person is writing (only consulted when no header says "automatic").
PERSON = re.compile(
    r"""(?ix)
      \blet'?s\b | \blet\s+us\b | \bsounds\s+(?:good|great) | \b(?:sorry|apologies)\s+for
      | \bi\s+was\s+(?:out|away|off|on)
    | \bjust\s+(?:got|came)\s+back
    | \b(?:contact|ping|email|e-mail|write\s+to|reach)\s+me\s+(?:again\s+)?(?:after|once|when|next)
    | \b(?:follow|check|circle|touch)\s+(?:up|back|base)\s+(?:with\s+me\s+)?(?:after|in|next|when|once)
    | \binterested\b | \bdemo\b | \bwalk-?through\b | \bpricing\b
    | \b(?:your|the)\s+(?:proposal|offer|deck|case\s+study|product|solution|platform|tool|pitch|idea|question)s?\b
    | \bihr(?:e|en)?\s+(?:angebot|vorschlag|produkt|lösung) | \bvotre\s+(?:proposition|offre|solution|produit)
    | \bsu\s+(?:propuesta|oferta|solución|producto) | \b(?:uw|je)\s+(?:voorstel|aanbod|oplossing|product)
    | \b(?:la\s+)?sua\s+(?:proposta|offerta|soluzione) | \bsua\s+(?:proposta|oferta|solução)
    | \bmelden\s+sie\s+sich\s+(?:gerne\s+)?(?:nach|ab|wieder|später)
    | \bkontaktieren\s+sie\s+mich\s+(?:gerne\s+)?(?:nach|ab|wieder|später)
    | \binteresse\b | \binteressiert
    | \brecontacte[zr] | \brelance[zr]-moi | \bintéress | \bdémo\b | \bn'hésitez\s+pas\s+à\s+me\s+recontacter
    | \bvuelv[ae]\s+a\s+(?:contactarme|escribirme) | \bescríbame\s+después | \bme\s+interesa | \bcontácteme\s+después
    | \bneem\s+(?:na|daarna|dan)\s+(?:gerust\s+)?contact | \bmail\s+me\s+(?:na|daarna) | \bgeïnteresseerd
    | \bricontatt(?:ami|armi|atemi) | \bmi\s+interessa | \binteressat[oi]
    | \bentre\s+em\s+contato\s+(?:comigo\s+)?(?:depois|após) | \bme\s+procure | \binteressad[oa]
    """
)
QUESTION = re.compile(r"[^.!?\n]*\?(?=\s|$)")  # not the "?" inside a URL
URGENT_WORDS = re.compile(r"(?i)urgent|dringend|urgence|urgencia|urgente|urgenza|help|hilfe|aide|ayuda|hulp|aiuto"
                          r"|ajuda|assistance")
# Anything that might be an opt-out is left to the unsubscribe rules (they run after this one).
OPT_OUT_WORDS = re.compile(
    r"""(?ix)\bun-?sub|\bremove\s+(?:me|us|my|our)\b|\btake\s+(?:me|us)\s+off|\bstop\s+(?:sending|emailing
    |e-mailing|contacting|writing)
    |\bopt(?:ing)?[-\s]?out|\bdo\s+not\s+(?:contact|email|e-mail|write)|\bdon'?t\s+(?:contact|email|e-mail|write)
    |\babmelden|\babbestellen|\baustragen|\bverteiler|\bwiderspr|\bdésabonn|\bdésinscri|\bretirez
    |\bne\s+plus\s+(?:me\s+)?(?:contacter|recevoir|écrire)
    |\bdar(?:me|se|te)\s+de\s+baja|\bno\s+me\s+(?:envíen|envien|escriban|contacten)|\bb[oó]rr(?:en|a)me|\bafmeld
    |\buitschrijv|\bgeen\s+e-?mails?\s+meer
    |\bcancellami|\bcancellatemi|\bdisiscriv|\bdescadastr|\bremov(?:a|am)[-\s]me|\bme\s+remova
    |\bnão\s+quero\s+(?:mais\s+)?receber"""
)


class TextFindings:
    """What the new text says, each finding computed once and only when asked.

    The expensive regexes sit behind cheap literal gates on the lower-cased, whitespace-collapsed text:
    every alternative of a regex contains one of its gate's words, so a failed gate means no match.
    """

    def __init__(self, head: str) -> None:
        self.head = head
        self.low = " ".join(head.lower().split())

    @cached_property
    def language(self) -> str | None:
        """The language of the absence statement, when there is one."""
        if not (OOO_GATE_ANCHOR.search(self.low) and OOO_GATE_WORD.search(self.low)):
            return None
        m = OOO_ANY.search(self.head)
        return m.lastgroup if m else None

    @property
    def ooo(self) -> bool:
        return self.language is not None

    @cached_property
    def corroborated(self) -> bool:
        return bool(CORROBORATE.search(self.head))

    @cached_property
    def self_declared(self) -> bool:
        return bool(SELF_GATE.search(self.low) and SELF_DECLARED.search(self.head))

    @cached_property
    def left_company(self) -> bool:
        return bool(LEFT_GATE.search(self.low) and LEFT_COMPANY.search(self.head))

    @cached_property
    def mailbox_closed(self) -> bool:
        return bool(MAILBOX_CLOSED.search(self.head))

    @cached_property
    def address_changed(self) -> bool:
        return bool(ADDRESS_GATE.search(self.low) and ADDRESS_CHANGED.search(self.head))

    @cached_property
    def _ticket(self) -> re.Match[str] | None:
        return TICKET.search(self.head) if TICKET_GATE.search(self.low) else None

    @property
    def ticket(self) -> bool:
        return self._ticket is not None

    @property
    def ticket_id(self) -> bool:
        return bool(self._ticket and TICKET_ID.search(self._ticket.group(0)))

    @cached_property
    def person(self) -> bool:
        """A person seems to be writing: conversational phrases, or a question that is not about urgency."""
        return bool(PERSON.search(self.head)) or any(
            not URGENT_WORDS.search(q.group(0)) for q in QUESTION.finditer(self.head))

    @cached_property
    def opt_out_words(self) -> bool:
        return bool(OPT_OUT_WORDS.search(self.head))


def read_text(head: str) -> TextFindings:
    return TextFindings(head)


def _helpdesk_headers(msg: InboundMessage) -> bool:
    if msg.mime is None:
        return False
    return any(name.lower().startswith(HELPDESK_HEADER_PREFIXES) for name in msg.mime.keys())


def _hit(msg: InboundMessage, reason: str, head: str, found: TextFindings, *, ticket_hint: bool = False) -> Hit:
    """The auto-reply hit, with the flags and (for a plain absence notice) the return date."""
    flags: set[Flag] = set()
    if found.left_company:
        flags.add(Flag.LEFT_COMPANY)
    if found.ticket or ticket_hint:
        flags.add(Flag.TICKET)
    return_date = None
    if not flags and not found.address_changed:
        languages = (found.language,) if found.language else ()
        return_date = extract_return_date(head, sent_date(msg), languages)
    return Hit(Kind.AUTO_REPLY, reason, flags=frozenset(flags), return_date=return_date)


# --- the header rule ------------------------------------------------------------------------------------

_EXCHANGE_LOOP = ("x-ms-exchange-inbox-rules-loop", "x-ms-exchange-transport-rules-loop",
                  "x-ms-exchange-generated-message-source")
_OTHER_AUTO_HEADERS = ("x-autoreply-from", "x-mail-autoreply", "x-autogenerated", "x-fc-machinegenerated",
                       "x-post-messageclass")


def header_reason(msg: InboundMessage) -> tuple[str, str] | None:
    """(reason, token) when a header marks the message as automatic.

    The token is the Auto-Submitted keyword, "null-return-path", or "" for the headers that only
    autoresponders set; for "auto-generated" and the null return path, list and no-reply signals
    make it bulk instead (notifications carry them too).
    """
    h = msg.headers
    value = h.get("auto-submitted")
    if value is not None:
        token = value.split(";", 1)[0].split("(", 1)[0].strip().lower()
        if token and token != "no":
            return f"Auto-Submitted: {value.strip()[:60]}", token
    for name in ("x-autoreply", "x-autorespond"):
        value = h.get(name)
        if value is not None and value.strip().lower() not in ("no", "false", "0"):
            return f"{name.title()} header", ""
    precedence = (h.get("precedence") or "").strip().lower()
    if precedence in ("auto_reply", "auto-reply", "autoreply"):
        return f"Precedence: {precedence}", ""
    if "x-auto-response-suppress" in h:
        loop = next((n for n in _EXCHANGE_LOOP if n in h), None)
        if loop:
            return f"Exchange rule reply: X-Auto-Response-Suppress with {loop.title()}", ""
    for name in _OTHER_AUTO_HEADERS:
        value = (h.get(name) or "").strip().lower()
        if value and value not in ("no", "false", "0") and (name != "x-post-messageclass" or "autorespond" in value):
            return f"{name.title()} header", ""
    if msg.return_path == "":  # bounces were taken by the bounce rule before this one
        return "null return path <> (automated message)", "null-return-path"
    return None


class AutoReplyHeaders:
    name = "auto_reply_headers"
    description = ("RFC 3834 auto-reply headers: Auto-Submitted other than 'no', X-Autoreply, X-Autorespond, "
                   "Precedence: auto_reply, Exchange X-Auto-Response-Suppress with rule-loop headers, null return path")

    def check(self, facts: Facts) -> Hit | None:
        msg = facts.msg
        try:
            found_header = header_reason(msg)
            if found_header is None:
                return None
            reason, token = found_header
            if token not in ("", "auto-replied") and bulk_signal(msg, facts.ctx) is not None:
                return None  # an auto-generated notification from a list or a no-reply sender: the bulk rule's
            head = new_text(msg)
            found = read_text(head)
            ticket_hint = bool(TICKET_SUBJECT.search(msg.subject)) or _helpdesk_headers(msg)
            return _hit(msg, reason, head, found, ticket_hint=ticket_hint)
        except Exception:  # noqa: BLE001 - a rule never raises
            log.exception("auto_reply_headers failed on %s", msg.message_id)
            return None


# --- the text rule --------------------------------------------------------------------------------------


class AutoReplyText:
    name = "auto_reply_text"
    description = ("auto-reply without headers: subject marker, absence notice with autoresponder boilerplate, "
                   "'left the company' notice or ticket acknowledgement in the new text")

    def check(self, facts: Facts) -> Hit | None:
        msg = facts.msg
        try:
            return self._check(msg)
        except Exception:  # noqa: BLE001 - a rule never raises
            log.exception("auto_reply_text failed on %s", msg.message_id)
            return None

    def _check(self, msg: InboundMessage) -> Hit | None:
        subject = msg.subject
        head = new_text(msg)
        found = read_text(head)
        marker = SUBJECT_MARKER.match(subject)
        if marker:
            return _hit(msg, f"auto-reply subject {marker.group(0).strip()!r}", head, found)
        weak = SUBJECT_MARKER_WEAK.match(subject)
        if weak and not found.person and not found.opt_out_words and len(head) <= TEXT_ONLY_MAX_CHARS:
            return _hit(msg, f"auto-reply subject {weak.group(0).strip()!r}", head, found)
        # Cheapest first: most mail from people has none of these and stops here.
        if not (found.ticket or found.self_declared or found.ooo or found.left_company or found.address_changed):
            return None
        if found.opt_out_words or OPT_OUT_WORDS.search(subject):
            return None  # might be an opt-out: the unsubscribe rules decide
        ticket_subject = bool(TICKET_SUBJECT.search(subject))
        if found.ticket and (found.ticket_id or ticket_subject):
            return _hit(msg, "helpdesk ticket acknowledgement in the text", head, found)
        if found.self_declared and not found.person:
            return _hit(msg, "the text says it is an automatic reply", head, found, ticket_hint=ticket_subject)
        if len(head) > TEXT_ONLY_MAX_CHARS or found.person:
            return None
        if found.left_company and (found.mailbox_closed or found.corroborated):
            return _hit(msg, "'no longer with the company' notice in the text", head, found)
        if found.address_changed and found.mailbox_closed:
            return _hit(msg, "address-change notice in the text", head, found)
        if found.ooo and found.corroborated:
            return _hit(msg, f"out-of-office notice in the text ({found.language})", head, found)
        return None
