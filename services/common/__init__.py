"""Plumbing every service shares: context (store, bus, topics), the stage guard, the worker app,
JSON logs and Prometheus metrics. Nothing algorithmic lives here."""
