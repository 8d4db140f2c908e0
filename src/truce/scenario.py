"""Load a scenario file: the agreement, its parties, its zones, and the organisations that run it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select

from truce.agreements import service as agreements
from truce.agreements.documents import read_scenario
from truce.agreements.models import agreements as agreements_table
from truce.auth import service as auth
from truce.auth.models import organisations
from truce.errors import ValidationFailed
from truce.geo.service import deepest_levels, load_bundled_admin_areas
from truce.ledger.chain import Actor
from truce.ledger.context import App
from truce.parties import service as parties
from truce.parties.models import parties as parties_table
from truce.zones import service as zones
from truce.zones.models import zones as zones_table


def bundled_scenario() -> Path:
    return Path(str(resources.files("truce.scenarios").joinpath("astana-2017.yaml")))


def read(path: str | Path) -> dict[str, Any]:
    """A scenario file's data, validated whole before anything is written (agreements/documents.py)."""
    return read_scenario(path)


def org_plan(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The organisations a scenario implies: one office per guarantor, the joint group, the admin,
    and a liaison office for every party that can be bound by the truce."""
    ag = data["agreement"]
    out = [
        {"id": "ADMIN", "name": "Mechanism secretariat (administration)", "kind": "admin", "party_id": None},
        {"id": "JOINT", "name": "Joint group of the guarantors", "kind": "joint_group", "party_id": None},
    ]
    names = {p["id"]: p["name"] for p in data.get("parties", [])}
    for g in ag.get("guarantors", []):
        out.append(
            {
                "id": f"{g}_OFFICE",
                "name": f"{names.get(g, g)}: guarantor office",
                "kind": "guarantor_office",
                "party_id": g,
            }
        )
    for p in data.get("parties", []):
        if p.get("kind") in ("government", "armed_group"):
            out.append(
                {
                    "id": f"{p['id']}_LIAISON",
                    "name": f"{p['name']}: liaison",
                    "kind": "party_liaison",
                    "party_id": p["id"],
                }
            )
    return out


def load(app: App, actor: Actor, path: str | Path | None = None) -> dict[str, Any]:
    """Load a scenario; what exists already is left as it is (loading twice changes nothing)."""
    data = read(path or bundled_scenario())
    ag = data["agreement"]
    done: dict[str, Any] = {
        "admin_levels": [],
        "repairs": [],
        "agreement": None,
        "parties": [],
        "zones": [],
        "organisations": [],
    }
    country = str(data.get("country") or "SY").upper()
    with app.write() as conn:
        if country == "SY":  # the bundled boundaries; another country's are loaded first with `truce geo import`
            for res in load_bundled_admin_areas(app, conn, actor):
                done["admin_levels"].append({"level": res.level, "count": res.count})
                done["repairs"].extend(res.repairs)
        elif country not in deepest_levels(conn):
            raise ValidationFailed(
                f"country: the scenario is for {country}, whose boundaries are not loaded: "
                f"run `truce geo import` with its COD-AB layers first",
                field="country",
            )
        if not conn.execute(select(agreements_table.c.id).where(agreements_table.c.id == ag["id"])).first():
            agreements.add_version(
                app,
                conn,
                actor,
                {
                    "id": ag["id"],
                    "title": ag["title"],
                    "signed": ag.get("signed"),
                    "effective": ag["effective"],
                    "term_months": ag.get("term_months"),
                    "guarantors": ag["guarantors"],
                    "decision_rule": ag["decision_rule"],
                    "clauses": ag.get("clauses", []),
                    "settings": ag.get("settings", {}),
                    "measures": ag.get("measures"),
                    "eligibility": ag.get("eligibility"),
                },
            )
            done["agreement"] = ag["id"]
        for p in data.get("parties", []):
            if conn.execute(select(parties_table.c.id).where(parties_table.c.id == p["id"])).first():
                continue
            joined = p.get("joined")
            parties.add_party(
                app, conn, actor, {**p, "joined": str(joined) if joined else None}, as_of=str(ag["effective"])
            )
            done["parties"].append(p["id"])
        for o in org_plan(data):
            if not conn.execute(select(organisations.c.id).where(organisations.c.id == o["id"])).first():
                auth.add_org(app, conn, actor, o["id"], o["name"], o["kind"], o["party_id"])
                done["organisations"].append(o["id"])
        for z in data.get("zones", []):
            if conn.execute(select(zones_table.c.id).where(zones_table.c.id == z["id"])).first():
                continue
            zones.add_zone(
                app,
                conn,
                actor,
                {
                    "id": z["id"],
                    "name": z["name"],
                    "kind": z.get("kind", "de_escalation_area"),
                    "note": z.get("note"),
                    "approximate": bool(z.get("approximate", "adm3" in z)),
                    "valid_from": str(z.get("valid_from", ag["effective"])),
                    "adm3": z.get("adm3"),
                    "geometry": z.get("geometry"),
                },
            )
            done["zones"].append(z["id"])
    return done
