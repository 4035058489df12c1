"""farpoint's services: thin adapters around the core stages (see docs/architecture.md)."""
