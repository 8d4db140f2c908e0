"""Load a scenario file: the agreement, its parties, its zones, and the organisations that run it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select

from truce.agreements import service as agreements
from truce.agreements.documents import Scenario, read_scenario
from truce.auth import service as auth
from truce.auth.models import organisations, users
from truce.errors import ValidationFailed
from truce.geo.queries import deepest_levels
from truce.geo.service import load_bundled_admin_areas
from truce.i18n import N_
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
    """The organisations a scenario implies (one office per guarantor, the joint group, the admin, a liaison
    office for every party that can be bound by the truce), with those it declares (`organisations:`)."""
    return Scenario.model_validate(data).organisation_plan()


def _agreement_data(ag: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ag["id"],
        "title": ag["title"],
        "signed": ag.get("signed"),
        "effective": ag["effective"],
        "term_months": ag.get("term_months"),
        "ends": ag.get("ends"),
        "guarantors": ag["guarantors"],
        "decision_rule": ag["decision_rule"],
        "clauses": ag.get("clauses", []),
        "settings": ag.get("settings", {}),
        "measures": ag.get("measures"),
        "eligibility": ag.get("eligibility"),
    }


# what a load leaves as it is (the CLI shows them through i18n.localize)
LEFT_ORG = N_("organisation %(org)s exists as %(was)s, the file says %(says)s: left as it is")
LEFT_USER = N_("user %(user)s exists as %(role)s of %(org)s, the file says %(new_role)s of %(new_org)s: left as it is")


def _org(name: str, kind: str, party: str | None) -> str:
    return f"'{name}' ({kind}{' of ' + party if party else ''})"


def load(app: App, actor: Actor, path: str | Path | None = None, new_version: bool = False) -> dict[str, Any]:
    """Load a scenario; what exists already is left as it is (loading twice changes nothing). An agreement
    that exists and differs from every recorded version is refused, naming the keys that differ, unless
    `new_version`: then it is recorded as the next version (from the file's `effective` date)."""
    data = read(path or bundled_scenario())
    ag = data["agreement"]
    done: dict[str, Any] = {
        "admin_levels": [],
        "repairs": [],
        "agreement": None,
        "version": None,
        "changed": [],
        "parties": [],
        "zones": [],
        "organisations": [],
        "users": [],
        "left": [],  # what exists already and differs from the file, left as it is
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
        terms = _agreement_data(ag)
        standing = agreements.compare(conn, terms)
        if standing is None or (standing[1] and new_version):
            added = agreements.add_version(app, conn, actor, terms)
            done["agreement"], done["version"] = ag["id"], added["version"]
            done["changed"] = standing[1] if standing else []
        elif standing[1]:
            latest, keys = standing
            raise ValidationFailed(
                f"agreement {ag['id']}: the file differs from version {latest} in {', '.join(keys)}; to record it "
                f"as version {latest + 1} (in force from the file's effective date) load it with --new-version, "
                f"or run: truce agreement add-version FILE",
                field="agreement",
            )
        else:
            done["version"] = standing[0]
        for p in data.get("parties", []):
            if conn.execute(select(parties_table.c.id).where(parties_table.c.id == p["id"])).first():
                continue
            joined = p.get("joined")
            parties.add_party(
                app, conn, actor, {**p, "joined": str(joined) if joined else None}, as_of=str(ag["effective"])
            )
            done["parties"].append(p["id"])
        declared = {o["id"] for o in data.get("organisations", [])}
        for o in org_plan(data):
            row = conn.execute(select(organisations).where(organisations.c.id == o["id"])).first()
            if row is None:
                auth.add_org(app, conn, actor, o["id"], o["name"], o["kind"], o["party_id"])
                done["organisations"].append(o["id"])
            elif o["id"] in declared and (row.name, row.kind, row.party_id) != (o["name"], o["kind"], o["party_id"]):
                done["left"].append(LEFT_ORG % {"org": o["id"], "was": _org(row.name, row.kind, row.party_id),
                                                 "says": _org(o["name"], o["kind"], o["party_id"])})
        for u in data.get("users", []):  # no password: set one with `truce user passwd NAME`
            row = conn.execute(select(users).where(users.c.name == u["name"])).first()
            if row is None:
                auth.add_user(app, conn, actor, u["name"], u["org"], u["role"], u.get("display_name"))
                done["users"].append(u["name"])
            elif (row.org_id, row.role) != (u["org"], u["role"]):
                done["left"].append(LEFT_USER % {"user": u["name"], "role": row.role, "org": row.org_id,
                                                  "new_role": u["role"], "new_org": u["org"]})
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
                    "names": z.get("names") or {},
                },
            )
            done["zones"].append(z["id"])
    return done
