"""The offline engine: deterministic, no network, the embedded default.

Minimal for now: it records the lead's answer as evidence for the BANT slot it
asked last, then asks the next unasked slot (need, timeline, budget,
authority); after all four it closes and hands the lead to a seller.
"""

from __future__ import annotations

from dataclasses import replace

from sqa.agents.engines.base import BANT_ORDER, Decision, EngineInput, EngineOutput, Slot

EVIDENCE_CHARS = 300


class OfflineEngine:
    name = "offline"

    async def respond(self, inp: EngineInput) -> EngineOutput:
        state = inp.state
        turn = state.turn + 1
        slots = dict(state.slots)
        answer = " ".join(inp.reply_text.split())[:EVIDENCE_CHARS]
        if state.asked and answer:
            last = state.asked[-1]
            if last not in slots:
                slots[last] = Slot(value=answer, evidence=answer, turn=turn)
        unasked = [s for s in BANT_ORDER if s not in state.asked]
        if unasked:
            slot = unasked[0]
            text = inp.questions[slot]
            new_state = replace(state, slots=slots, asked=state.asked + (slot,), last_agent_message=text, turn=turn)
            return EngineOutput(Decision.REPLY, text, new_state, f"asks {slot}", self.name)
        new_state = replace(state, slots=slots, last_agent_message=inp.closing, turn=turn)
        return EngineOutput(Decision.HANDOFF, inp.closing, new_state, "all BANT questions answered", self.name)
