"""Organisations and users: the commands that add them and the look-ups that turn a name into an actor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from truce.auth.models import NAME_RE, ORG_KINDS, ROLES, ROLES_BY_ORG_KIND, organisations, users
from truce.auth.permissions import require
from truce.errors import Conflict, NotFound, ValidationFailed
from truce.ledger.chain import SYSTEM, Actor, ApplyContext, applier
from truce.ledger.context import App
from truce.parties.models import parties


def get_actor(conn: Connection, name: str | None) -> Actor:
    """The actor for a user name; None or 'system' is the local console operator (admin)."""
    if name is None or name == "system":
        return SYSTEM
    row = conn.execute(
        select(
            users.c.name,
            users.c.role,
            users.c.active,
            organisations.c.id,
            organisations.c.kind,
            organisations.c.party_id,
        )
        .join(organisations, organisations.c.id == users.c.org_id)
        .where(users.c.name == name)
    ).first()
    if row is None:
        raise NotFound(
            f"no user named '{name}' (add one with: truce user add {name} --org ORG --role ROLE)", field="as"
        )
    if not row.active:
        raise ValidationFailed(f"user '{name}' is deactivated", field="as")
    return Actor(name=row.name, org=row.id, role=row.role, org_kind=row.kind, party_id=row.party_id)


def add_org(
    app: App, conn: Connection, actor: Actor, org_id: str, name: str, kind: str, party_id: str | None = None
) -> dict[str, Any]:
    require(actor, "org.add")
    if not NAME_RE.match(org_id):
        raise ValidationFailed(f"org: '{org_id}' is not a valid id (letters, digits, _ . -)", field="org")
    if kind not in ORG_KINDS:
        raise ValidationFailed(f"kind: '{kind}' is not one of {', '.join(ORG_KINDS)}", field="kind")
    if conn.execute(select(organisations.c.id).where(organisations.c.id == org_id)).first():
        raise Conflict(f"organisation '{org_id}' exists already", field="org")
    if kind in ("guarantor_office", "party_liaison") and not party_id:
        raise ValidationFailed(f"party: a {kind} belongs to a party (give its id)", field="party")
    if party_id is not None and conn.execute(select(parties.c.id).where(parties.c.id == party_id)).first() is None:
        raise ValidationFailed(f"party: no party '{party_id}' (see truce party list)", field="party")
    payload = {"id": org_id, "name": name, "kind": kind, "party_id": party_id}
    app.record(conn, actor, "org.add", payload)
    return payload


def add_user(
    app: App, conn: Connection, actor: Actor, name: str, org_id: str, role: str, display_name: str | None = None
) -> dict[str, Any]:
    require(actor, "user.add")
    if not NAME_RE.match(name) or name == "system":
        raise ValidationFailed(f"name: '{name}' is not a valid user name (letters, digits, _ . -)", field="name")
    if role not in ROLES:
        raise ValidationFailed(f"role: '{role}' is not one of {', '.join(ROLES)}", field="role")
    org = conn.execute(select(organisations).where(organisations.c.id == org_id)).first()
    if org is None:
        known = ", ".join(r.id for r in conn.execute(select(organisations.c.id).order_by(organisations.c.id)))
        raise NotFound(f"org: no organisation '{org_id}' (known: {known or 'none'})", field="org")
    if role not in ROLES_BY_ORG_KIND[org.kind]:
        ok = ", ".join(sorted(ROLES_BY_ORG_KIND[org.kind]))
        raise ValidationFailed(f"role: a {org.kind} user may be {ok}, not {role}", field="role")
    if conn.execute(select(users.c.name).where(users.c.name == name)).first():
        raise Conflict(f"user '{name}' exists already", field="name")
    payload = {"name": name, "org_id": org_id, "role": role, "display_name": display_name}
    app.record(conn, actor, "user.add", payload)
    return payload


def list_users(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(users).order_by(users.c.org_id, users.c.name)).mappings()
    return [dict(r) for r in rows]


def list_orgs(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(organisations).order_by(organisations.c.id)).mappings()]


@applier("org.add")
def _apply_org(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(organisations).values(
            id=p["id"], name=p["name"], kind=p["kind"], party_id=p.get("party_id"), created_at=ctx.at
        )
    )


@applier("user.add")
def _apply_user(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(users).values(
            name=p["name"],
            org_id=p["org_id"],
            role=p["role"],
            display_name=p.get("display_name"),
            active=True,
            created_at=ctx.at,
        )
    )
