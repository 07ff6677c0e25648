"""The opt-out phrase tables (en, de, fr, es, nl, it, pt) that ``unsubscribe`` reads texts with.

STRONG_CHECKED / STRONG_PLAIN / STRONG_PRIORITY requests, SAFE uses of the same words, TRIGGERS
(any opt-out vocabulary), the one-clause requests (STANDALONE, NOT_INTERESTED), and the word lists
for quoted history, reply prefixes, clause ends and negations. See ``unsubscribe`` for how they
are used.
"""

from __future__ import annotations

import re

from sqa.mailbox.classify.optout_match import PatternSet, _fold_pattern

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
    # the verb last: "Gelieve mij uit uw mailinglijst te verwijderen", "wilt u ons van de lijst halen"
    r"\b(?:mij|me|ons|mijn \S+)(?: \S+){0,4}? (?:uit|van) (?:de|jullie|uw|je|het|deze|alle) (?:\S+ )?"
    r"(?:lijst|mailinglijst|verzendlijst|bestand|database|nieuwsbrief|mailing)\S* (?:te )?(?:verwijderen|halen)\b",
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
