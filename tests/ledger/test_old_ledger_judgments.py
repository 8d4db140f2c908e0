"""A ledger written by Truce before rules and reactions (commit 1913887: the Astana scenario, reports,
findings, an unlink, a second agreement version, a zone united after an incident was judged, an ACLED
and a UCDP import; made by data/make_old_ledger.py) replays under the current code into the same
tables, except the two judgments that the old code left stale or made outside the agreement's period
(test_old_ledger.py checks the demo's ledger, which has neither, replays identically)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

from truce.app import Truce
from truce.incidents import rules
from truce.incidents.verification import check_judgments
from truce.ledger import chain

DATA = Path(__file__).resolve().parent / "data"
BUNDLED = Path(__file__).resolve().parents[2] / "src" / "truce" / "data"
JUDGED = {
    "verdict",
    "verdict_at",
    "attributed_party_id",
    "attribution",
    "clause_id",
    "breach",
    "breach_reason",
    "severity",
    "severity_reason",
}


# Columns added to old tables after the old ledger was written (issue 15: admin areas of any country).
ADDED_COLUMNS = {"admin_areas": {"country", "adm3_pcode", "names"}, "findings": {"found_on"}, "votes": {"voted_on"}}


def _without(rows: list[list], drop: set[str]) -> list[list]:
    """A table's rows (header first) without the columns ``drop``."""
    keep = [i for i, c in enumerate(rows[0]) if c not in drop]
    return [[r[i] for i in keep] for r in rows]


def _maker():
    spec = importlib.util.spec_from_file_location("make_old_ledger", DATA / "make_old_ledger.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_an_old_ledger_replays_with_only_its_stale_judgments_corrected(sqlite_url, tmp_path):
    with gzip.open(DATA / "old-ledger.json.gz", "rt", encoding="utf-8") as fh:
        doc = json.load(fh)
    app = Truce(sqlite_url, blob_dir=str(tmp_path / "blobs"))
    for f in sorted(BUNDLED.glob("*.geojson")):
        app.blobs.put_file(f)
    for sha, b64 in doc["blobs"].items():
        data = base64.b64decode(b64)
        assert hashlib.sha256(data).hexdigest() == sha
        (tmp_path / "b").write_bytes(data)
        assert app.blobs.put_file(tmp_path / "b") == sha
    with app.write() as conn:
        for e in doc["entries"]:
            chain.replay_entry(conn, SimpleNamespace(**e), app.blobs)
        assert chain.verify_chain(conn) == []
        assert check_judgments(conn) == []  # the new tables agree with the rules
    maker = _maker()
    tables = maker.table_rows(Path(sqlite_url.removeprefix("sqlite:///")))
    new_incidents = tables.pop("incidents")
    new_notes = tables.pop("notifications")
    # Tables and columns added since the old ledger was written (mirror, merkle, idempotency, intake,
    # countries) are not part of its digests: the old tables' old columns must be identical.
    assert set(doc["digests"]) <= set(tables)
    old_tables = {t: _without(tables[t], ADDED_COLUMNS.get(t, set())) for t in doc["digests"]}
    assert {t: maker.digest(rows) for t, rows in old_tables.items()} == doc["digests"]

    old_incidents = doc["incidents"]
    cols = old_incidents[0]
    assert new_incidents[0] == cols
    old = {r[0]: dict(zip(cols, r, strict=True)) for r in old_incidents[1:]}
    new = {r[0]: dict(zip(cols, r, strict=True)) for r in new_incidents[1:]}
    assert old.keys() == new.keys()
    changed = {i: {c for c in cols if old[i][c] != new[i][c]} for i in old}
    changed = {i: c for i, c in changed.items() if c}
    # Incident 2 was verified outside every zone, then Z4 took its sub-district in: now a grave breach.
    assert changed.pop(2) == {"breach", "breach_reason", "severity", "severity_reason"}
    assert (old[2]["breach"], old[2]["severity"]) == ("no_breach", "minor")
    assert (new[2]["breach"], new[2]["severity"]) == ("breach", "grave")
    # Incident 1 (2017-01-16) was verified before the agreement took effect (2017-05-06): not judged now.
    assert changed.pop(1) <= JUDGED and old[1]["verdict"] == "verified"
    assert (new[1]["verdict"], new[1]["attributed_party_id"], new[1]["severity"]) == ("before_agreement", None,
                                                                                       "before_agreement")
    # The incidents outside the agreement's period that nobody judged were pending: now they say so in
    # their verdict, breach and severity (issue 12), and nothing else of them changed.
    unjudged = [i for i in changed if old[i]["verdict"] == "pending" and new[i]["verdict"] == "before_agreement"]
    assert unjudged, "the old ledger holds incidents before the agreement that nobody judged"
    for i in unjudged:
        assert changed.pop(i) == {"verdict", "breach", "breach_reason", "severity", "severity_reason"}
        assert {k: new[i][k] for k in rules.JUDGED_FIELDS} == rules.outside_judgment("before_agreement")
    assert changed == {}, "no other incident is judged differently"

    # The attribution of incident 1 is gone, and so is its notification; every other one is the same
    # (their ids, taken in turn, move up by one).
    ncols = doc["notifications"][0]
    assert new_notes[0] == ncols

    def notes(rows: list[list]) -> list[dict]:
        return [{k: v for k, v in zip(ncols, r, strict=True) if k != "id"} for r in rows[1:]]

    assert [n for n in notes(doc["notifications"]) if n["incident_id"] != 1] == notes(new_notes)
    assert any(n["incident_id"] == 1 and n["kind"] == "attribution" for n in notes(doc["notifications"]))
