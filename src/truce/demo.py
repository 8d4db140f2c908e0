"""The demo: Astana 2017 scenario, the 2017 UCDP events, demo users, and simulated office reports.

The guarantor offices' reports are SIMULATED (seeded): each office reports a share of the UCDP
incidents that fall in the zones, with noise in time and place, and with the attribution habits
the offices showed in 2017. They are marked simulated in the data and in every view."""

from __future__ import annotations

import math
import os
import random
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select

from truce import scenario
from truce.auth import credentials
from truce.auth import service as auth
from truce.auth.models import organisations, users
from truce.bulletins.service import create_key, find_key_file, load_private_key
from truce.demo_sim import simulate_positions, simulate_verification
from truce.errors import NotFound
from truce.incidents.models import incident_zones, incidents
from truce.ingest.service import import_ucdp
from truce.ledger import signing
from truce.ledger.chain import SYSTEM
from truce.ledger.context import App
from truce.reports.service import submit

SIM_NAMESPACE = uuid.UUID("1b0f3d52-3c0e-4b7a-8f59-5a8c1a4e2d77")
# Share of the in-zone incidents each office reports (seeded), as a rough echo of the 2017 bulletins.
OFFICE_SHARE = {"RUS": 0.6, "TUR": 0.5, "IRN": 0.35}
SIM_TYPES = [("shelling", 5), ("airstrike", 3), ("ground_attack", 3), ("sniper_fire", 1), ("drone_strike", 1)]
OPPOSITION = ["NUSRA", "FAYLAQ", "AHRAR", "JAISH_ISLAM"]


def bundled_ucdp() -> Path:
    return Path(str(resources.files("truce.scenarios").joinpath("ucdp_aec_2017.csv")))


def demo_users(conn: Any) -> list[tuple[str, str, str]]:
    """(name, org, role) for every organisation of the scenario."""
    out = [("admin", "ADMIN", "admin"), ("analyst", "ADMIN", "analyst"), ("joint_verifier", "JOINT", "verifier")]
    for o in conn.execute(select(organisations).order_by(organisations.c.id)):
        if o.kind == "guarantor_office":
            g = o.party_id.lower()
            out += [(f"{g}_monitor", o.id, "monitor"), (f"{g}_verifier", o.id, "verifier")]
        elif o.kind == "party_liaison":
            out.append((f"{o.party_id.lower()}_liaison", o.id, "liaison"))
    return out


def build_demo(app: App, seed: int = 2017, progress: Any = None, key_dir: str | Path | None = None) -> dict[str, Any]:
    loaded = scenario.load(app, SYSTEM)
    task = progress.add_task("importing UCDP 2017 events", total=None) if progress else None
    summary = import_ucdp(
        app, SYSTEM, bundled_ucdp(), progress=(lambda n: progress.advance(task, n)) if progress else None
    )
    if progress and task is not None:
        progress.update(task, total=summary.rows, completed=summary.rows)
    added_users = []
    with app.write() as conn:
        have = {r.name for r in conn.execute(select(users.c.name))}
        for name, org, role in demo_users(conn):
            if name not in have:
                auth.add_user(app, conn, SYSTEM, name, org, role)
                added_users.append(name)
    passwords = set_demo_passwords(app)
    sim = simulate_office_reports(app, seed, progress)

    sim.update(simulate_verification(app, seed, progress))
    sim["positions"] = simulate_positions(app)
    point = demo_checkpoint(app, key_dir)
    text = (
        f"demo ready: scenario {loaded['agreement'] or 'already loaded'}; UCDP 2017: {summary.imported} "
        f"incidents imported ({summary.duplicates} already there); users added: {len(added_users)}; "
        f"simulated office reports: {sim['submitted']} ({sim['duplicates']} already there); simulated findings: "
        f"{sim['findings']}, investigations: {sim['investigations']}, replies: {sim['replies']}, "
        f"position reports: {sim['positions']}; checkpoint of size {point['size']} "
        + ("agreed" if point["agreed"] else "not agreed")
        + f" (co-signed by {', '.join(point['cosigners']) or 'no office'})"
    )
    return {
        "text": text,
        "users": added_users,
        "ucdp": summary.to_dict(),
        "simulation": sim,
        "checkpoint": {k: point[k] for k in ("size", "root", "agreed", "cosigners")},
        "passwords": passwords["new"],
        "passwords_existing": passwords["existing"],
    }


def demo_checkpoint(app: App, key_dir: str | Path | None = None) -> dict[str, Any]:
    """The log's key, a signing key for each guarantor office that has none (its private key written to
    `key_dir`, default the key directory TRUCE_KEY_DIR or ./truce-keys), a checkpoint of the ledger, and the
    offices' co-signatures on it (each checked for consistency with what the office co-signed before)."""
    with app.write() as conn:
        signing.ensure_log_key(app, conn)
        offices, _rule = signing.guarantor_offices(conn)
        keys = {}
        for org in offices:
            if signing.witness_keys(conn, org):
                try:
                    path = _key_in(Path(key_dir), conn, org) if key_dir else find_key_file(conn, org)
                    keys[org] = load_private_key(path)
                except NotFound:
                    continue  # the office holds its key elsewhere: it co-signs itself (truce ledger cosign)
            else:
                made = create_key(app, conn, SYSTEM, org, key_dir=key_dir)
                keys[org] = load_private_key(made["file"])
        point = signing.make_checkpoint(app, conn)
        for org, key in keys.items():
            signing.cosign_local(conn, org, key, size=point["size"])
        out = signing.checkpoint(conn, point["size"])
    assert out is not None
    return out


def _key_in(folder: Path, conn: Any, org: str) -> Path:
    live = {kid for kid, _pub in signing.witness_keys(conn, org)}
    found = sorted(p for p in folder.glob(f"{org}-*.pem") if p.stem[len(org) + 1 :] in live)
    if not found:
        raise NotFound(f"key: no key file of {org} in {folder}/", field="key")
    return found[-1]


def set_demo_passwords(app: App) -> dict[str, Any]:
    """A random password for every demo user that has none (set through the service: the ledger keeps
    only the argon2 hash). Users that have one keep it: passwords are never reset silently."""

    new: dict[str, str] = {}
    existing: list[str] = []
    with app.write() as conn:
        for name, _org, _role in demo_users(conn):
            if credentials.has_password(conn, name):
                existing.append(name)
                continue
            password = secrets.token_urlsafe(12)
            credentials.set_password(app, conn, SYSTEM, name, password)
            new[name] = password
    return {"new": new, "existing": existing}


def write_password_file(path: str | Path, passwords: dict[str, str]) -> Path:
    """Write the demo accounts' passwords to a file only its owner may read (0600)."""
    p = Path(path)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("# Truce demo accounts (user password). Shown once by `truce demo`; change with truce user passwd.\n")
        for name in sorted(passwords):
            f.write(f"{name} {passwords[name]}\n")
    os.chmod(p, 0o600)
    return p


def _jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    r = km * math.sqrt(rng.random())
    a = rng.random() * 2 * math.pi
    dlat = r * math.cos(a) / 111.32
    dlon = r * math.sin(a) / (111.32 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def simulate_office_reports(app: App, seed: int, progress: Any = None) -> dict[str, int]:
    rng = random.Random(seed)
    with app.read() as conn:
        rows = conn.execute(
            select(
                incidents.c.id,
                incidents.c.occurred_at,
                incidents.c.lat,
                incidents.c.lon,
                incidents.c.alleged_party_id,
                incidents.c.place_name,
            )
            .where(incidents.c.simulated.is_(False), incidents.c.id.in_(select(incident_zones.c.incident_id)))
            .order_by(incidents.c.id)
        ).all()
        offices = {
            o.party_id: o.id
            for o in conn.execute(select(organisations).where(organisations.c.kind == "guarantor_office"))
        }
    types, weights = zip(*SIM_TYPES, strict=True)
    submitted = duplicates = 0
    task = progress.add_task("simulating office reports", total=len(rows)) if progress else None
    with app.write() as conn:
        actors = {g: auth.get_actor(conn, f"{g.lower()}_monitor") for g in offices}
        for inc in rows:
            vtype = rng.choices(types, weights)[0]
            for g in sorted(offices):
                if rng.random() >= OFFICE_SHARE.get(g, 0.4):
                    continue
                day = datetime.fromisoformat(inc.occurred_at.replace("Z", "+00:00"))
                when = day + timedelta(hours=rng.uniform(5, 20))
                when = min(when, datetime.now(UTC))
                lat, lon = _jitter(rng, inc.lat, inc.lon, 3.0)
                party = inc.alleged_party_id
                if rng.random() > 0.7 or not party:
                    party = "SYR" if g == "TUR" else rng.choice(OPPOSITION)
                killed = max(0, int(rng.gauss(2, 2)))
                data = {
                    "id": str(uuid.uuid5(SIM_NAMESPACE, f"{seed}:{inc.id}:{g}")),
                    "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "occurred_precision": "exact",
                    "lat": lat,
                    "lon": lon,
                    "location_precision": "near",
                    "place_name": inc.place_name,
                    "violation_type": rng.choices(types, weights)[0] if rng.random() < 0.2 else vtype,
                    "alleged_party": party,
                    "casualties": {"killed": killed},
                    "narrative": f"[SIMULATED] {g} office report of {vtype.replace('_', ' ')} near {inc.place_name}.",
                    "language": "en",
                    "observation": rng.choice(["observed", "heard", "second_hand"]),
                    "incident_id": inc.id,
                    "simulated": True,
                }
                res = submit(app, conn, actors[g], data)
                if res.duplicate:
                    duplicates += 1
                else:
                    submitted += 1
            if progress and task is not None:
                progress.advance(task)
    return {"submitted": submitted, "duplicates": duplicates, "incidents": len(rows)}
