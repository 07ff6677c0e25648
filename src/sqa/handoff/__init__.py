"""Handing leads to people: summary, seller mail, MQTT events and signed webhooks."""
