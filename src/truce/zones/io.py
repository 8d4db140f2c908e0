"""Zones from GeoJSON files: one zone per feature, with property mapping; bad features reported.

The zone's id and name come from the properties named by ``id_property``/``name_property``; its kind, note,
approximate flag and first valid day from the properties ``kind``, ``note``, ``approximate`` and
``valid_from``, or from those ``property_map`` names instead (e.g. ``{"valid_from": "start"}``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from truce.errors import TruceError, ValidationFailed
from truce.ledger.chain import Actor
from truce.ledger.context import App
from truce.zones import service as zones

MAPPABLE = ("kind", "note", "approximate", "valid_from")


def import_geojson(
    app: App,
    actor: Actor,
    path: str | Path,
    *,
    zone_id: str | None = None,
    name: str | None = None,
    kind: str = "de_escalation_area",
    valid_from: str = "",
    id_property: str = "id",
    name_property: str = "name",
    property_map: dict[str, str] | None = None,
) -> dict[str, Any]:
    pm = {k: k for k in MAPPABLE}
    for k, v in (property_map or {}).items():
        if k not in MAPPABLE:
            raise ValidationFailed(f"property: '{k}' is not one of {', '.join(MAPPABLE)}", field="property")
        pm[k] = v
    p = Path(path)
    try:
        doc = json.loads(p.read_text("utf-8"))
    except OSError as e:
        raise ValidationFailed(f"{p}: cannot read ({e.strerror})", field="file") from e
    except ValueError as e:
        raise ValidationFailed(f"{p}: not valid JSON ({e})", field="file") from e
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        feats = doc.get("features") or []
    elif isinstance(doc, dict) and doc.get("type") == "Feature":
        feats = [doc]
    elif isinstance(doc, dict) and "coordinates" in doc:
        feats = [{"type": "Feature", "properties": {}, "geometry": doc}]
    else:
        raise ValidationFailed(f"{p}: not a GeoJSON Feature, FeatureCollection or geometry", field="file")
    if (zone_id or name) and len(feats) != 1:
        raise ValidationFailed("--id/--name apply to a file with one feature; use --id-property instead", field="id")
    added, rejected = [], []
    for i, f in enumerate(feats):
        props = (f or {}).get("properties") or {}
        zid = zone_id or props.get(id_property) or (f or {}).get("id")
        zname = name or props.get(name_property) or zid
        if not zid:
            rejected.append({"feature": i, "reason": f"no '{id_property}' property to take the zone id from"})
            continue
        start = valid_from or str(props.get(pm["valid_from"]) or "")
        if not start:
            rejected.append({"feature": i, "reason": "no valid-from date (--valid-from or a valid_from property)"})
            continue
        try:
            with app.write() as conn:
                res = zones.add_zone(
                    app,
                    conn,
                    actor,
                    {
                        "id": str(zid),
                        "name": str(zname),
                        "kind": props.get(pm["kind"], kind),
                        "note": props.get(pm["note"]),
                        "approximate": bool(props.get(pm["approximate"], False)),
                        "valid_from": start,
                        "geometry": (f or {}).get("geometry"),
                    },
                )
            added.append(res)
        except TruceError as e:
            rejected.append({"feature": i, "reason": e.message})
    return {"added": added, "rejected": rejected}
