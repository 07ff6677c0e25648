"""Default wording of the agent's own sentences in en, de, fr, es.

English comes from the agent's configured templates (config Templates); for
de, fr and es these defaults are used where the operator kept the English
default (a customized template is the operator's words and is used as is).
"""

from __future__ import annotations

from sqa.config import Templates

LANGUAGES = ("en", "de", "fr", "es")

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "greeting": "Hallo {first_name},",
        "need": "Danke für Ihre Antwort. Welches Problem möchten Sie lösen, und was kostet es Sie heute?",
        "timeline": "Das hilft, danke. Bis wann bräuchten Sie eine Lösung?",
        "budget": "Verstanden. Gibt es dafür ein Budget, und in welcher Größenordnung ungefähr?",
        "authority": "Danke. Wer wäre außer Ihnen noch an der Entscheidung beteiligt?",
        "closing": "Vielen Dank, damit habe ich ein klares Bild. Ich gebe Ihre Angaben an {seller} weiter, "
                   "der sich mit einem Vorschlag für die nächsten Schritte bei Ihnen meldet.",
        "answer": "Zu Ihrer Frage: {answer}",
        "pause": "Verstanden, vielen Dank. Ich melde mich zu dem genannten Zeitpunkt wieder.",
        "footer": "Diese Nachricht wurde von einem KI-Assistenten im Auftrag von {agent_company} verfasst.",
    },
    "fr": {
        "greeting": "Bonjour {first_name},",
        "need": "Merci pour votre réponse. Quel problème souhaitez-vous résoudre, et que vous coûte-t-il aujourd'hui ?",
        "timeline": "Merci, c'est utile. Pour quand vous faudrait-il une solution en place ?",
        "budget": "Entendu. Un budget est-il prévu pour cela, et dans quel ordre de grandeur ?",
        "authority": "Merci. En dehors de vous, qui serait impliqué dans la décision ?",
        "closing": "Merci, j'ai maintenant une vision claire. Je transmets vos réponses à {seller}, "
                   "qui vous contactera pour proposer les prochaines étapes.",
        "answer": "Concernant votre question : {answer}",
        "pause": "Entendu, merci. Je reviendrai vers vous au moment indiqué.",
        "footer": "Ce message a été rédigé par un assistant IA pour le compte de {agent_company}.",
    },
    "es": {
        "greeting": "Hola {first_name}:",
        "need": "Gracias por su respuesta. ¿Qué problema quiere resolver y cuánto le cuesta hoy?",
        "timeline": "Eso ayuda, gracias. ¿Para cuándo necesitaría tener una solución?",
        "budget": "Entendido. ¿Hay un presupuesto previsto para esto y, aproximadamente, de qué rango?",
        "authority": "Gracias. Además de usted, ¿quién más participaría en la decisión?",
        "closing": "Gracias, con esto tengo una idea clara. Pasaré sus respuestas a {seller}, "
                   "que se pondrá en contacto para proponer los siguientes pasos.",
        "answer": "Sobre su pregunta: {answer}",
        "pause": "Entendido, gracias. Volveré a contactarle en el momento indicado.",
        "footer": "Este mensaje fue redactado por un asistente de IA en nombre de {agent_company}.",
    },
    "en": {
        "answer": "On your question: {answer}",
        "pause": "Understood, thank you. I'll get back to you at the time you mentioned.",
    },
}

_DEFAULTS = Templates()
DEFAULT_SELLER = "a colleague"  # AgentSettings.seller's default
SELLERS = {"de": "einen Kollegen", "fr": "un collègue", "es": "un colega"}


def local_seller(seller: str, language: str | None) -> str:
    return SELLERS.get(language or "", seller) if seller == DEFAULT_SELLER else seller


def text(key: str, language: str | None, templates: Templates) -> str:
    """The wording for one key: the operator's template, or the language default where the template is default."""
    configured = getattr(templates, key, None)
    lang = language if language in TEXTS else "en"
    if lang != "en" and (configured is None or configured == getattr(_DEFAULTS, key, None)):
        found = TEXTS[lang].get(key)
        if found is not None:
            return found
    if configured is not None:
        return configured
    return TEXTS["en"][key]
