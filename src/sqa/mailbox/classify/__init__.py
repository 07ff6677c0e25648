"""Inbound classification: a chain of small named rules (see chain.CHAIN)."""

from sqa.mailbox.classify.base import Context, Kind, Verdict
from sqa.mailbox.classify.chain import classify

__all__ = ["Context", "Kind", "Verdict", "classify"]
