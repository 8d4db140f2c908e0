"""Agreement versions. The version in force at an incident's time is the one that applies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from truce.agreements import rules
from truce.agreements.models import agreements
from truce.agreements.rules import DEFAULT_SETTINGS
from truce.auth.permissions import require
from truce.errors import NotFound, ValidationFailed
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.ledger.context import App


def default_enforcement() -> dict[str, Any]:
    """The default measures ladder and eligibility criteria (agreements/enforcement.yaml)."""
    from importlib import resources

    import yaml

    text = resources.files("truce.agreements").joinpath("enforcement.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _documents() -> Any:
    """The module that reads and checks agreement documents (`truce.agreements.documents`)."""
    from truce.agreements import documents  # lazy: pydantic and yaml, only when an agreement is read or checked

    return documents


def check_agreement(data: dict[str, Any]) -> Any:
    """The agreement `data` describes, every key, kind, rung and setting known, or ValidationFailed naming the
    first wrong one."""
    return _documents().check_agreement(data)


def agreement_from_file(file: Path) -> dict[str, Any]:
    """The agreement of a YAML file, checked, or ValidationFailed naming the file, the line and the path."""
    data: dict[str, Any] = _documents().agreement_from_file(file)
    return data


def _terms(a: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The terms of a version as recorded (its payload without id and version), from the checked data."""
    settings = {**DEFAULT_SETTINGS, **default_enforcement(), **(data.get("settings") or {})}
    for key in ("measures", "eligibility"):
        if data.get(key):
            settings[key] = data[key]
    if a.ends is not None:
        if a.ends <= a.effective:
            raise ValidationFailed("agreement.ends: must be after agreement.effective", field="agreement.ends")
        settings["ends"] = a.ends.isoformat()
    return {
        "title": a.title,
        "signed": a.signed.isoformat() if a.signed else None,
        "effective": a.effective.isoformat(),
        "term_months": a.term_months,
        "guarantors": a.guarantors,
        "decision_rule": a.decision_rule,
        "clauses": [c.model_dump(exclude_none=True) for c in a.clauses],
        "settings": settings,
    }


def add_version(app: App, conn: Connection, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Add a new version of an agreement (version 1 when the id is new)."""
    require(actor, "agreement.add")
    a = check_agreement(data)
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
    payload = {"id": a.id, "version": version, **_terms(a, data)}
    app.record(conn, actor, "agreement.add", payload)
    return payload


def _diff(old: Any, new: Any, path: str) -> list[str]:
    """The dotted paths at which two versions' terms differ (clauses by their id)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for k in [*old, *(k for k in new if k not in old)]:
            out += _diff(old.get(k), new.get(k), f"{path}.{k}" if path else str(k))
        return out
    if path == "clauses" and isinstance(old, list) and isinstance(new, list):
        a = {str(c.get("id")): c for c in old if isinstance(c, dict)}
        b = {str(c.get("id")): c for c in new if isinstance(c, dict)}
        out = []
        for cid in [*a, *(c for c in b if c not in a)]:
            out += _diff(a.get(cid), b.get(cid), f"clauses.{cid}") if cid in a and cid in b else [f"clauses.{cid}"]
        return out or ([] if list(a) == list(b) else ["clauses (their order)"])
    return [] if old == new else [path]


def compare(conn: Connection, data: dict[str, Any]) -> tuple[int, list[str]] | None:
    """How an agreement's data stands to the versions recorded: None when its id is new; (N, []) when it
    is version N as recorded; else (latest version, the keys in which the data differs from it)."""
    a = check_agreement(data)
    rows = [_row(r) for r in conn.execute(select(agreements).where(agreements.c.id == a.id)
                                         .order_by(agreements.c.version))]
    if not rows:
        return None
    terms = json.loads(json.dumps(_terms(a, data), default=str))
    keys = list(terms)
    for r in reversed(rows):
        if {k: r[k] for k in keys} == terms:
            return r["version"], []
    latest = rows[-1]
    diff = _diff({k: latest[k] for k in keys}, terms, "")
    return latest["version"], [("ends" if d == "settings.ends" else d) for d in diff]


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
            created_at=ctx.now,
            ledger_seq=ctx.seq,
        )
    )
    # Incidents from the day this version takes effect are now judged under it: a declared reaction
    # (incidents.verification.judge_under_new_version).


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


def period(conn: Connection, upto: int | None = None) -> tuple[str | None, str | None]:
    """(first day any version took effect, the end of the latest version's period or None), as the ledger
    stood at entry `upto` (default: now)."""
    stmt = select(agreements.c.effective, agreements.c.settings)
    if upto is not None:
        stmt = stmt.where(agreements.c.ledger_seq <= upto)
    rows = conn.execute(stmt.order_by(agreements.c.effective, agreements.c.version)).all()
    if not rows:
        return None, None
    ends = json.loads(rows[-1].settings).get("ends")
    return rows[0].effective, ends


def period_verdict(conn: Connection, day: str, upto: int | None = None) -> str | None:
    """"before_agreement"/"after_agreement" for a day outside the agreement's period, else None."""
    return rules.period_verdict(*period(conn, upto), day)


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
