"""Enforcement commands: measures, accession, eligibility, position reports, uniting and splitting zones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from truce.cli import AsOpt, DbOpt, JsonOpt, _table, app, console, get_app, handle_errors, print_json, zone_app
from truce.errors import ValidationFailed

measures_app = typer.Typer(
    help="Evaluate the measures ladder.\n\nExample: truce measures evaluate --as-of 2017-09-30", no_args_is_help=True
)
measure_app = typer.Typer(
    help="Measures against violators.\n\nExample: truce measure list --status proposed", no_args_is_help=True
)
accession_app = typer.Typer(
    help="Accession to the truce.\n\nExample: truce accession apply AHRAR --as ahrar_liaison", no_args_is_help=True
)
position_app = typer.Typer(
    help="Position reports of parties' forces.\n\nExample: truce position list --party FAYLAQ", no_args_is_help=True
)
app.add_typer(measures_app, name="measures")
app.add_typer(measure_app, name="measure")
app.add_typer(accession_app, name="accession")
app.add_typer(position_app, name="position")

DateOpt = Annotated[str | None, typer.Option("--date", help="Day of the decision (default: today)")]


def _write(db: str | None, as_user: str | None) -> tuple[Any, Any]:
    return get_app(db), as_user


@measures_app.command("evaluate")
@handle_errors
def measures_evaluate(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluate as of this day (default: today)")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Propose the measures the agreement's ladder calls for, with the evidence behind each; mark
    approved measures whose deadline passed breached. Running it twice proposes nothing new.

    Example: truce measures evaluate --as-of 2017-09-30 --as joint_verifier --json
    """
    from truce.auth.service import get_actor
    from truce.measures.service import evaluate

    t = get_app(db)
    with t.write() as conn:
        res = evaluate(t, conn, get_actor(conn, as_user), as_of)
    if json_:
        return print_json(res)
    for b in res["breached"]:
        console.print(f"measure {b['measure_id']} against {b['party_id']}: deadline {b['deadline']} missed → breached")
    for p in res["proposals"]:
        ev = p["evidence"]
        why = (
            f"{ev.get('points')} points in {ev['window'][0]}..{ev['window'][1]} "
            f"(incidents {', '.join(str(i['incident_id']) for i in ev.get('incidents', [])) or 'none'}; "
            f"access denials {len(ev.get('access_denials', []))})"
            if p["rule_id"] != "missed_deadline"
            else f"missed deadline of measure {ev['missed_deadlines'][0]['measure_id']}"
        )
        console.print(
            f"proposed measure {p['id']}: {p['kind']} (step {p['step']}) against {p['party_id']}, "
            f"rule {p['rule_id']}: {why}",
            highlight=False,
        )
    if not res["breached"] and not res["proposals"]:
        console.print(f"nothing new to propose as of {res['as_of']}")


@measure_app.command("list")
@handle_errors
def measure_list(
    status: Annotated[str | None, typer.Option(help="proposed, approved or rejected")] = None,
    party: Annotated[str | None, typer.Option(help="Party id")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List measures with their decision, deadline and compliance.

    Example: truce measure list --status approved --json
    """
    from truce.measures.service import list_measures

    t = get_app(db)
    with t.read() as conn:
        rows = list_measures(conn, status, party)
    if json_:
        return print_json(rows)
    _table(
        [{**r, "votes": " ".join(f"{v['guarantor']}:{v['approve']}" for v in r["votes"])} for r in rows],
        ["id", "party_id", "step", "kind", "rule_id", "as_of", "status", "votes", "deadline", "compliance"],
    )


@measure_app.command("show")
@handle_errors
def measure_show(
    measure_id: Annotated[int, typer.Argument(help="Measure id")], db: DbOpt = None, json_: JsonOpt = False
) -> None:
    """Show a measure with the evidence that triggered it (incidents, reports, ledger entries) and the votes.

    Example: truce measure show 1 --json
    """
    from truce.measures.service import get_measure

    t = get_app(db)
    with t.read() as conn:
        m = get_measure(conn, measure_id)
    if json_:
        return print_json(m)
    console.print(
        f"[bold]measure {m['id']}[/]: {m['kind']} (step {m['step']}) against {m['party_id']}; "
        f"{m['status']}" + (f", deadline {m['deadline']}, compliance {m['compliance']}" if m["deadline"] else "")
    )
    console.print(f"  rule {m['rule_id']}: {m['evidence'].get('rule', {}).get('text', '')}", highlight=False)
    for i in m["evidence"].get("incidents", []):
        console.print(
            f"  incident {i['incident_id']} ({i['occurred_at'][:10]}, {i['severity']}, {i['points']} pts) "
            f"reports {', '.join(i['reports'])}",
            highlight=False,
        )
    for d in m["evidence"].get("access_denials", []):
        console.print(f"  access denial {d['denial_id']} on {d['denied_at'][:10]} ({d['points']} pts)")
    for v in m["votes"]:
        console.print(f"  vote {v['guarantor']}: {v['approve']} ({v['voted_by']}): {v['reason']}", highlight=False)


@measure_app.command("decide")
@handle_errors
def measure_decide(
    measure_id: Annotated[int, typer.Argument(help="Measure id")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="Your guarantor's vote")],
    reason: Annotated[str, typer.Option("--reason", help="Why")],
    on: DateOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Cast your guarantor's vote on a proposed measure; the decision follows the agreement's rule.

    Example: truce measure decide 1 --approve --reason "three grave breaches" --as rus_verifier
    """
    from truce.auth.service import get_actor
    from truce.measures.service import decide_measure

    t = get_app(db)
    with t.write() as conn:
        res = decide_measure(t, conn, get_actor(conn, as_user), measure_id, approve, reason, on)
    if json_:
        return print_json(res)
    out = res["outcome"] or "still proposed"
    console.print(
        f"{res['guarantor']} voted {'yes' if approve else 'no'} on measure {measure_id}: {out}"
        + (f"; deadline {res['deadline']}" if res["deadline"] else "")
        + (f"; {res['status_change']['party_id']} now {res['status_change']['status']}" if res["status_change"] else "")
    )


@measure_app.command("comply")
@handle_errors
def measure_comply(
    measure_id: Annotated[int, typer.Argument(help="Measure id")],
    complied: Annotated[bool, typer.Option("--complied/--breached", help="Did the party comply?")],
    reason: Annotated[str, typer.Option("--reason", help="How")],
    on: DateOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Record whether the party complied with an approved measure.

    Example: truce measure comply 1 --complied --reason "artillery withdrawn, verified" --as joint_verifier
    """
    from truce.auth.service import get_actor
    from truce.measures.service import record_compliance

    t = get_app(db)
    with t.write() as conn:
        res = record_compliance(t, conn, get_actor(conn, as_user), measure_id, complied, reason, on)
    console.print(f"measure {measure_id}: {res['compliance']}")


@accession_app.command("apply")
@handle_errors
def accession_apply(
    party: Annotated[str, typer.Argument(help="Party id")],
    on: DateOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Apply to join the truce; the eligibility criteria are evaluated and kept with the application.

    Example: truce accession apply AHRAR --as ahrar_liaison
    """
    from truce.auth.service import get_actor
    from truce.measures.service import apply_accession

    t = get_app(db)
    with t.write() as conn:
        res = apply_accession(t, conn, get_actor(conn, as_user), party, on)
    if json_:
        return print_json(res)
    console.print(f"application {res['id']} of {res['party_id']} recorded; eligibility: {res['eligibility']['result']}")


@accession_app.command("decide")
@handle_errors
def accession_decide(
    accession_id: Annotated[int, typer.Argument(help="Application id")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="Your guarantor's vote")],
    reason: Annotated[str, typer.Option("--reason", help="Why")],
    on: DateOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Cast your guarantor's vote on an application; accepted, the party becomes a signatory.

    Example: truce accession decide 1 --approve --reason "meets the criteria" --as tur_verifier
    """
    from truce.auth.service import get_actor
    from truce.measures.service import decide_accession

    t = get_app(db)
    with t.write() as conn:
        res = decide_accession(t, conn, get_actor(conn, as_user), accession_id, approve, reason, on)
    console.print(
        f"{res['guarantor']} voted {'yes' if approve else 'no'} on application {accession_id}: "
        f"{res['outcome'] or 'still pending'}"
    )


@accession_app.command("list")
@handle_errors
def accession_list(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """List accession applications with their eligibility result and votes.

    Example: truce accession list --json
    """
    from truce.measures.service import list_accessions

    t = get_app(db)
    with t.read() as conn:
        rows = list_accessions(conn)
    if json_:
        return print_json(rows)
    _table(
        [{**r, "eligibility": r["eligibility"]["result"]} for r in rows],
        ["id", "party_id", "applied_at", "status", "eligibility", "decided_at"],
    )


@app.command("eligibility")
@handle_errors
def eligibility(
    party: Annotated[str, typer.Argument(help="Party id, name or alias")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluate as of this day")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Evaluate the published eligibility criteria ("not deemed terrorist") for a party: each
    criterion passed, failed or unknown, with its evidence.

    Example: truce eligibility FAYLAQ --as-of 2017-09-21 --json
    """
    from truce.eligibility.service import evaluate

    t = get_app(db)
    with t.read() as conn:
        res = evaluate(conn, party, as_of)
    if json_:
        return print_json(res)
    console.print(
        f"[bold]{res['party']}[/] {res['name']} as of {res['as_of']}: [bold]{res['result']}[/] "
        f"({res['criteria_set']['title']}, version {res['criteria_set']['version']})",
        highlight=False,
    )
    for c in res["criteria"]:
        mark = {"passed": "PASS", "failed": "FAIL", "unknown": "  ? "}[c["status"]]
        console.print(f"  {mark} {c['id']} {c['text']}", highlight=False)
        console.print(f"       evidence: {json.dumps(c['evidence'], default=str)[:300]}", highlight=False)


@position_app.command("report")
@handle_errors
def position_report(
    party: Annotated[str, typer.Option("--party", help="Party whose forces were seen")],
    on: Annotated[str, typer.Option("--date", help="Day they were observed")],
    lat: Annotated[float | None, typer.Option(help="Latitude")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude")] = None,
    area: Annotated[Path | None, typer.Option(help="GeoJSON polygon file of the area held")] = None,
    place: Annotated[str | None, typer.Option(help="Place name")] = None,
    note: Annotated[str | None, typer.Option(help="Note")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Report where a party's forces were on a day (a point or an area).

    Example: truce position report --party FAYLAQ --date 2017-09-20 --lat 35.8 --lon 36.6 --as rus_monitor
    """
    from truce.auth.service import get_actor
    from truce.eligibility.service import report_position

    geo = None
    if area:
        try:
            geo = json.loads(area.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise ValidationFailed(f"area: cannot read GeoJSON from {area} ({e})", field="area") from e
    t = get_app(db)
    with t.write() as conn:
        res = report_position(t, conn, get_actor(conn, as_user), party, on, lat, lon, geo, place, note)
    console.print(f"position {res['id']} of {res['party_id']} on {res['observed_on']} at {res['lat']}, {res['lon']}")


@position_app.command("list")
@handle_errors
def position_list(
    party: Annotated[str | None, typer.Option(help="Party id")] = None, db: DbOpt = None, json_: JsonOpt = False
) -> None:
    """List position reports.

    Example: truce position list --party NUSRA --json
    """
    from truce.eligibility.service import list_positions

    t = get_app(db)
    with t.read() as conn:
        rows = list_positions(conn, party)
    if json_:
        return print_json(rows)
    _table(rows, ["id", "party_id", "observed_on", "lat", "lon", "place_name", "org_id", "simulated"])


@zone_app.command("unite")
@handle_errors
def zone_unite(
    zone: Annotated[str, typer.Argument(help="Zone id")],
    as_of: Annotated[str, typer.Option("--as-of", help="First day of the united zone")],
    with_zone: Annotated[str | None, typer.Option("--with", help="Another zone joining it")] = None,
    adm: Annotated[
        list[str] | None, typer.Option("--adm", help="P-code of an admin area joining it (repeatable)")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Unite an area with a zone from a day: a new version of the zone whose geometry is the union.
    Incidents are re-assigned: each is in the zone as it stood on the incident's day.

    Example: truce zone unite Z4 --adm SY120100 --as-of 2017-07-09 --reason "reconciled settlement"
    """
    from truce.auth.service import get_actor
    from truce.zones.service import unite_zone

    t = get_app(db)
    with t.write() as conn:
        res = unite_zone(t, conn, get_actor(conn, as_user), zone, as_of, with_zone, adm, reason)
    console.print(f"zone {zone} version {res['version']} from {res['valid_from']}: {res['reason']}")


@zone_app.command("split")
@handle_errors
def zone_split(
    zone: Annotated[str, typer.Argument(help="Zone id")],
    as_of: Annotated[str, typer.Option("--as-of", help="First day without the area")],
    adm: Annotated[list[str], typer.Option("--adm", help="P-code of an admin area to split off (repeatable)")],
    new_zone: Annotated[str | None, typer.Option("--new-zone", help="Make the removed part a zone of its own")] = None,
    name: Annotated[str | None, typer.Option(help="Name of the new zone")] = None,
    reason: Annotated[str | None, typer.Option(help="Why")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Split admin areas off a zone from a day (the reverse of unite); optionally make them a new zone.

    Example: truce zone split Z1 --adm SY070305 --as-of 2017-10-01 --new-zone Z1b
    """
    from truce.auth.service import get_actor
    from truce.zones.service import split_zone

    t = get_app(db)
    with t.write() as conn:
        res = split_zone(t, conn, get_actor(conn, as_user), zone, as_of, adm, new_zone, name, reason)
    console.print(
        f"zone {zone} version {res['version']} from {res['valid_from']}: {res['reason']}"
        + (f"; new zone {new_zone}" if new_zone else "")
    )


@zone_app.command("history")
@handle_errors
def zone_history_cmd(
    zone: Annotated[str | None, typer.Argument(help="Zone id (default: every zone)")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show every version of a zone (or of all zones): period, area, sub-districts, reason, incidents.

    Example: truce zone history Z4
    """
    from truce.zones.service import zone_history

    t = get_app(db)
    with t.read() as conn:
        rows = zone_history(conn, zone)
    if json_:
        return print_json(rows)
    _table(
        [{**r, "adm": len(r["adm_pcodes"] or []) or ""} for r in rows],
        ["zone_id", "version", "valid_from", "valid_to", "area_sqkm", "adm", "incidents", "reason", "ledger_seq"],
    )
