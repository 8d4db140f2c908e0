"""Users' own spreadsheets: a CSV of reports plus a mapping file saying which column holds which field.

Each row goes through the same validation as ``truce report submit`` (:class:`truce.reports.schemas.ReportIn`
and :func:`truce.reports.service.normalise`: place names resolved by the gazetteer, parties by the
register), so a bad row gets the same clear message, plus the column it came from; rows are imported
in batches like every bulk import (:mod:`truce.ingest.bulk`). A mapping file (YAML or JSON)::

    columns:                 # our field: their column header
      external_id: Ref       # the row's own id: re-importing the sheet is idempotent on it, a changed row
                             # becomes a correction (without it, the file and line number are the key)
      occurred_at: Date
      lat: Latitude
      lon: Longitude
      place_name: Village    # used when a row has no coordinates
      violation_type: Type
      alleged_party: Perpetrator
      killed: Dead
      injured: Wounded
      narrative: Description
    constants:               # the same value for every row (a column, when given and not empty, wins)
      source_kind: ngo
      occurred_precision: day
    values:                  # their value → ours, per field (matched exactly, then ignoring case)
      violation_type: {Artillery: shelling, Air raid: airstrike}
    date_format: "%d/%m/%Y"  # strptime format of occurred_at (default: ISO 8601)
    external_source: my_ngo  # names the sheet's ids in Truce (default: csv)
    weapons_separator: ";"

Fields: id (a client-made UUID: then the key, and a changed row is refused as ``report submit`` refuses
it), external_id, incident_id, source_kind, occurred_at, occurred_precision, lat, lon,
location_precision, place_name, violation_type, alleged_party, target, weapons, narrative, language,
observation, visibility, simulated, and the casualty counts (killed, killed_low, killed_high,
killed_civilian, killed_combatant, injured, injured_low, injured_high, injured_civilian, injured_combatant).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection

from truce.errors import TruceError, ValidationFailed
from truce.incidents import service as incidents
from truce.ingest.acled import records
from truce.ledger.chain import Actor, ApplyContext
from truce.reports.models import CASUALTY_FIELDS, reports
from truce.reports.schemas import CLOCK_SKEW, REPORT_INPUT_FIELDS
from truce.reports.service import normalise

# Our fields: a report's input fields (`reports.schemas.REPORT_INPUT_FIELDS`, the one list) and the row's own id.
FIELDS = ("external_id", *REPORT_INPUT_FIELDS)
KEYS = ("columns", "constants", "values", "date_format", "external_source", "weapons_separator")
NAMESPACE = uuid.UUID("6f1c1c7e-5d2a-4c4e-9a57-7d2f6b0c1a11")


def load_mapping(path: str | Path) -> dict[str, Any]:
    """Read and check a mapping file; refuses unknown fields with a message naming them."""
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text("utf-8"))
    except OSError as e:
        raise ValidationFailed(f"{p}: cannot read ({e.strerror})", field="mapping") from e
    except UnicodeDecodeError as e:
        raise ValidationFailed(f"{p}: not a YAML/JSON text file (not UTF-8 at byte {e.start})", field="mapping") from e
    except yaml.YAMLError as e:
        raise ValidationFailed(f"{p}: not valid YAML ({e})", field="mapping") from e
    return check_mapping(doc, str(p))


def check_mapping(doc: Any, name: str = "mapping") -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ValidationFailed(f"{name}: a mapping is a YAML/JSON object with 'columns'", field="mapping")
    unknown = [k for k in doc if k not in KEYS]
    if unknown:
        raise ValidationFailed(f"{name}: unknown key(s) {', '.join(map(str, unknown))} (known: {', '.join(KEYS)})",
                               field="mapping")
    cols = doc.get("columns") or {}
    consts = doc.get("constants") or {}
    values = doc.get("values") or {}
    for what, d in (("columns", cols), ("constants", consts), ("values", values)):
        if not isinstance(d, dict):
            raise ValidationFailed(f"{name}: '{what}' must map our field names to values", field="mapping")
        bad = [k for k in d if k not in FIELDS]
        if bad:
            raise ValidationFailed(
                f"{name}: {what}: unknown field(s) {', '.join(map(str, bad))} (fields: {', '.join(FIELDS)})",
                field="mapping",
            )
    if not cols:
        raise ValidationFailed(f"{name}: 'columns' maps no field to a column", field="mapping")
    for k, v in values.items():
        if not isinstance(v, dict):
            raise ValidationFailed(f"{name}: values.{k} must map their values to ours", field="mapping")
    out = {
        "columns": {str(k): str(v) for k, v in cols.items()},
        "constants": {str(k): v for k, v in consts.items()},
        "values": {str(k): {str(a): b for a, b in v.items()} for k, v in values.items()},
        "date_format": str(doc["date_format"]) if doc.get("date_format") else None,
        "external_source": str(doc.get("external_source") or "csv")[:32],
        "weapons_separator": str(doc.get("weapons_separator") or ";"),
    }
    # Round-trip through JSON: the mapping goes into every batch's ledger entry.
    return dict(json.loads(json.dumps(out, default=str)))


def check_header(columns: list[str], mapping: dict[str, Any]) -> None:
    names = {c.strip().lstrip("\ufeff") for c in columns}
    missing = [f"{col!r} (for {f})" for f, col in mapping["columns"].items() if col not in names]
    if missing:
        raise ValueError(f"the header lacks the mapped column(s) {', '.join(missing)}")


def _value(mapping: dict[str, Any], f: str, raw: Any) -> Any:
    vm = mapping["values"].get(f)
    if vm and isinstance(raw, str):
        if raw in vm:
            return vm[raw]
        low = {k.lower(): v for k, v in vm.items()}
        if raw.lower() in low:
            return low[raw.lower()]
    return raw


def row_to_data(row: dict[str, str], mapping: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The report document for one row, and our field → their column (for messages)."""
    got: dict[str, Any] = {}
    for f, v in mapping["constants"].items():
        got[f] = v
    for f, col in mapping["columns"].items():
        raw = (row.get(col) or "").strip()
        if raw != "":
            got[f] = raw
    got = {f: _value(mapping, f, v) for f, v in got.items()}
    fmt = mapping.get("date_format")
    if fmt and isinstance(got.get("occurred_at"), str):
        try:
            got["occurred_at"] = datetime.strptime(got["occurred_at"], fmt).strftime("%Y-%m-%dT%H:%M:%S")
        except ValueError as e:
            raise ValidationFailed(f"occurred_at: {got['occurred_at']!r} does not match {fmt} ({e})",
                                   field="occurred_at") from None
    if isinstance(got.get("weapons"), str):
        got["weapons"] = [w.strip() for w in got["weapons"].split(mapping["weapons_separator"]) if w.strip()]
    data = {f: v for f, v in got.items() if f in FIELDS and f != "external_id" and f not in CASUALTY_FIELDS}
    cas = {f: got[f] for f in CASUALTY_FIELDS if f in got}
    if cas:
        data["casualties"] = cas
    return data, dict(mapping["columns"])


def parse_rows(
    conn: Connection, data: bytes, first_line: int, p: dict[str, Any], ctx: ApplyContext, res: Any
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    mapping = p["options"]["mapping"]
    src = p["options"].get("external_source") or "csv"
    actor = Actor(name=ctx.actor, org=p["org"], role="admin", org_kind=p["options"].get("org_kind") or "admin")
    columns = [c.strip().lstrip("\ufeff") for c in p["columns"]]
    now = datetime.fromisoformat(ctx.now.replace("Z", "+00:00"))
    latest = now + CLOCK_SKEW
    out: list[dict[str, Any]] = []
    rejects: list[tuple[int, str]] = []
    for start, cells in records(data, first_line, len(columns), rejects):
        row = dict(zip(columns, cells, strict=True))
        cols: dict[str, str] = mapping["columns"]
        try:
            doc, cols = row_to_data(row, mapping)
            key = (row.get(mapping["columns"].get("external_id", "")) or "").strip()
            strict = "id" in doc
            if strict:
                key = str(doc["id"])
            elif key:
                doc["id"] = str(uuid.uuid5(NAMESPACE, f"{src}:{key}"))
            else:
                key = f"{p['blob'][:16]}:{start}"
                doc["id"] = str(uuid.uuid5(NAMESPACE, f"{src}:{key}"))
            rec, incident_id, _notes = normalise(conn, actor, doc, [], ctx.now)
            when = datetime.fromisoformat(rec["occurred_at"].replace("Z", "+00:00")).astimezone(UTC)
            if when > latest:
                raise ValidationFailed(f"occurred_at: {rec['occurred_at']} is in the future", field="occurred_at")
            if incident_id is not None and not incidents.exists(conn, incident_id):
                raise ValidationFailed(f"incident_id: no incident {incident_id}", field="incident_id")
        except TruceError as e:
            f = (e.field or "").split(".")[-1]
            col = cols.get(f) if f else None
            rejects.append((start, e.message + (f" [column {col!r}]" if col else "")))
            continue
        rec.pop("content_hash", None)
        rec.pop("evidence", None)
        rec["external_source"] = src
        rec["external_id"] = key[:64]
        rec["incident_id"] = incident_id
        rec["_placed"] = True
        rec["_strict_id"] = strict
        rec["line"] = start
        out.append(rec)
    # A client-made id that some other report (submitted, or from another sheet) already has is refused here:
    # the import's own ids are matched by the bulk importer.
    client_ids = [r["id"] for r in out if r["_strict_id"]]
    if client_ids:
        from sqlalchemy import select

        taken = {
            row.id
            for row in conn.execute(select(reports.c.id, reports.c.external_source).where(reports.c.id.in_(client_ids)))
            if row.external_source != src
        }
        if taken:
            rejects.extend((r["line"], f"id: report {r['id']} exists already (not from this sheet)")
                           for r in out if r["id"] in taken)
            out = [r for r in out if r["id"] not in taken]
    return out, rejects
