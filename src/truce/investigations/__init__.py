"""Investigations: a follow-up of an incident with a clock that access denials pause."""
