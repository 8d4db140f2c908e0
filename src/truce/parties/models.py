"""Parties, their aliases and designations, and the dated history of their truce status."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, String, Table, Text

from truce.db import metadata

PARTY_KINDS = ("guarantor", "government", "armed_group", "designated", "foreign_force")
TRUCE_STATUSES = ("applicant", "signatory", "suspended", "excluded")
# languages a party's name may be given in besides its (English) name: aliases marked with `lang`
NAME_LANGUAGES = ("ar", "ru", "tr", "fa")
EXTERNAL_SOURCES = ("acled", "ucdp")  # the systems whose names for a party are kept (party_external_names)

parties = Table(
    "parties",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("truce_status", String(32), nullable=True),
    Column("status_since", String(10), nullable=True),
    Column("created_at", String(32), nullable=False),
)

party_aliases = Table(
    "party_aliases",
    metadata,
    Column("party_id", String(64), ForeignKey("parties.id"), primary_key=True),
    Column("norm", String(300), primary_key=True),
    Column("alias", String(300), nullable=False),
    Column("lang", String(8), nullable=True),  # set for the party's name in a language (NAME_LANGUAGES)
)

party_designations = Table(
    "party_designations",
    metadata,
    Column("party_id", String(64), ForeignKey("parties.id"), primary_key=True),
    Column("authority", String(64), primary_key=True),
    Column("listed_on", String(10), nullable=True),
    Column("note", Text, nullable=True),
)

party_status_history = Table(
    "party_status_history",
    metadata,
    Column("party_id", String(64), ForeignKey("parties.id"), primary_key=True),
    Column("ledger_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("status", String(32), nullable=False),
    Column("previous", String(32), nullable=True),
    Column("effective", String(10), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decision", String(200), nullable=True),
)


# The names other systems give a party (ACLED actor names, UCDP side names), declared in the scenario:
# an importer maps an actor to a party through them before it tries the register's aliases.
party_external_names = Table(
    "party_external_names",
    metadata,
    Column("source", String(16), primary_key=True),  # acled | ucdp
    Column("norm", String(300), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("party_id", String(64), ForeignKey("parties.id"), nullable=False),
)
