"""The routes of the HTTP API Lambda, one module per resource (Powertools routers)."""
