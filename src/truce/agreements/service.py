"""Agreement versions. The version in force at an incident's time is the one that applies."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import Connection, func, insert, select, update

from truce.agreements.models import agreements
from truce.auth.permissions import require
from truce.errors import NotFound, ValidationFailed, from_pydantic
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.reports.models import VIOLATION_TYPES

DEFAULT_SETTINGS: dict[str, Any] = {
    # Corroboration: a report matches an incident within this time window and radius.
    "match_window_hours": 6,
    "match_radius_km": 5.0,
    # Right of reply: days a party has to answer an attribution.
    "reply_window_days": 7,
    # Severity: grave when at least this many civilians were killed, when one of the heavy types
    # happens inside a zone, or when one of the always-grave types happens anywhere; else minor.
    "severity": {
        "grave_if_civilians_killed_at_least": 1,
        "grave_types_in_zone": ["shelling", "airstrike", "drone_strike", "heavy_weapons_movement"],
        "grave_types_anywhere": ["chemical_weapons_use"],
    },
}


class Clause(BaseModel):
    id: str
    text: str
    prohibited: list[str] = Field(default_factory=list)
    excluded_parties: list[str] = Field(default_factory=list)
    # Where the clause applies: inside the zones (the default), or country-wide: `scope: country` (every
    # loaded country) or `countries: [YE]` (ISO 3166-1 alpha-2 codes, the first letters of OCHA P-codes).
    scope: Literal["zones", "country"] | None = None
    countries: list[str] | None = None

    @field_validator("countries")
    @classmethod
    def _iso(cls, v: list[str] | None) -> list[str] | None:
        bad = [c for c in v or [] if not (len(c) == 2 and c.isalpha() and c.isupper())]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an ISO 3166-1 alpha-2 code (YE, SY, UA…)")
        return v

    @field_validator("prohibited")
    @classmethod
    def _known_types(cls, v: list[str]) -> list[str]:
        bad = [t for t in v if t not in VIOLATION_TYPES]
        if bad:
            raise ValueError(f"unknown violation type(s) {', '.join(bad)}")
        return v


class AgreementIn(BaseModel):
    id: str
    title: str
    signed: date | None = None
    effective: date
    term_months: int | None = None
    guarantors: list[str]
    decision_rule: Literal["unanimity", "majority"]
    clauses: list[Clause]
    settings: dict[str, Any] = Field(default_factory=dict)
    measures: dict[str, Any] | None = None
    eligibility: dict[str, Any] | None = None


def default_enforcement() -> dict[str, Any]:
    """The default measures ladder and eligibility criteria (agreements/enforcement.yaml)."""
    from importlib import resources

    import yaml

    text = resources.files("truce.agreements").joinpath("enforcement.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def add_version(app: Any, conn: Connection, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Add a new version of an agreement (version 1 when the id is new)."""
    require(actor, "agreement.add")
    try:
        a = AgreementIn.model_validate(data)
    except ValidationError as e:
        raise from_pydantic(e, "agreement.") from e
    latest = conn.execute(select(func.max(agreements.c.version)).where(agreements.c.id == a.id)).scalar()
    version = int(latest or 0) + 1
    if latest:
        prev = conn.execute(
            select(agreements.c.effective).where(agreements.c.id == a.id, agreements.c.version == latest)
        ).scalar_one()
        if a.effective.isoformat() <= prev:
            raise ValidationFailed(
                f"agreement.effective: version {version} must take effect after version {latest} ({prev})",
                field="agreement.effective",
            )
    settings = {**DEFAULT_SETTINGS, **default_enforcement(), **a.settings}
    for key in ("measures", "eligibility"):
        if data.get(key):
            settings[key] = data[key]
    payload = {
        "id": a.id,
        "version": version,
        "title": a.title,
        "signed": a.signed.isoformat() if a.signed else None,
        "effective": a.effective.isoformat(),
        "term_months": a.term_months,
        "guarantors": a.guarantors,
        "decision_rule": a.decision_rule,
        "clauses": [c.model_dump(exclude_none=True) for c in a.clauses],
        "settings": settings,
    }
    app.record(conn, actor, "agreement.add", payload)
    return payload


@applier("agreement.add")
def _apply_add(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    if p["version"] > 1:
        conn.execute(
            update(agreements)
            .where(agreements.c.id == p["id"], agreements.c.version == p["version"] - 1)
            .values(valid_to=p["effective"])
        )
    conn.execute(
        insert(agreements).values(
            id=p["id"],
            version=p["version"],
            title=p["title"],
            signed=p["signed"],
            effective=p["effective"],
            valid_to=None,
            term_months=p["term_months"],
            guarantors=json.dumps(p["guarantors"]),
            decision_rule=p["decision_rule"],
            clauses=json.dumps(p["clauses"], sort_keys=True),
            settings=json.dumps(p["settings"], sort_keys=True),
            created_at=ctx.at,
            ledger_seq=ctx.seq,
        )
    )
    # Incidents from the day this version takes effect are now judged under it.
    from truce.incidents.verification import recompute_all

    recompute_all(conn, ctx, since_day=p["effective"])


def _row(r: Any) -> dict[str, Any]:
    d = dict(r._mapping)
    for k in ("guarantors", "clauses", "settings"):
        d[k] = json.loads(d[k])
    return d


def in_force(conn: Connection, on: str, agreement_id: str | None = None) -> dict[str, Any] | None:
    """The agreement version in force on a date (YYYY-MM-DD or an ISO time); the earliest one before it starts."""
    day = on[:10]
    stmt = select(agreements).where(agreements.c.effective <= day)
    if agreement_id:
        stmt = stmt.where(agreements.c.id == agreement_id)
    r = conn.execute(stmt.order_by(agreements.c.effective.desc(), agreements.c.version.desc()).limit(1)).first()
    return _row(r) if r else None


def get(conn: Connection, agreement_id: str, version: int | None = None) -> dict[str, Any]:
    stmt = select(agreements).where(agreements.c.id == agreement_id)
    if version:
        stmt = stmt.where(agreements.c.version == version)
    r = conn.execute(stmt.order_by(agreements.c.version.desc()).limit(1)).first()
    if r is None:
        raise NotFound(f"no agreement '{agreement_id}'" + (f" version {version}" if version else ""))
    return _row(r)


def list_versions(conn: Connection) -> list[dict[str, Any]]:
    return [_row(r) for r in conn.execute(select(agreements).order_by(agreements.c.id, agreements.c.version))]


def current(conn: Connection) -> dict[str, Any] | None:
    r = conn.execute(select(agreements).order_by(agreements.c.effective.desc(), agreements.c.version.desc())).first()
    return _row(r) if r else None
