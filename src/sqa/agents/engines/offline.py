"""The offline engine: deterministic, no network, the embedded default and the fallback.

extract (BANT, intents, interest, injection) -> merge into the conversation
state -> answer the lead's questions from the retrieved snippets (only their
text, cited) -> readiness (one ordered rule table) -> the words: an answer
plus the next unknown BANT question, the closing on a handoff, a short
acknowledgement on a pause, nothing when a human takes over.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from datetime import date, datetime, timezone

from sqa.agents import extract as ex
from sqa.agents.engines.base import ConversationState, Decision, EngineInput, EngineOutput, Intent, Snippet
from sqa.agents import knowledge as kn
from sqa.agents.lexicon import NUMBERS, fold
from sqa.agents.readiness import Facts, Verdict, decide

MIN_COVERAGE = 0.6  # share of a question's content terms a snippet must contain to answer it
MAX_ANSWERS = 2
ANSWER_CHARS = 400
# words every product question has; they say nothing about whether a snippet answers it
GENERIC_WORDS = (
    "support supports supported offer offers provide provides work works use used using have has also product "
    "tool solution software platform possible available option options feature features able handle handles "
    "help helps anything something way ways kind type question questions know tell include includes included "
    "unterstützt unterstützen bietet bieten anbieten möglich funktioniert gibt haben nutzen Frage "
    "propose proposez offrez possible fonctionne avez question "
    "ofrecen ofrece tienen funciona posible pregunta puede pueden "
    "exactly idea side part about thing things details detail more bit exactement idee genau idea exactamente")
SIZE_RANGE = re.compile(r"\b(\d[\d,.]*)\s*(?:to|-|–|and|bis|a|à)\s*(\d[\d,.]*)\s+([^\W\d_]{3,})")
LEAD_COUNT = re.compile(r"\b(\d[\d,.]*|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) +
                        r")(?:\s+|-)(?:[^\W\d_]+\s+)??([^\W\d_]{3,})")
# what a size is counted in: a lead's "five laptops" is measured against "50 to 5,000 devices"
UNITS = {
    "people": "employees employee people person persons staff fte users user seats members mitarbeiter mitarbeitende "
              "beschaftigte personen nutzer employes salaries personnes utilisateurs empleados personas usuarios",
    "devices": "devices device laptops laptop computers computer pcs machines endpoints notebooks gerate rechner "
               "appareils ordinateurs postes equipos dispositivos ordenadores portatiles",
    "vehicles": "vans van vehicles vehicle trucks truck cars fleet fahrzeuge transporter lkw vehicules camionnettes "
                "camions vehiculos furgonetas camiones",
    "sites": "stores store shops shop restaurants locations sites branches outlets filialen standorte magasins "
             "boutiques tiendas locales sucursales",
    "attendees": "attendees participants guests visitors teilnehmer besucher invites asistentes",
}
UNIT_CLASS = {word: cls for cls, words in UNITS.items() for word in words.split()}


def tokens(text: str) -> list[str]:
    return kn.tokens(text)


@cache
def generic() -> frozenset[str]:
    return frozenset(tokens(GENERIC_WORDS))


def _today(inp: EngineInput) -> date:
    return inp.today or datetime.now(timezone.utc).date()


def _question_terms(question: str) -> set[str]:
    return {t for t in tokens(question) if t not in generic()}


def _proper_terms(question: str) -> set[str]:
    """Names and acronyms in a question (SAP, GDPR, Salesforce): a snippet must name them to answer it."""
    words = re.findall(r"\b[A-Z][\w-]*[A-Z0-9][\w-]*\b|(?<![.?!]\s)(?<!^)\b[A-Z][a-z]+\b", question.strip("¿¡ "))
    return {t for w in words for t in tokens(w)} - generic()


def answer(question: str, snippets: tuple[Snippet, ...]) -> Snippet | None:
    """The snippet that answers the question, if one does (coverage of its content terms, names all present)."""
    terms = _question_terms(question)
    if not terms:  # "what is it about?": the overview (score 0, added by the agent) or the best snippet
        return next((s for s in snippets if s.score == 0.0), snippets[0] if snippets else None)
    proper = _proper_terms(question)
    best, best_cov = None, 0.0
    for snip in snippets:
        have = set(tokens(f"{snip.title} {snip.text}"))
        cov = len(terms & have) / len(terms)
        if proper - have:
            continue
        if cov > best_cov:
            best, best_cov = snip, cov
    return best if best is not None and best_cov >= MIN_COVERAGE else None


def _quote(question: str, snip: Snippet) -> str:
    """The snippet's own sentences that answer the question (all of it when short)."""
    if len(snip.text) <= ANSWER_CHARS:
        return snip.text
    terms = _question_terms(question)
    parts = ex.sentences(snip.text)
    ranked = sorted(parts, key=lambda s: -len(terms & set(tokens(s))))[:2]
    return " ".join(p for p in parts if p in ranked)


def _size_no_fit(reply: str, snippets: tuple[Snippet, ...]) -> str | None:
    """A lead's stated size outside a range the knowledge states ("fleets of 10 to 500 vans", "we run 4 vans")."""
    folded = fold(reply)
    for snip in snippets:
        for m in SIZE_RANGE.finditer(fold(snip.text)):
            lo, hi = ex._number(m.group(1)), ex._number(m.group(2))
            unit = UNIT_CLASS.get(m.group(3))
            if lo is None or hi is None or unit is None or lo >= hi:
                continue
            for c in LEAD_COUNT.finditer(folded):
                n = ex._number(c.group(1))
                if n is not None and UNIT_CLASS.get(c.group(2)) == unit and not lo <= n <= hi:
                    return f"size {n} {c.group(2)} outside the range the product serves ({lo} to {hi} {m.group(3)})"
    return None


class OfflineEngine:
    name = "offline"

    async def respond(self, inp: EngineInput) -> EngineOutput:
        state, rule = inp.state, inp.qualification
        turn = state.turn + 1
        asked_last = state.asked[-1] if state.asked else None
        found = ex.extract(inp.reply_text, turn, today=_today(inp), asked_last=asked_last)
        size = _size_no_fit(inp.reply_text, inp.snippets)
        if size:
            found = replace(found, no_fit=found.no_fit + (size,))

        answered: list[tuple[str, Snippet]] = []
        unanswered: list[str] = []
        for question in found.questions:
            snip = answer(question, inp.snippets)
            if snip is not None:
                answered.append((question, snip))
            else:
                unanswered.append(question)
        escalate = tuple(r for r in found.escalate
                         if not (r.startswith("pricing question") and any(s.source.lower().startswith("pricing")
                                                                          for _, s in answered)))
        found = replace(found, escalate=escalate)

        slots = {**state.slots, **found.slots}
        interest, signal = state.interest, state.interest_signal
        if found.interest is not None:
            interest, signal = found.interest, found.interest_signal
        language = inp.lead.language or found.language or state.language
        open_questions = tuple(q for q in state.open_questions if q not in {a for a, _ in answered})
        open_questions += tuple(q for q in unanswered if q not in open_questions)
        merged = replace(state, slots=slots, turn=turn, interest=interest, interest_signal=signal,
                         open_questions=open_questions, language=language)

        name, verdict = decide(Facts(found, merged, tuple(unanswered), rule))
        if found.injection and verdict.decision is Decision.HANDOFF and name == "qualified":
            verdict = Verdict(Decision.REPLY, "keeps qualifying (suspected prompt injection in this reply)",
                              verdict.intent)
        return self._compose(inp, merged, verdict, answered, found.injection)

    def _compose(self, inp: EngineInput, state: ConversationState, verdict: Verdict,
                 answered: list[tuple[str, Snippet]], injection: tuple[str, ...]) -> EngineOutput:
        cited: list[str] = []
        parts: list[str] = []
        if not inp.feedback:  # the regeneration after a guardrail finding says only the agent's own words
            for question, snip in answered[:MAX_ANSWERS]:
                parts.append(_quote(question, snip))
                cited.append(snip.id)
        if parts:
            intro = inp.questions.get("answer", "{answer}")
            parts = [intro.replace("{answer}", " ".join(parts))]
        reasons = verdict.reasons + tuple(f"suspected prompt injection: \"{s}\"" for s in injection)
        paused = verdict.paused_until.isoformat() if verdict.paused_until else None
        decision, reason = verdict.decision, verdict.reason
        asked = state.asked
        if decision is Decision.REPLY:
            order = [s for s in inp.qualification.order if s not in state.slots]
            # a question not asked yet, else one the lead skipped (asked once more, never a third time)
            nxt = next((s for s in order if s not in asked), next((s for s in order if asked.count(s) < 2), None))
            if nxt is not None:
                parts.append(inp.questions[nxt])
                asked = asked + (nxt,)
                reason = f"{reason}; asks {nxt}"
            elif state.interest == "negative" or not state.slots:
                decision, reason = Decision.ESCALATE, "every question asked, nothing qualifies the lead: a human decides"
                parts = []
            else:
                decision, reason = Decision.HANDOFF, "every BANT question asked: a seller takes over"
        if decision is Decision.HANDOFF:
            parts.append(inp.closing)
        elif decision is Decision.PAUSE:
            parts = [inp.questions.get("pause", "")]
        elif decision in (Decision.ESCALATE, Decision.DISQUALIFY, Decision.OPT_OUT):
            parts, cited = [], []
        text = "\n\n".join(p for p in parts if p) or None
        new_state = replace(state, asked=asked, last_agent_message=text or state.last_agent_message)
        return EngineOutput(decision, text, new_state, reason, self.name, intent=verdict.intent, cited=tuple(cited),
                            reasons=reasons, paused_until=paused)
