"""Write `old-ledger.db` (+ `old-ledger.blobs/`): a small database written by an earlier Truce, replayed by
tests/ledger/test_old_ledger.py under the current code. It uses only the services' public calls, so it
runs with the code of the commit it documents (the fixture was made at 1913887, before rules and reactions):

    git archive 1913887 src tests/helpers.py benchmarks/gen_acled.py | tar -x -C OLD
    PYTHONPATH=OLD/src:OLD python tests/ledger/data/make_old_ledger.py OUT_DIR UCDP_AEC_CSV
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from sqlalchemy import select
from tests.helpers import fold_wal, generate_acled, report

from truce import scenario
from truce.agreements import service as agreements
from truce.app import Truce
from truce.auth import service as auth
from truce.auth.models import users
from truce.auth.service import get_actor
from truce.demo import demo_users
from truce.incidents import linking
from truce.incidents.verification import add_finding
from truce.ingest.bulk import import_file
from truce.ingest.service import import_ucdp
from truce.ledger.chain import SYSTEM
from truce.reports.service import submit
from truce.zones.service import unite_zone

SHEIKH_MISKINE = ("SY120304", 32.86928816, 36.14826658)


def main(out: Path, ucdp: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    db = out / "old-ledger.db"
    app = Truce(f"sqlite:///{db}", blob_dir=str(out / "old-ledger.blobs"))
    scenario.load(app, SYSTEM)
    with app.write() as conn:
        have = {r.name for r in conn.execute(select(users.c.name))}
        for name, org, role in demo_users(conn):
            if name not in have:
                auth.add_user(app, conn, SYSTEM, name, org, role)
    places = [
        ("2017-01-16", 35.9306, 36.6339, 0),  # before the agreement
        ("2017-08-01", SHEIKH_MISKINE[1], SHEIKH_MISKINE[2], 0),  # outside every zone until Z4 takes it in
        ("2017-09-21", 35.9306, 36.6339, 2),  # Idlib city, in Z1, civilians killed
        ("2017-09-22", 33.5722, 36.4025, 0),  # Duma, in Z3
    ]
    with app.write() as conn:
        rus, tur = get_actor(conn, "rus_monitor"), get_actor(conn, "tur_monitor")
        ids = []
        for day, lat, lon, civ in places:
            first = submit(
                app,
                conn,
                rus,
                report(occurred_at=f"{day}T06:30:00Z", lat=lat, lon=lon, casualties={"killed_civilian": civ}),
            )
            second = submit(
                app,
                conn,
                tur,
                report(
                    occurred_at=f"{day}T06:50:00Z",
                    lat=lat,
                    lon=lon,
                    incident_id=first.incident_id,
                    casualties={"killed": civ},
                ),
            )
            ids.append((first.incident_id, second.report_id))
        for n, (iid, _) in enumerate(ids):
            for g, finding in (
                ("rus", "confirmed"),
                ("tur", "confirmed" if n != 3 else "disputed"),
                ("irn", "confirmed"),
            ):
                reason = "site_visit" if finding == "confirmed" else "contradicting_evidence"
                party = "SYR" if finding == "confirmed" else None
                add_finding(app, conn, get_actor(conn, f"{g}_verifier"), iid, finding, reason, None, party)
        linking.unlink_report(app, conn, get_actor(conn, "tur_verifier"), ids[2][1], "another shelling")
    with app.write() as conn:
        v1 = agreements.get(conn, "astana-2017")
        agreements.add_version(
            app,
            conn,
            SYSTEM,
            {
                **{k: v1[k] for k in ("id", "title", "guarantors", "clauses", "settings")},
                "effective": "2017-09-01",
                "decision_rule": "majority",
            },
        )
    with app.write() as conn:
        unite_zone(app, conn, SYSTEM, "Z4", "2017-07-09", adm=[SHEIKH_MISKINE[0]], reason="reconciled settlement")
    acled = generate_acled(out / "acled.csv", 30, seed=3)
    import_file(app, SYSTEM, acled, "acled")
    rows = list(csv.reader(ucdp.open(encoding="utf-8")))
    small = out / "ucdp.csv"
    with small.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows[:41])
    import_ucdp(app, SYSTEM, small)
    acled.unlink()
    small.unlink()
    fold_wal(db)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))


# --- the committed fixture: entries, small blobs and the old tables' contents -----------------------------

SKIP_TABLES = {"alembic_version", "web_sessions", "login_attempts"}


def table_rows(db: Path) -> dict[str, list[list[object]]]:
    """Every projection table's rows, in primary-key order, read with the sqlite3 module (no Truce code)."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        out = {}
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for t in names:
            if t in SKIP_TABLES or t.startswith("sqlite_"):
                continue
            info = con.execute(f'PRAGMA table_info("{t}")').fetchall()
            pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]] or [r[1] for r in info]
            cols = [r[1] for r in info]
            order = ", ".join(f'"{c}"' for c in pk)
            out[t] = [cols, *[list(r) for r in con.execute(f'SELECT * FROM "{t}" ORDER BY {order}')]]
        return out
    finally:
        con.close()


def digest(rows: list[list[object]]) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(rows, separators=(",", ":"), default=str).encode("utf-8")).hexdigest()


def pack(out: Path, bundled: Path) -> Path:
    """old-ledger.json.gz: the ledger entries, the blobs that are not bundled data files, the tables."""
    import base64
    import gzip
    import hashlib
    import json
    import sqlite3

    db = out / "old-ledger.db"
    con = sqlite3.connect(db)
    entries = [
        dict(zip(("seq", "at", "actor", "org", "command", "payload", "prev_hash", "hash"), r, strict=True))
        for r in con.execute(
            "SELECT seq, at, actor, org, command, payload, prev_hash, hash FROM ledger_entries ORDER BY seq"
        )
    ]
    con.close()
    have = {hashlib.sha256(p.read_bytes()).hexdigest() for p in bundled.glob("*") if p.is_file()}
    blobs = {}
    for f in sorted((out / "old-ledger.blobs").rglob("*")):
        if f.is_file() and f.name not in have:
            blobs[f.name] = base64.b64encode(f.read_bytes()).decode("ascii")
    tables = table_rows(db)
    doc = {
        "entries": entries,
        "blobs": blobs,
        "incidents": tables.pop("incidents"),  # in full: what the new rules may judge differently
        "notifications": tables.pop("notifications"),  # and whom they notify
        "digests": {t: digest(rows) for t, rows in tables.items()},
    }
    target = Path(__file__).resolve().parent / "old-ledger.json.gz"
    with gzip.open(target, "wt", encoding="utf-8") as fh:
        json.dump(doc, fh, sort_keys=True, separators=(",", ":"))
    return target
