"""The pages' words in English, German, French and Spanish, and how a language is chosen."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT = "en"


@dataclass(frozen=True, slots=True)
class Texts:
    title: str
    ask: str  # {company}, {address}
    scope_all: str
    scope_agent: str  # {company}
    button: str
    done_title: str
    done: str  # {address}, {company}
    changed_mind: str
    resubscribe: str
    resubscribed_title: str
    resubscribed: str  # {address}
    erased: str
    bad_title: str
    malformed: str
    not_found: str
    other_ways: str
    slow_down: str


TEXTS: dict[str, Texts] = {
    "en": Texts(
        title="Unsubscribe",
        ask="Stop emails from {company} to {address}?",
        scope_all="You will get no more emails from any of our senders.",
        scope_agent="You will get no more emails from this sender of {company}.",
        button="Unsubscribe",
        done_title="You are unsubscribed",
        done="{address} will get no more emails from {company}.",
        changed_mind="Unsubscribed by mistake?",
        resubscribe="Resubscribe",
        resubscribed_title="You are subscribed again",
        resubscribed="{address} may get emails from {company} again.",
        erased="This address is already unsubscribed.",
        bad_title="This link does not work",
        malformed="The link is incomplete. Please copy the whole link from the email.",
        not_found="This link is not valid, or no longer valid.",
        other_ways="You can also reply to the email with the word “unsubscribe”.",
        slow_down="Too many requests. Please try again in a minute.",
    ),
    "de": Texts(
        title="Abmelden",
        ask="Keine E-Mails mehr von {company} an {address}?",
        scope_all="Sie erhalten dann keine E-Mails mehr von unseren Absendern.",
        scope_agent="Sie erhalten dann keine E-Mails mehr von diesem Absender von {company}.",
        button="Abmelden",
        done_title="Sie sind abgemeldet",
        done="{address} erhält keine E-Mails mehr von {company}.",
        changed_mind="Versehentlich abgemeldet?",
        resubscribe="Wieder anmelden",
        resubscribed_title="Sie sind wieder angemeldet",
        resubscribed="{address} kann wieder E-Mails von {company} erhalten.",
        erased="Diese Adresse ist bereits abgemeldet.",
        bad_title="Dieser Link funktioniert nicht",
        malformed="Der Link ist unvollständig. Bitte kopieren Sie den ganzen Link aus der E-Mail.",
        not_found="Dieser Link ist nicht oder nicht mehr gültig.",
        other_ways="Sie können auch auf die E-Mail mit dem Wort „abmelden“ antworten.",
        slow_down="Zu viele Anfragen. Bitte versuchen Sie es in einer Minute erneut.",
    ),
    "fr": Texts(
        title="Se désabonner",
        ask="Ne plus recevoir d’e-mails de {company} à {address} ?",
        scope_all="Vous ne recevrez plus d’e-mails d’aucun de nos expéditeurs.",
        scope_agent="Vous ne recevrez plus d’e-mails de cet expéditeur de {company}.",
        button="Se désabonner",
        done_title="Vous êtes désabonné",
        done="{address} ne recevra plus d’e-mails de {company}.",
        changed_mind="Désabonné par erreur ?",
        resubscribe="Se réabonner",
        resubscribed_title="Vous êtes de nouveau abonné",
        resubscribed="{address} peut de nouveau recevoir des e-mails de {company}.",
        erased="Cette adresse est déjà désabonnée.",
        bad_title="Ce lien ne fonctionne pas",
        malformed="Le lien est incomplet. Veuillez copier le lien entier depuis l’e-mail.",
        not_found="Ce lien n’est pas ou plus valide.",
        other_ways="Vous pouvez aussi répondre à l’e-mail avec le mot « désabonner ».",
        slow_down="Trop de demandes. Veuillez réessayer dans une minute.",
    ),
    "es": Texts(
        title="Darse de baja",
        ask="¿Dejar de recibir correos de {company} en {address}?",
        scope_all="No recibirá más correos de ninguno de nuestros remitentes.",
        scope_agent="No recibirá más correos de este remitente de {company}.",
        button="Darse de baja",
        done_title="Se ha dado de baja",
        done="{address} no recibirá más correos de {company}.",
        changed_mind="¿Se dio de baja por error?",
        resubscribe="Volver a suscribirse",
        resubscribed_title="Vuelve a estar suscrito",
        resubscribed="{address} puede volver a recibir correos de {company}.",
        erased="Esta dirección ya está dada de baja.",
        bad_title="Este enlace no funciona",
        malformed="El enlace está incompleto. Copie el enlace completo del correo.",
        not_found="Este enlace no es válido o ya no lo es.",
        other_ways="También puede responder al correo con la palabra «baja».",
        slow_down="Demasiadas solicitudes. Inténtelo de nuevo en un minuto.",
    ),
}


def _primary(tag: str) -> str:
    return tag.strip().replace("_", "-").split("-", 1)[0].lower()


def from_accept_language(header: str | None) -> str | None:
    """The best supported language of an Accept-Language header, or None."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0 and _primary(tag) in TEXTS:
            ranked.append((-q, index, _primary(tag)))
    return min(ranked)[2] if ranked else None


def choose(lead_language: str | None, accept_language: str | None) -> str:
    """The lead's language when we have its words, else the browser's, else English."""
    if lead_language and _primary(lead_language) in TEXTS:
        return _primary(lead_language)
    return from_accept_language(accept_language) or DEFAULT


def mask(address: str) -> str:
    """l***@lead.test: enough for a person to recognise, nothing for a shoulder-surfer."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"
