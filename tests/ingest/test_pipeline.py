"""One import pipeline: a registry of formats, one kind of ledger entry per imported batch (`import.file`),
and the `import.batch` entries of earlier UCDP-AEC imports still replayed to identical tables."""

from __future__ import annotations

import ast
import json
import uuid
from pathlib import Path

from sqlalchemy import select
from tests.helpers import UCDP_AEC

from truce.app import Truce
from truce.incidents.models import incident_reports
from truce.ingest.bulk import SOURCES
from truce.ingest.service import import_ucdp
from truce.ledger.chain import SYSTEM
from truce.ledger.models import ledger_entries
from truce.ledger.service import verify
from truce.reports.models import reports
from truce.reports.service import content_hash

INGEST = Path(__file__).resolve().parents[2] / "src" / "truce" / "ingest"


def test_the_registry_holds_every_format():
    assert {"acled", "ucdp_aec", "ucdp_ged", "csv"} <= set(SOURCES)
    assert SOURCES["ucdp_aec"].match and not SOURCES["acled"].match


def test_the_pipeline_does_not_import_its_entry_points():
    """The old `ingest/bulk ↔ ingest/service` cycle: bulk.py imports no module of the service side."""
    tree = ast.parse((INGEST / "bulk.py").read_text("utf-8"))
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in names if m.startswith("truce.ingest.service")}, names


def test_ucdp_aec_writes_import_file_entries(astana_url, tmp_path):
    lines = UCDP_AEC.read_text("utf-8").splitlines()
    small = tmp_path / "ucdp.csv"
    small.write_text("\n".join(lines[:11]) + "\n", "utf-8")
    app = Truce(astana_url)
    s = import_ucdp(app, SYSTEM, small)
    assert s.imported == 10
    with app.read() as conn:
        q = select(ledger_entries.c.command).where(ledger_entries.c.seq.in_(s.batches))
        cmds = [r.command for r in conn.execute(q)]
        ids = set(conn.execute(select(reports.c.id).where(reports.c.external_source == "ucdp")).scalars())
    assert cmds == ["import.file"] * len(s.batches)
    # report ids as UCDP-AEC imports always made them: re-importing over an older import stays idempotent
    ns = uuid.UUID("6f1c1c7e-5d2a-4c4e-9a57-7d2f6b0c1a11")
    first_id = lines[1].split(",")[0]
    assert str(uuid.uuid5(ns, f"ucdp:{first_id}")) in ids


def _legacy_report(eid: str, org: str, at: str) -> dict:
    rec = {
        "id": str(uuid.uuid5(uuid.UUID("6f1c1c7e-5d2a-4c4e-9a57-7d2f6b0c1a11"), f"ucdp:{eid}")),
        "source_kind": "media", "org_id": org, "submitted_by": "system", "received_at": at,
        "occurred_at": "2017-09-21T00:00:00Z", "occurred_precision": "day", "lat": 35.93, "lon": 36.63,
        "location_precision": "near", "place_name": "Idlib", "adm1_pcode": "SY07", "adm2_pcode": "SY0700",
        "adm3_pcode": "SY070000", "violation_type": "armed_clash", "alleged_party_id": "SYR",
        "alleged_party_text": None, "target": "Syrian insurgents", "weapons": [], "killed": 2, "killed_low": 2,
        "killed_high": 2, "killed_civilian": 0, "killed_combatant": 2, "injured": None, "injured_low": None,
        "injured_high": None, "injured_civilian": None, "injured_combatant": None,
        "narrative": f"UCDP GED event {eid}", "language": "en", "observation": "second_hand",
        "visibility": "public", "simulated": False, "external_source": "ucdp", "external_id": eid,
        "supersedes": None, "evidence": [],
    }
    rec["content_hash"] = content_hash(rec)
    return rec


def test_an_old_import_batch_entry_still_replays_to_identical_tables(astana_url):
    """A ledger written before the pipeline held `import.batch` entries carrying the rows: they still apply,
    and `ledger verify` replays them to identical tables."""
    app = Truce(astana_url)
    with app.write() as conn:
        from truce.incidents import service as incidents

        first = incidents.next_id(conn)
        recs = [_legacy_report("900001", SYSTEM.org, "2017-09-22T00:00:00Z"),
                _legacy_report("900002", SYSTEM.org, "2017-09-22T00:00:00Z")]
        recs[1].update(lat=35.0, lon=36.9, adm1_pcode=None, adm2_pcode=None, adm3_pcode=None)
        recs[1]["content_hash"] = content_hash(recs[1])
        payload = {"source": "ucdp_aec", "file": "old.csv", "blob": "0" * 64, "batch": 1, "reports": recs,
                   "incidents": [[first, recs[0]["id"]], [first + 1, recs[1]["id"]]],
                   "links": [[recs[0]["id"], first, "origin"], [recs[1]["id"], first + 1, "origin"]],
                   "suggestions": []}
        app.record(conn, SYSTEM, "import.batch", payload)
    with app.read() as conn:
        got = {r.report_id: r.incident_id for r in conn.execute(select(incident_reports))}
        stored = json.loads(conn.execute(select(ledger_entries.c.payload).where(
            ledger_entries.c.command == "import.batch")).scalar_one())
    assert got == {recs[0]["id"]: first, recs[1]["id"]: first + 1}
    assert stored["reports"][0]["id"] == recs[0]["id"]
    assert verify(app).ok
