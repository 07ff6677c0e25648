"""Observability of the running daemon: /healthz (health.py) and /metrics (metrics.py), served by sqa.web."""
