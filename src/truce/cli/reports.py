"""Reports of alleged violations: `truce report …`."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from truce.auth.service import get_actor
from truce.cli.common import (
    AsOpt,
    DbOpt,
    JsonOpt,
    RequestIdOpt,
    console,
    get_app,
    handle_errors,
    once,
    print_json,
    viewer_for,
)
from truce.errors import ValidationFailed
from truce.geo.service import deepest_levels
from truce.reports.schemas import CASUALTY_FIELDS
from truce.reports.service import EvidenceFile, get_report, submit

report_app = typer.Typer(help="Reports of alleged violations.\n\nExample: truce report show UUID", no_args_is_help=True)


# `report submit`'s flags: parameter -> the report field it sets (`reports.schemas.REPORT_INPUT_FIELDS`, the
# one field list; a test checks both sides). Every other field is given with `-f` JSON.
FLAG_FIELDS = {
    "report_id": "id",
    "occurred_at": "occurred_at",
    "precision": "occurred_precision",
    "lat": "lat",
    "lon": "lon",
    "location_precision": "location_precision",
    "place": "place_name",
    "violation_type": "violation_type",
    "party": "alleged_party",
    "target": "target",
    "killed": "killed",
    "injured": "injured",
    "killed_civilian": "killed_civilian",
    "narrative": "narrative",
    "language": "language",
    "observation": "observation",
    "visibility": "visibility",
    "source_kind": "source_kind",
    "incident": "incident_id",
}


@report_app.command("submit")
@handle_errors
def report_submit(
    file: Annotated[str | None, typer.Option("--file", "-f", help="A JSON report document ('-' = stdin)")] = None,
    report_id: Annotated[str | None, typer.Option("--id", help="Client-made UUID (made for you if absent)")] = None,
    occurred_at: Annotated[str | None, typer.Option("--occurred-at", help="ISO 8601 time, UTC")] = None,
    precision: Annotated[str | None, typer.Option("--precision", help="exact, day, week or month")] = None,
    lat: Annotated[float | None, typer.Option(help="Latitude (WGS84)")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude (WGS84)")] = None,
    location_precision: Annotated[
        str | None, typer.Option("--location-precision", help="exact, near, adm3, adm2, adm1, country")
    ] = None,
    place: Annotated[str | None, typer.Option("--place", help="Place name (resolved by the gazetteer)")] = None,
    violation_type: Annotated[str | None, typer.Option("--type", help="Violation type, e.g. shelling")] = None,
    party: Annotated[str | None, typer.Option("--party", help="Alleged party (id, name or alias)")] = None,
    target: Annotated[str | None, typer.Option(help="Target")] = None,
    weapon: Annotated[list[str] | None, typer.Option("--weapon", help="Weapon (repeatable)")] = None,
    killed: Annotated[int | None, typer.Option(help="Killed (best estimate)")] = None,
    injured: Annotated[int | None, typer.Option(help="Injured (best estimate)")] = None,
    killed_civilian: Annotated[int | None, typer.Option("--killed-civilian", help="Civilians killed")] = None,
    narrative: Annotated[str | None, typer.Option(help="What happened")] = None,
    language: Annotated[str | None, typer.Option(help="Language of the narrative (ISO 639-1)")] = None,
    observation: Annotated[str | None, typer.Option(help="observed, heard or second_hand")] = None,
    visibility: Annotated[str | None, typer.Option(help="public, parties, guarantors or investigators")] = None,
    source_kind: Annotated[
        str | None, typer.Option("--source-kind", help="monitor, guarantor_office, party_complaint, media, sensor, ngo")
    ] = None,
    incident: Annotated[int | None, typer.Option("--incident", help="The incident this report belongs to")] = None,
    evidence: Annotated[list[Path] | None, typer.Option("--evidence", help="Evidence file (repeatable)")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Submit a report, from flags or a JSON document. Resubmitting the same UUID with the same
    content is reported as a duplicate; with different content it is refused.

    Example: truce report submit --as rus_monitor --occurred-at 2017-09-21T06:30:00Z
    --lat 35.93 --lon 36.63 --type shelling --party SYR --killed 2
    """

    if file:
        text = sys.stdin.read() if file == "-" else _read_text(file)
        try:
            data = json.loads(text)
        except ValueError as e:
            raise ValidationFailed(f"{file}: not valid JSON ({e})", field="file") from e
        if not isinstance(data, dict):
            raise ValidationFailed(f"{file}: a report is a JSON object", field="file")
    else:
        data = {}
    given = locals()
    flags = {field: given[param] for param, field in FLAG_FIELDS.items() if given[param] is not None}
    if weapon:
        flags["weapons"] = weapon
    cas = {k: flags.pop(k) for k in CASUALTY_FIELDS if k in flags}
    data.update(flags)
    if cas:
        data["casualties"] = {**data.get("casualties", {}), **cas}
    for k in ("occurred_at", "violation_type"):
        if k not in data:
            raise ValidationFailed(f"{k}: required (--{k.replace('_', '-').replace('violation-', '')})", field=k)
    t = get_app(db)
    files = [EvidenceFile.from_path(p) for p in (evidence or [])]
    args = {"data": data, "evidence": sorted(hashlib.sha256(f.data).hexdigest() for f in files)}
    res = once(t, as_user, request_id, "report submit", args,
               lambda conn: submit(t, conn, get_actor(conn, as_user), data, files).to_dict())
    if json_:
        return print_json(res)
    if res["duplicate"]:
        console.print(
            f"duplicate: report {res['report_id']} was received already (incident {res['incident_id']}); "
            "nothing written"
        )
        return
    loc = res["location"]
    outside = ""
    if not (loc.get("adm3_pcode") or loc.get("adm2_pcode") or loc.get("adm1_pcode")):
        with t.read() as conn:
            loaded = sorted(deepest_levels(conn))
        outside = f"outside the boundaries of {', '.join(loaded)}" if loaded else "outside any loaded boundaries"
    console.print(
        f"report {res['report_id']} recorded (ledger entry {res['ledger_seq']}); "
        f"{'new ' if res['new_incident'] else ''}incident {res['incident_id']}; "
        f"place {loc.get('adm3_pcode') or loc.get('adm2_pcode') or loc.get('adm1_pcode') or outside}"
        f" ({loc.get('location_precision')})",
        highlight=False,
    )
    for n in res["notes"]:
        console.print(f"  note: {n}", highlight=False)


@report_app.command("show")
@handle_errors
def report_show(
    report_id: Annotated[str, typer.Argument(help="Report UUID")],
    db: DbOpt = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Show it as this user may see it")] = None,
    json_: JsonOpt = False,
) -> None:
    """Show one report as it was received.

    Example: truce report show 0b7e6f0e-8a7b-4c1e-9d55-0d7c0d9c3a11 --json
    """

    t = get_app(db)
    with t.read() as conn:
        r = get_report(conn, report_id, viewer_for(conn, as_user))
    if json_:
        return print_json(r)
    sim = " [SIMULATED]" if r["simulated"] else ""
    console.print(f"[bold]report {r['id']}[/]{sim}", highlight=False)
    for k in (
        "source_kind",
        "org_id",
        "submitted_by",
        "received_at",
        "occurred_at",
        "occurred_precision",
        "violation_type",
        "alleged_party_id",
        "alleged_party_text",
        "place_name",
        "lat",
        "lon",
        "location_precision",
        "adm1_pcode",
        "adm2_pcode",
        "adm3_pcode",
        "target",
        "killed",
        "injured",
        "visibility",
        "incident_id",
        "narrative",
    ):
        if r.get(k) is not None:
            console.print(f"  {k}: {r[k]}", highlight=False)
    for e in r["evidence"]:
        console.print(f"  evidence: {e['name']} ({e['media_type']}, {e['size']} bytes) sha256 {e['sha256']}")


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text("utf-8")
    except OSError as e:
        raise ValidationFailed(f"{path}: cannot read ({e.strerror})", field="file") from e
    except UnicodeDecodeError as e:
        raise ValidationFailed(f"{path}: not a JSON text file (not UTF-8 at byte {e.start})", field="file") from e
