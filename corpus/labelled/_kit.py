"""Building blocks for the labelled corpus: leads, our outgoing mail, quoting
styles of real mail clients, MIME parts written byte by byte.

Everything is deterministic (seeded), so ``generate.py`` always writes the same
bytes. Nothing here is imported by the daemon.
"""

from __future__ import annotations

import base64
import hashlib
import html
import quopri
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.header import Header

OUR_NAME = "Ava Agent"
OUR_ADDR = "ava@acme-analytics.test"
OUR_FROM = f"{OUR_NAME} <{OUR_ADDR}>"
OUR_UNSUB = "ava+unsubscribe@acme-analytics.test"
OUR_DOMAIN = "acme-analytics.test"
LOOP = ("X-SQA-Loop", OUR_ADDR)
FOOTER_URL = "https://acme-analytics.test/u/"

RNG = random.Random(20250301)


def h(seed: str, n: int = 16) -> str:
    """Stable pseudo-random hex for ids, derived from a seed string."""
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def b64id(seed: str, n: int = 22) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(seed.encode()).digest()).decode()[:n]


def tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


CET, CEST, UTC = tz(1), tz(2), timezone.utc
EST, EDT, PST, PDT = tz(-5), tz(-4), tz(-8), tz(-7)
BRT, IST = tz(-3), tz(5.5)


def dt(y, mo, d, hh=10, mi=0, z=None, s=0) -> datetime:
    """A local time; without ``z`` it is Central European time with the right DST offset."""
    if z is None:
        naive = datetime(y, mo, d, hh, mi, s)
        summer = (datetime(2024, 3, 31, 2) <= naive < datetime(2024, 10, 27, 3)
                  or datetime(2025, 3, 30, 2) <= naive < datetime(2025, 10, 26, 3))
        z = CEST if summer else CET
    return datetime(y, mo, d, hh, mi, s, tzinfo=z)


def rfcdate(d: datetime) -> str:
    """RFC 5322 date as real MTAs/clients write it (English names)."""
    wd = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][d.weekday()]
    mo = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.month - 1]
    off = d.utcoffset() or timedelta(0)
    mins = int(off.total_seconds() // 60)
    sign = "+" if mins >= 0 else "-"
    mins = abs(mins)
    return f"{wd}, {d.day} {mo} {d.year} {d:%H:%M:%S} {sign}{mins // 60:02d}{mins % 60:02d}"


# --------------------------------------------------------------------------- leads

@dataclass
class Lead:
    first: str
    last: str
    email: str
    company: str
    lang: str = "en"
    title: str = ""
    phone: str = ""
    city: str = ""

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def domain(self) -> str:
        return self.email.split("@", 1)[1]

    @property
    def token(self) -> str:
        return h("lead:" + self.email)

    def addr(self, quote_name: bool = False) -> str:
        return fmt_addr(self.name, self.email, quote_name)


def fmt_addr(name: str, email: str, force_quotes: bool = False) -> str:
    if not name:
        return email
    if name.isascii():
        if force_quotes or any(c in name for c in ",.;:()"):
            return f'"{name}" <{email}>'
        return f"{name} <{email}>"
    return f"{enc_word(name)} <{email}>"


def enc_word(text: str, charset: str = "utf-8", q: bool = True) -> str:
    """An RFC 2047 encoded word the way mail clients write them."""
    if text.isascii():
        return text
    if q:
        data = text.encode(charset)
        out = []
        for b in data:
            ch = chr(b)
            if b == 0x20:
                out.append("_")
            elif (ch.isalnum() and b < 128) or ch in "-!*+/":
                out.append(ch)
            else:
                out.append(f"={b:02X}")
        return f"=?{charset}?Q?{''.join(out)}?="
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def enc_subject(text: str, charset: str = "utf-8", q: bool = True) -> str:
    if text.isascii():
        return text
    return Header(text, charset).encode() if not q else enc_word(text, charset, q=True)


# --------------------------------------------------------------------------- our outgoing mail

@dataclass
class Out:
    lead: Lead
    msgid: str
    subject: str
    text: str
    date: datetime
    references: list[str] = field(default_factory=list)

    @property
    def refs_header(self) -> str:
        return " ".join(self.references + [self.msgid])


_OUT_EN = [
    ("Forecasting at {company}",
     "Hi {first},\n\n"
     "I saw that {company} is hiring two more account executives this quarter. Teams at that\n"
     "stage often find that the pipeline forecast still lives in a spreadsheet that one person\n"
     "updates on Friday afternoons.\n\n"
     "Acme Analytics connects to your CRM and gives sales leaders a live forecast with deal-level\n"
     "risk flags, usually within a day of setup.\n\n"
     "Would a 20-minute walkthrough next week be useful?"),
    ("Quick question about your pipeline reviews",
     "Hi {first},\n\n"
     "How does {company} run its weekly pipeline review today? Most revenue teams we talk to\n"
     "spend the first half of the meeting arguing about which numbers are current.\n\n"
     "We built Acme Analytics so the numbers are always current: it reads your CRM, scores\n"
     "every open deal and shows where the quarter will land.\n\n"
     "Open to a short call on Thursday or Friday?"),
    ("{company} + Acme Analytics",
     "Hello {first},\n\n"
     "Congratulations on the Series B! When a sales team doubles, the forecast is usually the\n"
     "first thing that breaks.\n\n"
     "Acme Analytics gives you win-probability scoring and a board-ready forecast straight\n"
     "from Salesforce or HubSpot. Happy to share how a similar company cut forecast error from\n"
     "18% to 6% in one quarter.\n\n"
     "Worth a conversation?"),
]
_OUT_FOLLOW_EN = (
    "Hi {first},\n\n"
    "Just bumping this up in case it got buried. Happy to send a two-minute video instead of\n"
    "a call if that is easier.")

_OUT = {
    "de": [("Forecasting bei {company}",
            "Hallo {first},\n\n"
            "ich habe gesehen, dass {company} gerade das Vertriebsteam ausbaut. In dieser Phase\n"
            "steckt die Pipeline-Prognose oft noch in einer Excel-Tabelle, die eine Person jeden\n"
            "Freitag aktualisiert.\n\n"
            "Acme Analytics verbindet sich mit Ihrem CRM und liefert eine Live-Prognose mit\n"
            "Risikohinweisen pro Deal, meist innerhalb eines Tages nach der Einrichtung.\n\n"
            "Hätten Sie nächste Woche 20 Minuten für eine kurze Demo?")],
    "fr": [("Prévisions commerciales chez {company}",
            "Bonjour {first},\n\n"
            "J'ai vu que {company} recrute plusieurs commerciaux ce trimestre. À ce stade, la\n"
            "prévision du pipeline vit souvent dans un tableur mis à jour à la main.\n\n"
            "Acme Analytics se connecte à votre CRM et fournit une prévision en temps réel, avec\n"
            "des alertes de risque par opportunité, en général dès le premier jour.\n\n"
            "Seriez-vous disponible 20 minutes la semaine prochaine pour une démo ?")],
    "es": [("Previsión de ventas en {company}",
            "Hola {first}:\n\n"
            "He visto que {company} está ampliando el equipo comercial. En esa fase, la previsión\n"
            "del pipeline suele vivir en una hoja de cálculo que alguien actualiza a mano.\n\n"
            "Acme Analytics se conecta a su CRM y ofrece una previsión en tiempo real con alertas\n"
            "de riesgo por oportunidad, normalmente en un día.\n\n"
            "¿Tendría 20 minutos la semana que viene para una demo?")],
    "nl": [("Forecasting bij {company}",
            "Hoi {first},\n\n"
            "Ik zag dat {company} het salesteam uitbreidt. In die fase zit de pipeline-forecast\n"
            "vaak nog in een spreadsheet die iemand elke vrijdag bijwerkt.\n\n"
            "Acme Analytics koppelt met je CRM en geeft een live forecast met risicosignalen per\n"
            "deal, meestal binnen een dag.\n\n"
            "Heb je volgende week 20 minuten voor een korte demo?")],
    "it": [("Previsioni di vendita in {company}",
            "Ciao {first},\n\n"
            "ho visto che {company} sta ampliando il team commerciale. In questa fase la previsione\n"
            "della pipeline vive spesso in un foglio di calcolo aggiornato a mano.\n\n"
            "Acme Analytics si collega al tuo CRM e fornisce una previsione in tempo reale con\n"
            "segnali di rischio per ogni trattativa, di solito in un giorno.\n\n"
            "Avresti 20 minuti la prossima settimana per una demo?")],
    "pt": [("Previsão de vendas na {company}",
            "Olá {first},\n\n"
            "Vi que a {company} está ampliando o time comercial. Nessa fase, a previsão do pipeline\n"
            "costuma ficar numa planilha atualizada à mão.\n\n"
            "A Acme Analytics se conecta ao seu CRM e entrega uma previsão em tempo real, com\n"
            "alertas de risco por negociação, normalmente em um dia.\n\n"
            "Você teria 20 minutos na próxima semana para uma demonstração?")],
}
_SIGNOFF = {
    "en": "Best,\nAva",
    "de": "Viele Grüße\nAva",
    "fr": "Bien cordialement,\nAva",
    "es": "Un saludo,\nAva",
    "nl": "Groet,\nAva",
    "it": "Un saluto,\nAva",
    "pt": "Abraço,\nAva",
}
_DISCLOSURE = ("Ava is an AI assistant for Acme Analytics GmbH.\n"
               "Acme Analytics GmbH, Torstrasse 140, 10119 Berlin, Germany")


def ours(lead: Lead, date: datetime, variant: int = 0, follow_up_of: Out | None = None,
         lang: str | None = None) -> Out:
    """Our outgoing message to ``lead`` (what the lead will quote)."""
    lang = lang or lead.lang
    token = b64id("u:" + lead.email + str(variant))
    if follow_up_of is not None:
        subject = follow_up_of.subject if follow_up_of.subject.startswith("Re:") else "Re: " + follow_up_of.subject
        body = _OUT_FOLLOW_EN.format(first=lead.first)
        refs = follow_up_of.references + [follow_up_of.msgid]
    else:
        pool = _OUT.get(lang, _OUT_EN)
        subj_t, body_t = pool[variant % len(pool)]
        subject = subj_t.format(company=lead.company)
        body = body_t.format(first=lead.first, company=lead.company)
        refs = []
    text = (f"{body}\n\n{_SIGNOFF.get(lang, _SIGNOFF['en'])}\n\n{_DISCLOSURE}\n\n"
            f"To stop receiving these emails, unsubscribe: {FOOTER_URL}{token}")
    msgid = f"<sqa.{lead.token}.{h('m:' + lead.email + str(variant) + str(date))}@{OUR_DOMAIN}>"
    return Out(lead, msgid, subject, text, date, refs)


# --------------------------------------------------------------------------- localised dates

WD = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    "nl": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
    "it": ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"],
    "pt": ["segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado", "domingo"],
}
MO = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"],
    "pt": ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
           "outubro", "novembro", "dezembro"],
}
# Gmail's short forms
WD_S = {
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "de": ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."],
    "fr": ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
    "es": ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
    "nl": ["ma", "di", "wo", "do", "vr", "za", "zo"],
    "it": ["lun", "mar", "mer", "gio", "ven", "sab", "dom"],
    "pt": ["seg.", "ter.", "qua.", "qui.", "sex.", "sáb.", "dom."],
}
MO_S = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "de": MO["de"],
    "fr": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"],
    "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "it": ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"],
    "pt": ["jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.", "dez."],
}


def _ampm(d: datetime) -> str:
    hh = d.hour % 12 or 12
    return f"{hh}:{d:%M} {'AM' if d.hour < 12 else 'PM'}"


# --------------------------------------------------------------------------- quoting styles

def quote_lines(text: str, prefix: str = "> ") -> str:
    return "\n".join((prefix + ln) if ln else prefix.rstrip() for ln in text.split("\n"))


def gmail_attr(o: Out, lang: str, us: bool = False) -> str:
    d = o.date
    addr = f"{OUR_NAME} <{OUR_ADDR}>"
    w, m = WD_S[lang][d.weekday()], MO_S[lang][d.month - 1]
    if lang == "en":
        if us:
            return f"On {w}, {m} {d.day}, {d.year} at {_ampm(d)} {addr} wrote:"
        return f"On {w}, {d.day} {m} {d.year} at {d:%H:%M}, {addr} wrote:"
    return {
        "de": f"Am {w}, {d.day}. {m} {d.year} um {d:%H:%M} Uhr schrieb {addr}:",
        "fr": f"Le {w} {d.day} {m} {d.year} à {d:%H:%M}, {addr} a écrit :",
        "es": f"El {w}, {d.day} {m} {d.year} a las {d:%H:%M}, {OUR_NAME} (<{OUR_ADDR}>) escribió:",
        "nl": f"Op {w} {d.day} {m} {d.year} om {d:%H:%M} schreef {addr}:",
        "it": f"Il giorno {w} {d.day} {m} {d.year} alle ore {d:%H:%M} {addr} ha scritto:",
        "pt": f"Em {w}, {d.day} de {m} de {d.year} às {d:%H:%M}, {addr} escreveu:",
    }[lang]


def gmail_quote(o: Out, lang: str = "en", us: bool = False, wrap_attr: bool = False) -> str:
    attr = gmail_attr(o, lang, us)
    if wrap_attr and len(attr) > 70:  # Gmail's plain-text part wraps long attribution lines
        cut = attr.rfind(" ", 0, 70)
        attr = attr[:cut] + "\n" + attr[cut + 1:]
    return f"{attr}\n\n{quote_lines(o.text)}\n"


def outlook_header_block(o: Out, lang: str = "en", style: str = "new") -> str:
    d, lead = o.date, o.lead
    to = f"{lead.name} <{lead.email}>"
    if lang == "en":
        if style == "new":
            sent = f"{WD['en'][d.weekday()]}, {d.day} {MO['en'][d.month - 1]} {d.year} {d:%H:%M}"
        else:
            sent = f"{WD['en'][d.weekday()]}, {MO['en'][d.month - 1]} {d.day}, {d.year} {_ampm(d)}"
        rows = [("From", OUR_FROM), ("Sent", sent), ("To", to), ("Subject", o.subject)]
        sep = ": "
    else:
        wd, mo = WD[lang][d.weekday()], MO[lang][d.month - 1]
        sent = {
            "de": f"{wd}, {d.day}. {mo} {d.year} {d:%H:%M}",
            "fr": f"{wd} {d.day} {mo} {d.year} {d:%H:%M}",
            "es": f"{wd}, {d.day} de {mo} de {d.year} {d:%H:%M}",
            "nl": f"{wd} {d.day} {mo} {d.year} {d:%H:%M}",
            "it": f"{wd} {d.day} {mo} {d.year} {d:%H:%M}",
            "pt": f"{wd}, {d.day} de {mo} de {d.year} {d:%H:%M}",
        }[lang]
        names = {
            "de": ("Von", "Gesendet", "An", "Betreff"),
            "fr": ("De", "Envoyé", "À", "Objet"),
            "es": ("De", "Enviado", "Para", "Asunto"),
            "nl": ("Van", "Verzonden", "Aan", "Onderwerp"),
            "it": ("Da", "Inviato", "A", "Oggetto"),
            "pt": ("De", "Enviada em", "Para", "Assunto"),
        }[lang]
        rows = list(zip(names, [OUR_FROM, sent, to, o.subject]))
        sep = " : " if lang == "fr" else ": "
    return "\n".join(f"{k}{sep}{v}" for k, v in rows)


def outlook_quote(o: Out, lang: str = "en", style: str = "new", rule: bool = True) -> str:
    top = "________________________________\n" if rule else ""
    return f"{top}{outlook_header_block(o, lang, style)}\n\n{o.text}\n"


def original_message_quote(o: Out) -> str:
    d = o.date
    return ("-----Original Message-----\n"
            f"From: {OUR_NAME} [mailto:{OUR_ADDR}]\n"
            f"Sent: {WD['en'][d.weekday()]}, {MO['en'][d.month - 1]} {d.day}, {d.year} {_ampm(d)}\n"
            f"To: {o.lead.name} <{o.lead.email}>\n"
            f"Subject: {o.subject}\n\n{o.text}\n")


def apple_attr(o: Out, lang: str = "en") -> str:
    d = o.date
    addr = f"{OUR_NAME} <{OUR_ADDR}>"
    return {
        "en": f"On {d.day} {MO_S['en'][d.month - 1]} {d.year}, at {d:%H:%M}, {addr} wrote:",
        "de": f"Am {d:%d.%m.%Y} um {d:%H:%M} schrieb {addr}:",
        "fr": f"Le {d.day} {MO['fr'][d.month - 1]} {d.year} à {d:%H:%M}, {addr} a écrit :",
        "es": f"El {d.day} {MO['es'][d.month - 1]} {d.year}, a las {d:%H:%M}, {addr} escribió:",
        "nl": f"Op {d.day} {MO['nl'][d.month - 1]} {d.year} om {d:%H:%M} heeft {addr} het volgende geschreven:",
        "it": f"Il giorno {d.day} {MO['it'][d.month - 1]} {d.year}, alle ore {d:%H:%M}, {addr} ha scritto:",
        "pt": f"Em {d.day} de {MO['pt'][d.month - 1]} de {d.year}, à(s) {d:%H:%M}, {addr} escreveu:",
    }[lang]


def apple_quote(o: Out, lang: str = "en", ios: bool = False) -> str:
    if ios:  # iOS Mail quotes the attribution too
        return quote_lines(apple_attr(o, lang) + "\n\n" + o.text) + "\n"
    return f"{apple_attr(o, lang)}\n\n{quote_lines(o.text)}\n"


def thunderbird_quote(o: Out, lang: str = "en") -> str:
    d = o.date
    attr = {"en": f"On {d:%d/%m/%Y %H:%M}, {OUR_NAME} wrote:",
            "de": f"Am {d:%d.%m.%y} um {d:%H:%M} schrieb {OUR_NAME}:",
            "fr": f"Le {d:%d/%m/%Y} à {d:%H:%M}, {OUR_NAME} a écrit :",
            "nl": f"Op {d:%d-%m-%Y} om {d:%H:%M} schreef {OUR_NAME}:",
            "it": f"Il {d:%d/%m/%Y} {d:%H:%M}, {OUR_NAME} ha scritto:",
            "es": f"El {d:%d/%m/%y} a las {d:%H:%M}, {OUR_NAME} escribió:",
            "pt": f"Em {d:%d/%m/%Y} {d:%H:%M}, {OUR_NAME} escreveu:"}[lang]
    return f"{attr}\n{quote_lines(o.text)}\n"


# --------------------------------------------------------------------------- HTML renderings

def esc(t: str) -> str:
    return html.escape(t, quote=False)


def html_paras(text: str, tag: str = "div") -> str:
    """Plain paragraphs to HTML as Gmail writes them (div per line, <br> for blank)."""
    out = []
    for ln in text.split("\n"):
        out.append(f"<{tag}>{esc(ln)}</{tag}>" if ln else f"<{tag}><br></{tag}>")
    return "".join(out)


def html_block(text: str) -> str:
    return "<br>\n".join(esc(ln) for ln in text.split("\n"))


def gmail_html(new: str, o: Out, lang: str = "en", sig: str = "", us: bool = False) -> str:
    sig_html = ""
    if sig.startswith("-- \n"):
        sig_html = ('<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br>'
                    f'<div dir="ltr" class="gmail_signature">{html_block(sig[4:])}</div>')
    elif sig:
        sig_html = "<div><br></div>" + html_paras(sig)
    return (f'<div dir="ltr">{html_paras(new)}{sig_html}</div><br>'
            f'<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
            f'{esc(gmail_attr(o, lang, us))}<br></div>'
            '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
            f'rgb(204,204,204);padding-left:1ex">{html_block(o.text)}</blockquote></div>\n')


_MSO_HEAD = (
    '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
    'xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n'
    '<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
    '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n'
    '<style><!--\n/* Font Definitions */\n@font-face\n\t{{font-family:"Cambria Math";\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}}\n'
    '@font-face\n\t{{font-family:Aptos;}}\n/* Style Definitions */\np.MsoNormal, li.MsoNormal, div.MsoNormal\n'
    '\t{{margin:0cm;\n\tfont-size:12.0pt;\n\tfont-family:"Aptos",sans-serif;\n\tmso-ligatures:standardcontextual;}}\n'
    'a:link, span.MsoHyperlink\n\t{{mso-style-priority:99;\n\tcolor:#467886;\n\ttext-decoration:underline;}}\n'
    'span.EmailStyle19\n\t{{mso-style-type:personal-reply;\n\tfont-family:"Aptos",sans-serif;\n\tcolor:windowtext;}}\n'
    '.MsoChpDefault\n\t{{mso-style-type:export-only;\n\tfont-size:10.0pt;\n\tmso-ligatures:none;}}\n'
    '@page WordSection1\n\t{{size:612.0pt 792.0pt;\n\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}}\n'
    'div.WordSection1\n\t{{page:WordSection1;}}\n--></style><!--[if gte mso 9]><xml>\n<o:shapedefaults v:ext="edit" spidmax="1026" />\n'
    '</xml><![endif]--><!--[if gte mso 9]><xml>\n<o:shapelayout v:ext="edit">\n<o:idmap v:ext="edit" data="1" />\n'
    '</o:shapelayout></xml><![endif]-->\n</head>\n'
    '<body lang="{lang}" link="#467886" vlink="#96607D" style="word-wrap:break-word">\n<div class="WordSection1">\n')


def mso_paras(text: str) -> str:
    out = []
    for ln in text.split("\n"):
        if ln:
            out.append(f'<p class="MsoNormal"><span style="font-size:11.0pt">{esc(ln)}<o:p></o:p></span></p>\n')
        else:
            out.append('<p class="MsoNormal"><span style="font-size:11.0pt"><o:p>&nbsp;</o:p></span></p>\n')
    return "".join(out)


def outlook_html(new: str, o: Out | None, lang: str = "en", sig: str = "", charset: str = "us-ascii",
                 html_lang: str = "EN-GB", disclaimer: str = "") -> str:
    body = mso_paras(new)
    if sig:
        body += '<p class="MsoNormal"><span style="font-size:11.0pt"><o:p>&nbsp;</o:p></span></p>\n' + mso_paras(sig)
    if disclaimer:
        body += ('<p class="MsoNormal"><span style="font-size:7.5pt;color:gray">'
                 f'{esc(disclaimer)}<o:p></o:p></span></p>\n')
    quoted = ""
    if o is not None:
        hb = outlook_header_block(o, lang).split("\n")
        rows = "".join(f'<b>{esc(r.split(":", 1)[0])}:</b>{esc(r.split(":", 1)[1])}<br>\n' for r in hb)
        quoted = ('<p class="MsoNormal"><span style="font-size:11.0pt"><o:p>&nbsp;</o:p></span></p>\n'
                  '<div id="mail-editor-reference-message-container">'
                  '<div style="border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
                  f'<p class="MsoNormal" style="margin-bottom:12.0pt"><span style="font-size:12.0pt;color:black">{rows}'
                  '</span></p>\n</div>\n'
                  f'<div><p class="MsoNormal"><span style="font-size:11.0pt">{html_block(o.text)}</span></p></div>\n</div>\n')
    return _MSO_HEAD.format(charset=charset, lang=html_lang) + body + quoted + "</div>\n</body>\n</html>\n"


def owa_html(new: str, o: Out, lang: str = "en", sig: str = "", charset: str = "iso-8859-1") -> str:
    """Outlook on the web / new Outlook: divRplyFwdMsg with an <hr>."""
    hb = outlook_header_block(o, lang).split("\n")
    rows = "<br>\n".join(f'<b>{esc(r.split(":", 1)[0])}:</b>{esc(r.split(":", 1)[1])}' for r in hb)
    sigp = f'<div class="elementToProof" style="font-size:12pt"><br>{html_block(sig)}</div>\n' if sig else ""
    return ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=' + charset + '">\n'
            '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>\n</head>\n'
            '<body dir="ltr">\n'
            + "".join(f'<div class="elementToProof" style="font-family: Aptos, Calibri, Helvetica, sans-serif; '
                      f'font-size: 12pt; color: rgb(0, 0, 0);">\n{esc(ln) if ln else "<br>"}</div>\n'
                      for ln in new.split("\n"))
            + sigp
            + '<div id="appendonsend"></div>\n<hr style="display:inline-block;width:98%" tabindex="-1">\n'
            f'<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
            f'{rows}</font>\n<div>&nbsp;</div>\n</div>\n'
            f'<div>\n<div dir="ltr">{html_block(o.text)}</div>\n</div>\n</body>\n</html>\n')


def apple_html(new: str, o: Out, lang: str = "en", mobile: str = "") -> str:
    mob = "<div><br></div>" + html_paras(mobile) if mobile else ""
    return ('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
            '<body dir="auto">' + html_paras(new) + mob
            + f'<div dir="ltr"><br><blockquote type="cite">{esc(apple_attr(o, lang))}<br><br></blockquote></div>'
            f'<blockquote type="cite"><div dir="ltr">{html_block(o.text)}</div></blockquote></body></html>\n')


# --------------------------------------------------------------------------- MIME writing

def _cte_encode(data: bytes, cte: str) -> bytes:
    if cte == "quoted-printable":
        out = quopri.encodestring(data)
        return out if out.endswith(b"\n") else out + b"\n"
    if cte == "base64":
        return base64.encodebytes(data)
    return data if data.endswith(b"\n") else data + b"\n"


def text_part(text: str, subtype: str = "plain", charset: str = "utf-8", cte: str | None = None,
              extra: list[tuple[str, str]] | None = None, params: str = "", quote_charset: bool = True) -> bytes:
    """One leaf part: its headers, a blank line, its encoded body."""
    data = text.encode(charset)
    if cte is None:
        cte = "7bit" if data.isascii() and max((len(x) for x in text.split("\n")), default=0) < 998 else "quoted-printable"
    cs = f'"{charset}"' if quote_charset else charset
    hdr = f"Content-Type: text/{subtype}; charset={cs}{params}\nContent-Transfer-Encoding: {cte}\n"
    for k, v in extra or []:
        hdr += f"{k}: {v}\n"
    return hdr.encode("ascii") + b"\n" + _cte_encode(data, cte)


def raw_part(headers: list[tuple[str, str]], body: bytes) -> bytes:
    hdr = "".join(f"{k}: {v}\n" for k, v in headers)
    return hdr.encode("utf-8") + b"\n" + (body if body.endswith(b"\n") else body + b"\n")


def multipart(subtype: str, parts: list[bytes], boundary: str, params: str = "",
              preamble: str | None = None, close: bool = True) -> bytes:
    hdr = f'Content-Type: multipart/{subtype};{params}\n\tboundary="{boundary}"\n'
    b = boundary.encode()
    body = b""
    if preamble is not None:
        body += preamble.encode() + b"\n\n"
    for p in parts:
        body += b"--" + b + b"\n" + p + b"\n"
    if close:
        body += b"--" + b + b"--\n"
    return hdr.encode() + b"\n" + body


def attachment(filename: str, ctype: str, data: bytes, inline: bool = False, cid: str | None = None) -> bytes:
    disp = "inline" if inline else "attachment"
    hdrs = [("Content-Type", f'{ctype}; name="{filename}"'),
            ("Content-Disposition", f'{disp}; filename="{filename}"'),
            ("Content-Transfer-Encoding", "base64")]
    if cid:
        hdrs.append(("Content-ID", f"<{cid}>"))
    return raw_part(hdrs, base64.encodebytes(data))


def message(headers: list[tuple[str, str]], part: bytes, mime: bool = True, eol: str = "\r\n") -> bytes:
    """Top-level headers + the body part (whose own headers join the top header block)."""
    hdr = "".join(f"{k}: {v}\n" for k, v in headers)
    if mime:
        hdr += "MIME-Version: 1.0\n"
    raw = hdr.encode("utf-8") + part
    if eol == "\r\n":
        raw = re.sub(rb"\r?\n", b"\r\n", raw)
    return raw


def fold(name: str, value: str, width: int = 76) -> str:
    """Fold a long header value at spaces (as MTAs do); returns value with folding."""
    words = value.split(" ")
    lines, cur = [], ""
    first = True
    for w in words:
        limit = width - (len(name) + 2 if first else 1)
        if cur and len(cur) + 1 + len(w) > limit:
            lines.append(cur)
            cur, first = w, False
        else:
            cur = f"{cur} {w}" if cur else w
    lines.append(cur)
    return "\n\t".join(lines)


def received(by: str, frm: str, ip: str, d: datetime, with_: str = "ESMTPS", id_: str = "",
             for_: str = OUR_ADDR, tls: str = "version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256") -> str:
    idv = id_ or h("rcv" + by + frm + str(d), 12).upper()
    return (f"from {frm} ({frm} [{ip}])\n\tby {by} with {with_} id {idv}\n\t"
            f"(using TLS {tls})\n\tfor <{for_}>; {rfcdate(d)}")


def inbound_received(sender_host: str, ip: str, d: datetime, for_: str = OUR_ADDR) -> list[tuple[str, str]]:
    """The two Received lines our own mail host adds, plus the sender's one."""
    d1 = d + timedelta(seconds=2)
    d2 = d + timedelta(seconds=3)
    return [
        ("Received", f"from mx1.acme-analytics.test (mx1.acme-analytics.test [10.0.0.25])\n\tby imap.acme-analytics.test "
                     f"(Postfix) with ESMTPS id {h('r1' + str(d), 10).upper()}\n\tfor <{for_}>; {rfcdate(d2.astimezone(UTC))}"),
        ("Received", f"from {sender_host} ({sender_host} [{ip}])\n\tby mx1.acme-analytics.test (Postfix) with ESMTPS id "
                     f"{h('r2' + str(d), 10).upper()}\n\tfor <{for_}>; {rfcdate(d1.astimezone(UTC))}"),
    ]


def msgid_for(client: str, seed: str, domain: str) -> str:
    x = h(seed, 32)
    if client == "gmail":
        return f"<CA{b64id(seed, 8)}+{b64id(seed + '1', 24)}{x[:6]}@mail.gmail.com>"
    if client in ("outlook", "owa"):
        tag = x[:4].upper()
        return f"<{x[:8].upper()}{x[8:12].upper()}{tag}A{x[12:16].upper()}@{x[16:20].upper()}PR3P192MB0{x[20:23]}.EURP192.PROD.OUTLOOK.COM>"
    if client == "apple":
        return f"<{x[:8].upper()}-{x[8:12].upper()}-{x[12:16].upper()}-{x[16:20].upper()}-{x[20:32].upper()}@{domain}>"
    if client == "thunderbird":
        return f"<{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:32]}@{domain}>"
    return f"<{x[:20]}@{domain}>"


def reply_headers(lead: Lead, o: Out, d: datetime, client: str, subject: str | None = None,
                  sender_host: str | None = None, ip: str = "203.0.113.10", to: str = OUR_FROM,
                  extra: list[tuple[str, str]] | None = None, from_: str | None = None,
                  msgid: str | None = None, subject_prefix: str = "Re: ",
                  mailer: str | None = None) -> list[tuple[str, str]]:
    """Headers of a lead's reply to our message ``o`` as ``client`` writes them."""
    subj = subject if subject is not None else (o.subject if o.subject.lower().startswith(("re:", "aw:"))
                                                else subject_prefix + o.subject)
    host = sender_host or {
        "gmail": "mail-wr1-f49.google.com",
        "outlook": f"mail-{h(lead.domain, 4)}.outbound.protection.outlook.com",
        "owa": f"mail-{h(lead.domain, 4)}.outbound.protection.outlook.com",
    }.get(client, f"mail.{lead.domain}")
    mid = msgid or msgid_for(client, lead.email + subj + str(d), lead.domain)
    rp = from_.rsplit("<", 1)[-1].rstrip(">") if from_ else lead.email
    hs = [("Return-Path", f"<{rp}>")] + inbound_received(host, ip, d)
    hs += [("From", from_ or lead.addr()), ("To", to), ("Subject", enc_subject(subj)),
           ("Date", rfcdate(d)), ("Message-ID", mid),
           ("In-Reply-To", o.msgid), ("References", fold("References", o.refs_header))]
    if client in ("outlook", "owa"):
        hs += [("Thread-Topic", enc_subject(o.subject)),
               ("Thread-Index", base64.b64encode(hashlib.md5((lead.email + str(d)).encode()).digest()[:22]).decode()),
               ("Accept-Language", "en-GB, en-US" if lead.lang == "en" else f"{lead.lang}-{lead.lang.upper()}, en-US"),
               ("Content-Language", "en-GB" if lead.lang == "en" else f"{lead.lang}-{lead.lang.upper()}"),
               ("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", "")]
    elif client == "apple":
        hs += [("X-Mailer", mailer or "Apple Mail (2.3826.400.131.1.6)")]
    elif client == "thunderbird":
        hs += [("User-Agent", mailer or "Mozilla Thunderbird"), ("Content-Language", lead.lang if lead.lang != "en" else "en-US")]
    elif mailer:
        hs += [("X-Mailer", mailer)]
    for k, v in extra or []:
        hs.append((k, v))
    return hs


def boundary(client: str, seed: str) -> str:
    x = h("b" + seed, 28)
    if client == "gmail":
        return "000000000000" + x[:16]
    if client in ("outlook", "owa"):
        return f"_000_{x[:8].upper()}{x[8:16].upper()}PR3P192MB0{x[16:19]}EURP_"
    if client == "apple":
        return f"Apple-Mail={x[:8].upper()}-{x[8:12].upper()}-{x[12:16].upper()}-{x[16:20].upper()}-{x[20:28].upper()}"
    if client == "thunderbird":
        return "------------" + x[:24]
    return "----=_Part_" + str(int(x[:8], 16)) + "_" + str(int(x[8:14], 16)) + "." + str(int(x[14:24], 16))


def ours_headers(o: Out, extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """Headers of our outgoing mail exactly as the daemon writes them (compose.py)."""
    token = o.text.rsplit("/u/", 1)[1].strip()
    hs = [("Content-Type", 'text/plain; charset="utf-8"'), ("MIME-Version", "1.0"),
          ("Content-Transfer-Encoding", "quoted-printable"),
          ("From", OUR_FROM), ("To", fmt_addr(o.lead.name, o.lead.email)), ("Subject", enc_subject(o.subject)),
          ("Date", rfcdate(o.date)), ("Message-ID", o.msgid)]
    if o.references:
        hs += [("In-Reply-To", o.references[-1]), ("References", fold("References", " ".join(o.references)))]
    hs += [("List-Unsubscribe", f"<{FOOTER_URL}{token}>,\n <mailto:{OUR_UNSUB}?subject=unsubscribe>"),
           ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"), LOOP]
    return hs + (extra or [])


def render_ours(o: Out, extra: list[tuple[str, str]] | None = None, headers_only: bool = False,
                received_: list[tuple[str, str]] | None = None) -> bytes:
    """Our outgoing message as bytes (LF), as it would be attached to a bounce."""
    hs = (received_ or []) + ours_headers(o, extra)
    head = "".join(f"{k}: {v}\n" for k, v in hs).encode()
    if headers_only:
        return head
    return head + b"\n" + quopri.encodestring(o.text.encode("utf-8")) + b"\n"
