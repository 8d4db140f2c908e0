"""The `truce` command line: one thin command per use case, all calling the services."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from truce.errors import TruceError, ValidationFailed

app = typer.Typer(
    help="Truce: ceasefire monitoring, verification and enforcement.\n\n"
    "Example: truce demo   (builds truce.db with the Astana 2017 scenario and serves it)",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
scenario_app = typer.Typer(help="Scenario files.\n\nExample: truce scenario load", no_args_is_help=True)
user_app = typer.Typer(
    help="Users.\n\nExample: truce user add rus_monitor --org RUS_OFFICE --role monitor", no_args_is_help=True
)
org_app = typer.Typer(help="Organisations.\n\nExample: truce org list", no_args_is_help=True)
party_app = typer.Typer(
    help="Parties to the truce and others it names.\n\nExample: truce party list", no_args_is_help=True
)
zone_app = typer.Typer(help="Zones of the regime.\n\nExample: truce zone list", no_args_is_help=True)
report_app = typer.Typer(help="Reports of alleged violations.\n\nExample: truce report show UUID", no_args_is_help=True)
incident_app = typer.Typer(help="Incidents.\n\nExample: truce incident list --zone Z1", no_args_is_help=True)
import_app = typer.Typer(
    help="Import data from other systems.\n\nExample: truce import ucdp events.csv", no_args_is_help=True
)
ledger_app = typer.Typer(help="The hash-chained ledger.\n\nExample: truce ledger verify", no_args_is_help=True)
agreement_app = typer.Typer(help="Agreement versions.\n\nExample: truce agreement list", no_args_is_help=True)
admin_app = typer.Typer(
    help="Administrative areas (OCHA P-codes).\n\nExample: truce adm list --level 1", no_args_is_help=True
)
for sub, name in (
    (scenario_app, "scenario"),
    (user_app, "user"),
    (org_app, "org"),
    (party_app, "party"),
    (zone_app, "zone"),
    (report_app, "report"),
    (incident_app, "incident"),
    (import_app, "import"),
    (ledger_app, "ledger"),
    (agreement_app, "agreement"),
    (admin_app, "adm"),
):
    app.add_typer(sub, name=name)

console = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)

DbOpt = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: $TRUCE_DATABASE_URL or sqlite truce.db)")
]
AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="The user who issues the command (default: the local console operator, an admin)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON")]

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Turn a refusal into one line on stderr saying what and where, and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TruceError as e:
            err.print(f"[bold red]error[/]: {e.message}", highlight=False, markup=True)
            raise typer.Exit(2 if e.status in (403, 422, 409) else 1) from None

    return wrapper  # type: ignore[return-value]


def get_app(db: str | None) -> Any:
    from truce.app import Truce

    return Truce(db)


def actor_for(truce: Any, name: str | None) -> Any:
    from truce.auth.service import get_actor

    with truce.read() as conn:
        return get_actor(conn, name)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


# --- init / demo / serve ---------------------------------------------------------------------------


@app.command()
@handle_errors
def init(db: DbOpt = None) -> None:
    """Create the database (or bring it to the newest schema) and load the OCHA admin boundaries.

    Example: truce init --db sqlite:///truce.db
    """
    from truce.geo.service import load_bundled_admin_areas
    from truce.ledger.chain import SYSTEM

    t = get_app(db)
    with t.write() as conn:
        res = load_bundled_admin_areas(t, conn, SYSTEM)
    for r in res:
        console.print(
            f"loaded ADM{r.level}: {r.count} areas"
            + (f", {len(r.repairs)} invalid polygons repaired" if r.repairs else "")
        )
        for rep in r.repairs:
            console.print(f"  repaired {rep['pcode']} {rep['name']}: {rep['reason']}", highlight=False)
    console.print(f"database ready: {t.url}")


@app.command()
@handle_errors
def demo(
    db: DbOpt = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app when loaded")] = True,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    seed: Annotated[int, typer.Option(help="Seed of the simulated office reports")] = 2017,
) -> None:
    """Build the demo: database, Astana 2017 scenario, 2017 UCDP events, demo users, simulated
    guarantor-office reports (marked simulated), then serve the web app.

    Example: truce demo --no-serve --db sqlite:///demo.db
    """
    from truce.demo import build_demo

    t = get_app(db)
    with progress_bar() as prog:
        summary = build_demo(t, seed=seed, progress=prog)
    console.print(summary["text"], highlight=False)
    _print_demo_passwords(summary)
    if serve:
        _serve(t.url, host, port)


def _print_demo_passwords(summary: dict[str, Any]) -> None:
    from truce.demo import write_password_file

    new = summary.get("passwords") or {}
    if new:
        path = write_password_file("demo-passwords.txt", new)
        console.print(f"demo accounts (web sign-in; shown only this once, also in {path.resolve()}, mode 0600):")
        for name in sorted(new):
            console.print(f"  {name:<22} {new[name]}", highlight=False)
    existing = summary.get("passwords_existing") or []
    if existing:
        console.print(
            f"{len(existing)} demo accounts have passwords already (left unchanged; see demo-passwords.txt from the "
            "first run, or set one with: truce user passwd NAME)",
            highlight=False,
        )


@app.command()
@handle_errors
def serve(
    db: DbOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (e.g. one per core)")] = 1,
) -> None:
    """Serve the web app and the API with uvicorn.

    Example: truce serve --host 127.0.0.1 --port 8000 --workers 2
    """
    t = get_app(db)
    _serve(t.url, host, port, workers)


def _serve(url: str, host: str, port: int, workers: int = 1) -> None:
    import os

    import uvicorn

    from truce.web.app import create_app

    console.print(f"serving {url} on http://{host}:{port} with {workers} worker(s)  (Ctrl-C stops)")
    # The HTTP parser is httptools (uvicorn[standard]). The event loop: with one worker, asyncio's, which
    # accepts every waiting connection at once, where uvloop (libuv) accepts one per turn of its loop, so
    # that a burst of new connections to a busy server waits for dozens of turns (benchmarks/bench_api.py:
    # p99 over 200 ms instead of under 100 ms for 32 new connections). With several workers, uvloop: its
    # one-at-a-time accepting spreads the connections over the workers, where asyncio's lets one take most.
    if workers == 1:
        uvicorn.run(create_app(url), host=host, port=port, log_level="warning", loop="asyncio")
    else:
        os.environ["TRUCE_DATABASE_URL"] = url  # each worker process builds its own app (create_app())
        uvicorn.run("truce.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", loop="auto")


# --- scenario, users, organisations ------------------------------------------------------------------


@scenario_app.command("load")
@handle_errors
def scenario_load(
    file: Annotated[Path | None, typer.Argument(help="Scenario YAML (default: the bundled Astana 2017)")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Load a scenario: agreement, parties, zones (from ADM3 P-codes) and the organisations that run it.

    Example: truce scenario load astana-2017.yaml
    """
    from truce import scenario

    t = get_app(db)
    res = scenario.load(t, actor_for(t, as_user), file)
    console.print(
        f"agreement: {res['agreement'] or 'already loaded'}; parties added: {len(res['parties'])}; "
        f"zones added: {', '.join(res['zones']) or 'none'}; organisations added: {len(res['organisations'])}"
    )
    for rep in res["repairs"]:
        console.print(f"  repaired admin area {rep['pcode']} {rep['name']}: {rep['reason']}", highlight=False)


@user_app.command("add")
@handle_errors
def user_add(
    name: Annotated[str, typer.Argument(help="User name")],
    org: Annotated[str, typer.Option("--org", help="Organisation id, e.g. RUS_OFFICE")],
    role: Annotated[str, typer.Option("--role", help="monitor, verifier, liaison, analyst or admin")],
    display_name: Annotated[str | None, typer.Option(help="Full name")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Add a user to an organisation with a role.

    Example: truce user add tur_verifier --org TUR_OFFICE --role verifier
    """
    from truce.auth import service as auth

    t = get_app(db)
    with t.write() as conn:
        actor = auth.get_actor(conn, as_user)
        auth.add_user(t, conn, actor, name, org, role, display_name)
    console.print(f"user {name} added: {role} of {org}")


@user_app.command("list")
@handle_errors
def user_list(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """List users with their organisation and role.

    Example: truce user list --json
    """
    from truce.auth import service as auth

    t = get_app(db)
    with t.read() as conn:
        rows = auth.list_users(conn)
    if json_:
        return print_json(rows)
    _table(rows, ["name", "org_id", "role", "active"])


@org_app.command("list")
@handle_errors
def org_list(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """List organisations (guarantor offices, liaisons, the joint group, admin).

    Example: truce org list
    """
    from truce.auth import service as auth

    t = get_app(db)
    with t.read() as conn:
        rows = auth.list_orgs(conn)
    if json_:
        return print_json(rows)
    _table(rows, ["id", "kind", "party_id", "name"])


# --- agreements, parties, zones, admin areas -----------------------------------------------------------


@agreement_app.command("list")
@handle_errors
def agreement_list(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """List agreement versions with their decision rule and period.

    Example: truce agreement list --json
    """
    from truce.agreements import service as agreements

    t = get_app(db)
    with t.read() as conn:
        rows = agreements.list_versions(conn)
    if json_:
        return print_json(rows)
    _table(
        [{**r, "guarantors": ",".join(r["guarantors"]), "clauses": len(r["clauses"])} for r in rows],
        ["id", "version", "effective", "valid_to", "decision_rule", "guarantors", "clauses", "title"],
    )


@agreement_app.command("show")
@handle_errors
def agreement_show(
    agreement_id: Annotated[str, typer.Argument(help="Agreement id")],
    version: Annotated[int | None, typer.Option(help="Version (default: the newest)")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show an agreement version with its clauses and settings.

    Example: truce agreement show astana-2017 --version 1
    """
    from truce.agreements import service as agreements

    t = get_app(db)
    with t.read() as conn:
        a = agreements.get(conn, agreement_id, version)
    if json_:
        return print_json(a)
    console.print(
        f"[bold]{a['title']}[/] ({a['id']} v{a['version']}, effective {a['effective']}, "
        f"{a['decision_rule']} of {', '.join(a['guarantors'])})"
    )
    for c in a["clauses"]:
        extra = ""
        if c.get("prohibited"):
            extra += f" prohibits: {', '.join(c['prohibited'])}."
        if c.get("excluded_parties"):
            extra += f" excludes: {', '.join(c['excluded_parties'])}."
        console.print(f"  {c['id']}: {c['text']}{extra}", highlight=False)
    console.print(f"settings: {json.dumps(a['settings'])}", highlight=False)


@party_app.command("list")
@handle_errors
def party_list(
    status: Annotated[str | None, typer.Option(help="applicant, signatory, suspended or excluded")] = None,
    kind: Annotated[
        str | None, typer.Option(help="guarantor, government, armed_group, designated, foreign_force")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Status as it was on this date (YYYY-MM-DD)")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List parties with kind and truce status (optionally as of a date).

    Example: truce party list --status signatory --as-of 2017-06-01
    """
    from truce.parties import service as parties

    t = get_app(db)
    with t.read() as conn:
        rows = parties.list_parties(conn, status=status, kind=kind, as_of=as_of)
    if json_:
        return print_json(rows)
    _table(rows, ["id", "kind", "truce_status", "status_since", "name"])


@party_app.command("show")
@handle_errors
def party_show(
    party: Annotated[str, typer.Argument(help="Party id, name or alias")], db: DbOpt = None, json_: JsonOpt = False
) -> None:
    """Show a party: aliases, designations, truce status history.

    Example: truce party show NUSRA
    """
    from truce.parties import service as parties

    t = get_app(db)
    with t.read() as conn:
        p = parties.show_party(conn, party)
    if json_:
        return print_json(p)
    console.print(f"[bold]{p['id']}[/] {p['name']} ({p['kind']}); status: {p['truce_status'] or '—'}")
    console.print(f"aliases: {', '.join(p['aliases'])}", highlight=False)
    if p["designations"]:
        console.print(f"designations: {', '.join(d['authority'] for d in p['designations'])}")
    for h in p["status_history"]:
        console.print(f"  {h['effective']}: {h['previous'] or '—'} → {h['status']} ({h['reason']})", highlight=False)


@zone_app.command("list")
@handle_errors
def zone_list(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Show the version valid on this date")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List zones with their current version, area and number of incidents.

    Example: truce zone list --as-of 2017-09-21
    """
    from truce.zones import service as zones

    t = get_app(db)
    with t.read() as conn:
        rows = zones.list_zones(conn, as_of)
    if json_:
        return print_json(rows)
    _table(rows, ["id", "name", "kind", "version", "valid_from", "valid_to", "area_sqkm", "incidents", "approximate"])


@zone_app.command("show")
@handle_errors
def zone_show(
    zone: Annotated[str, typer.Argument(help="Zone id")],
    geometry: Annotated[bool, typer.Option("--geometry", help="Include GeoJSON geometries")] = False,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show a zone and its versions (use --json --geometry for GeoJSON).

    Example: truce zone show Z1 --json --geometry
    """
    from truce.zones import service as zones

    t = get_app(db)
    with t.read() as conn:
        z = zones.show_zone(conn, zone, with_geometry=geometry)
    if json_:
        return print_json(z)
    console.print(f"[bold]{z['id']}[/] {z['name']} ({z['kind']}){' — approximate outline' if z['approximate'] else ''}")
    if z["note"]:
        console.print(f"  {z['note']}", highlight=False)
    for v in z["versions"]:
        console.print(
            f"  v{v['version']}: {v['valid_from']} → {v['valid_to'] or 'open'}, {v['area_sqkm']} km²"
            + (f", from {len(v['adm_pcodes'])} sub-districts" if v["adm_pcodes"] else "")
            + (f"; {v['repair']}" if v["repair"] else ""),
            highlight=False,
        )
    console.print(f"incidents in this zone: {z['incidents']}")


@zone_app.command("import")
@handle_errors
def zone_import(
    file: Annotated[Path, typer.Argument(help="GeoJSON file: a Feature, FeatureCollection or geometry")],
    zone_id: Annotated[str | None, typer.Option("--id", help="Zone id (default: the 'id' property)")] = None,
    name: Annotated[str | None, typer.Option(help="Zone name (default: the 'name' property)")] = None,
    kind: Annotated[
        str, typer.Option(help="de_escalation_area, security_belt, demilitarised_strip, reconciled_settlement or other")
    ] = "de_escalation_area",
    valid_from: Annotated[str, typer.Option("--valid-from", help="First day the zone applies")] = "",
    id_property: Annotated[str, typer.Option(help="Feature property holding the zone id")] = "id",
    name_property: Annotated[str, typer.Option(help="Feature property holding the zone name")] = "name",
    prop: Annotated[
        list[str] | None,
        typer.Option("--property", help="FIELD=PROPERTY: take kind, note, approximate or valid_from from PROPERTY"),
    ] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Import zones from GeoJSON (one zone per feature); invalid polygons are repaired and reported.
    Properties map to zone fields: --id-property, --name-property, --property valid_from=start (kind,
    note, approximate, valid_from).

    Example: truce zone import zones.geojson --valid-from 2017-05-06 --id-property zone --name-property title
    """
    from truce.zones.io import import_geojson

    t = get_app(db)
    actor = actor_for(t, as_user)
    res = import_geojson(
        t,
        actor,
        file,
        zone_id=zone_id,
        name=name,
        kind=kind,
        valid_from=valid_from,
        id_property=id_property,
        name_property=name_property,
        property_map=_property_map(prop),
    )
    for r in res["added"]:
        console.print(f"zone {r['id']} added" + (f" ({r['repair']})" if r.get("repair") else ""), highlight=False)
    for r in res["rejected"]:
        err.print(f"feature {r['feature']}: {r['reason']}", highlight=False)
    if res["rejected"] and not res["added"]:
        raise typer.Exit(2)


def _property_map(items: list[str] | None) -> dict[str, str]:
    bad = [p for p in items or [] if "=" not in p]
    if bad:
        raise ValidationFailed(f"property: '{bad[0]}' is not FIELD=PROPERTY", field="property")
    return dict(p.split("=", 1) for p in items or [])


@admin_app.command("list")
@handle_errors
def adm_list(
    level: Annotated[int | None, typer.Option(help="1 governorates, 2 districts, 3 sub-districts")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List OCHA administrative areas with P-codes and English/Arabic names.

    Example: truce adm list --level 1
    """
    from truce.geo.service import list_admin_areas

    t = get_app(db)
    with t.read() as conn:
        rows = list_admin_areas(conn, level)
    if json_:
        return print_json(rows)
    _table(rows, ["pcode", "level", "name_en", "name_ar", "repaired"])


# --- reports and incidents ------------------------------------------------------------------------------


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
) -> None:
    """Submit a report, from flags or a JSON document. Resubmitting the same UUID with the same
    content is reported as a duplicate; with different content it is refused.

    Example: truce report submit --as rus_monitor --occurred-at 2017-09-21T06:30:00Z
    --lat 35.93 --lon 36.63 --type shelling --party SYR --killed 2
    """
    from truce.reports.service import EvidenceFile, submit

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
    flags = {
        "id": report_id,
        "occurred_at": occurred_at,
        "occurred_precision": precision,
        "lat": lat,
        "lon": lon,
        "location_precision": location_precision,
        "place_name": place,
        "violation_type": violation_type,
        "alleged_party": party,
        "target": target,
        "weapons": weapon or None,
        "narrative": narrative,
        "language": language,
        "observation": observation,
        "visibility": visibility,
        "source_kind": source_kind,
        "incident_id": incident,
    }
    data.update({k: v for k, v in flags.items() if v is not None})
    cas = {
        k: v
        for k, v in {"killed": killed, "injured": injured, "killed_civilian": killed_civilian}.items()
        if v is not None
    }
    if cas:
        data["casualties"] = {**data.get("casualties", {}), **cas}
    for k in ("occurred_at", "violation_type"):
        if k not in data:
            raise ValidationFailed(f"{k}: required (--{k.replace('_', '-').replace('violation-', '')})", field=k)
    t = get_app(db)
    files = [EvidenceFile.from_path(p) for p in (evidence or [])]
    with t.write() as conn:
        from truce.auth.service import get_actor

        actor = get_actor(conn, as_user)
        res = submit(t, conn, actor, data, files)
    if json_:
        return print_json(res.to_dict())
    if res.duplicate:
        console.print(
            f"duplicate: report {res.report_id} was received already (incident {res.incident_id}); nothing written"
        )
        return
    loc = res.location
    console.print(
        f"report {res.report_id} recorded (ledger entry {res.ledger_seq}); "
        f"{'new ' if res.new_incident else ''}incident {res.incident_id}; "
        f"place {loc.get('adm3_pcode') or loc.get('adm2_pcode') or loc.get('adm1_pcode') or 'outside Syria'}"
        f" ({loc.get('location_precision')})",
        highlight=False,
    )
    for n in res.notes:
        console.print(f"  note: {n}", highlight=False)


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text("utf-8")
    except OSError as e:
        raise ValidationFailed(f"{path}: cannot read ({e.strerror})", field="file") from e


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
    from truce.reports.service import get_report

    t = get_app(db)
    with t.read() as conn:
        r = get_report(conn, report_id, _viewer(conn, as_user))
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


@incident_app.command("list")
@handle_errors
def incident_list(
    verdict: Annotated[str | None, typer.Option(help="pending, verified, not_verified or disputed")] = None,
    status: Annotated[str | None, typer.Option(help="open, under_investigation or closed")] = None,
    zone: Annotated[str | None, typer.Option(help="Zone id")] = None,
    adm: Annotated[str | None, typer.Option(help="OCHA P-code of ADM1, ADM2 or ADM3")] = None,
    party: Annotated[str | None, typer.Option(help="Alleged party id")] = None,
    violation_type: Annotated[str | None, typer.Option("--type", help="Violation type")] = None,
    since: Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="Up to and including this day")] = None,
    limit: Annotated[int, typer.Option(help="Rows per page (0 = all)")] = 50,
    offset: Annotated[int, typer.Option(help="Rows to skip")] = 0,
    db: DbOpt = None,
    as_user: Annotated[str | None, typer.Option("--as", help="List what this user may see")] = None,
    public: Annotated[bool, typer.Option("--public", help="List what the public sees")] = False,
    json_: JsonOpt = False,
) -> None:
    """List incidents, newest first, with filters and paging.

    Example: truce incident list --zone Z3 --since 2017-07-01 --until 2017-07-31 --limit 20
    """
    from truce.incidents.service import IncidentFilter, list_incidents

    t = get_app(db)
    flt = IncidentFilter(
        verdict=verdict,
        status=status,
        zone=zone,
        adm=adm,
        party=party,
        violation_type=violation_type,
        since=since,
        until=until,
    )
    with t.read() as conn:
        rows, total = list_incidents(conn, flt, limit, offset, viewer=None if public else _viewer(conn, as_user))
    if json_:
        return print_json({"total": total, "limit": limit, "offset": offset, "incidents": rows})
    _table(
        [
            {
                **r,
                "zones": ",".join(r["zones"]),
                "party": r["alleged_party_id"] or r["alleged_party_text"],
                "sim": "sim" if r["simulated"] else (f"{r['simulated_reports']} sim" if r["simulated_reports"] else ""),
                "occurred": r["occurred_at"][:16],
            }
            for r in rows
        ],
        ["id", "occurred", "violation_type", "party", "adm3_pcode", "zones", "verdict", "reports", "sim", "place_name"],
    )
    console.print(f"{len(rows)} of {total} (offset {offset})")


@incident_app.command("show")
@handle_errors
def incident_show(
    incident_id: Annotated[int, typer.Argument(help="Incident number")],
    db: DbOpt = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Show it as this user may see it")] = None,
    public: Annotated[bool, typer.Option("--public", help="Show it as the public sees it")] = False,
    json_: JsonOpt = False,
) -> None:
    """Show an incident: reports, evidence, each guarantor's finding, verdict, attribution, clause,
    severity, confidence and its parts, investigations, replies, and the ledger entries behind it.

    Example: truce incident show 42 --as syr_liaison --json
    """
    from truce.geo.service import admin_names
    from truce.incidents.views import incident_detail

    t = get_app(db)
    with t.read() as conn:
        viewer = None if public else _viewer(conn, as_user)
        d = incident_detail(conn, incident_id, viewer)
        names = admin_names(conn, [d["adm1_pcode"], d["adm2_pcode"], d["adm3_pcode"]])
    if json_:
        return print_json(d)
    p = console.print
    sim = " [SIMULATED]" if d["simulated"] or any(r["simulated"] for r in d["reports"]) else ""
    p(f"[bold]incident {d['id']}[/]{sim}: {d['title']}", highlight=False)
    p(f"  occurred {d['occurred_at']} ({d['occurred_precision']}); status {d['status']}")
    place = " / ".join(f"{names.get(c, c)} {c}" for c in (d["adm1_pcode"], d["adm2_pcode"], d["adm3_pcode"]) if c)
    p(f"  where: {place or 'unknown'} ({d['location_precision']})", highlight=False)
    p(f"  zones: {', '.join(z['zone_id'] + ' v' + str(z['zone_version']) for z in d['zones']) or 'none'}")
    p(f"  alleged party: {d['alleged_party_id'] or d['alleged_party_text'] or 'unknown'}", highlight=False)
    p(
        f"  [bold]verdict: {d['verdict']}[/]"
        + (f" under {d['agreement_id']} v{d['agreement_version']}" if d["agreement_id"] else "")
    )
    if d["verdict"] == "verified":
        who = d["attributed_party_id"] if d["attribution"] == "attributed" else "could not be attributed"
        p(
            f"  attribution: {who}; clause: {d['clause_id'] or '-'} ({d['breach']}: {d['breach_reason']}); "
            f"severity: {d['severity']} ({d['severity_reason']})",
            highlight=False,
        )
    cp = d["confidence_parts"]
    p(
        f"  confidence {d['confidence']:.2f} = 0.40 x sources {cp['sources']} ({cp['independent_sources']} independent)"
        f" + 0.20 x observation {cp['observation']} + 0.15 x evidence {cp['evidence']}"
        f" + 0.25 x agreement {cp['agreement']}",
        highlight=False,
    )
    for f in d["findings"]:
        p(
            f"  finding {f['guarantor']}: {f['finding']} ({f['reason_code']})"
            + (f", attributes to {f['attributed_party_id']}" if f["attributed_party_id"] else "")
            + (f": {f['note']}" if f["note"] else "")
            + f" — {f['recorded_by']} {f['recorded_at'][:16]}",
            highlight=False,
        )
    for r in d["replies"]:
        p(
            f"  reply by {r.get('party_id')} ({r.get('filed_by')}, {str(r.get('filed_at'))[:16]}): {r.get('text')}",
            highlight=False,
        )
    for i in d["investigations"]:
        p(
            f"  investigation {i.get('id')}: {i.get('status')}"
            + (f", finding {i['finding']}" if i.get("finding") else ""),
            highlight=False,
        )
    for r in d["reports"]:
        p(
            f"  report {r['id']} ({r['source_kind']}, {r['org_id']}, {r['how']}, {r['visibility']})"
            + (" [simulated]" if r["simulated"] else "")
            + (f", {len(r['evidence'])} evidence" if r["evidence"] else ""),
            highlight=False,
        )
    if d["hidden_reports"]:
        p(f"  ({d['hidden_reports']} report(s) not shown at your visibility tier)")
    for e in d["ledger"]:
        p(f"  ledger {e['seq']}: {e['command']} by {e['actor']} at {e['at']}")


def _viewer(conn: Any, name: str | None) -> Any:
    from truce.auth.service import get_actor

    return get_actor(conn, name)


# --- imports and the ledger ------------------------------------------------------------------------------


@import_app.command("ucdp")
@handle_errors
def import_ucdp(
    file: Annotated[Path, typer.Argument(help="UCDP-AEC CSV file, or UCDP GED's own CSV (told apart by the header)")],
    rejects: Annotated[Path | None, typer.Option(help="Write rows that could not be read here (CSV)")] = None,
    org: Annotated[str | None, typer.Option(help="Organisation recorded as the importer (default: yours)")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Import UCDP-AEC rows as media reports: places geocoded to P-codes, deaths to casualties,
    sides to parties. Idempotent on the UCDP id. A UCDP GED CSV (with coordinates) is streamed in
    batches, its points placed in P-codes and zones.

    Example: truce import ucdp ucdp_aec_syria_train.csv --rejects rejects.csv
    """
    from truce.ingest.service import import_ucdp as run

    if not file.is_file():
        raise ValidationFailed(f"{file}: no such file", field="file")
    t = get_app(db)
    actor = actor_for(t, as_user)
    with open(file, encoding="utf-8", errors="replace") as fh:
        total = sum(1 for _ in fh) - 1
    with progress_bar() as prog:
        task = prog.add_task(f"importing {file.name}", total=max(total, 0))
        summary = run(t, actor, file, org=org, progress=lambda n: prog.advance(task, n))
    if rejects and summary.rejected:
        _write_rejects(rejects, summary.rejected)
    if json_:
        return print_json(summary.to_dict())
    _print_summary(summary, rejects)


def _write_rejects(path: Path, rejected: list[tuple[int, str]]) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["line", "reason"])
        w.writerows(rejected)


def _print_summary(s: Any, rejects: Path | None) -> None:
    console.print(
        f"{s.file}: {s.rows} rows; {s.imported} imported, {s.duplicates} already there, "
        f"{s.corrections} corrections, {len(s.rejected)} rejected; ledger entries {s.batches or 'none'}"
    )
    if s.precision:
        console.print("location precision: " + ", ".join(f"{k} {v}" for k, v in sorted(s.precision.items())))
    if s.unresolved_places:
        console.print(
            "not resolved below governorate (most frequent): "
            + "; ".join(f"{k} ({v})" for k, v in s.unresolved_places.most_common(10)),
            highlight=False,
        )
    if s.unknown_sides:
        console.print(
            "sides not in the party register, kept as text: "
            + "; ".join(f"{k} ({v})" for k, v in s.unknown_sides.most_common(8)),
            highlight=False,
        )
    for line, reason in s.rejected[:10]:
        err.print(f"line {line}: {reason}", highlight=False)
    if s.rejected and rejects:
        err.print(f"all rejected rows written to {rejects}")


@ledger_app.command("verify")
@handle_errors
def ledger_verify(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """Check the hash chain, replay the ledger into a scratch database and compare every table.
    Exits 1 and names the first bad entry, or the table and row that differ.

    Example: truce ledger verify
    """
    from truce.ledger.service import verify

    t = get_app(db)
    with progress_bar() as prog:
        task = prog.add_task("replaying the ledger", total=None)
        res = verify(t, progress=lambda done, total: prog.update(task, completed=done, total=total))
    if json_:
        print_json(res.to_dict())
    elif res.ok:
        console.print(
            f"ledger OK: {res.entries} entries, head {res.head_seq} {res.head_hash}; "
            f"{len(res.tables)} tables match the replay ({sum(res.tables.values())} rows)"
        )
    else:
        for p in res.problems:
            err.print(f"[bold red]ledger verify failed[/]: {p}", highlight=False)
    if not res.ok:
        raise typer.Exit(1)


@ledger_app.command("log")
@handle_errors
def ledger_log(
    limit: Annotated[int, typer.Option(help="Entries to show (0 = all)")] = 20,
    offset: Annotated[int, typer.Option(help="Entries to skip (from the newest)")] = 0,
    command: Annotated[str | None, typer.Option(help="Only this command, e.g. report.submit")] = None,
    payload: Annotated[bool, typer.Option("--payload", help="Include each entry's payload")] = False,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show ledger entries, newest first.

    Example: truce ledger log --limit 5 --json --payload
    """
    from truce.ledger.service import log

    t = get_app(db)
    with t.read() as conn:
        rows = log(conn, limit, offset, command, with_payload=payload)
    if json_:
        return print_json(rows)
    _table([{**r, "hash": r["hash"][:16] + "…"} for r in rows], ["seq", "at", "actor", "org", "command", "hash"])


def _table(rows: list[dict[str, Any]], cols: list[str]) -> None:
    tab = Table(*cols, show_lines=False, highlight=False)
    for r in rows:
        tab.add_row(*["" if r.get(c) is None else str(r.get(c)) for c in cols])
    console.print(tab)


def _load_command_modules() -> None:
    """Commands defined beside their domain register themselves on the sub-apps above."""
    import importlib

    for name in (
        "truce.cli_findings",
        "truce.cli_enforcement",
        "truce.cli_verification",
        "truce.cli_investigations",
        "truce.cli_data",
        "truce.cli_web",
        "truce.cli_bulletin",
    ):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise


_load_command_modules()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
