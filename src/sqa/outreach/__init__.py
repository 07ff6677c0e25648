"""Outreach: intake of new leads, the first mail, follow-ups, and the sending policy (windows, caps)."""
