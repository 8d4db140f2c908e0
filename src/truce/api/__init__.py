"""The HTTP API under /api/v1: one thin router per domain, each calling the services."""
