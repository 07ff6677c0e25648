"""FETCH parsing for the watcher (shared with the sandbox)."""
from sqa.sandbox.imapfetch import parse_fetch_lines

__all__ = ["parse_fetch_lines"]
