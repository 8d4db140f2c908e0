"""Zones and administrative areas: `truce zone …`, `truce adm list`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from truce import i18n
from truce.cli.common import (
    EXIT_REFUSED,
    AsOpt,
    DbOpt,
    JsonOpt,
    RequestIdOpt,
    act,
    actor_for,
    console,
    err,
    get_app,
    handle_errors,
    print_json,
    table,
)
from truce.errors import ValidationFailed
from truce.geo.queries import MAX_LEVEL, check_level, list_admin_areas
from truce.i18n import _, localize, ngettext, vocab
from truce.zones import queries as zone_queries
from truce.zones.queries import zone_history

zone_app = typer.Typer(help="Zones of the regime.\n\nExample: truce zone list", no_args_is_help=True)


admin_app = typer.Typer(
    help="Administrative areas (OCHA P-codes).\n\nExample: truce adm list --level 1", no_args_is_help=True
)


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

    t = get_app(db)
    with t.read() as conn:
        rows = zone_queries.list_zones(conn, as_of)
        local = zone_queries.local_names(conn, i18n.current()) if i18n.current() != i18n.DEFAULT else {}
    if json_:
        return print_json(rows)
    rows = zone_queries.in_language(rows, local)  # as the reader's press names them
    table(rows, ["id", "name", "kind", "version", "valid_from", "valid_to", "area_sqkm", "incidents", "approximate"])


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

    t = get_app(db)
    with t.read() as conn:
        z = zone_queries.show_zone(conn, zone, with_geometry=geometry)
    if json_:
        return print_json(z)
    name = z.get("names", {}).get(i18n.current(), z["name"])
    approx = " — " + _("approximate outline") if z["approximate"] else ""
    console.print(f"[bold]{z['id']}[/] {name} ({vocab(z['kind'], 'zone_kind')}){approx}", highlight=False)
    if z["note"]:
        console.print(f"  {z['note']}", highlight=False)
    for v in z["versions"]:
        line = _("v%(version)s: %(start)s → %(end)s, %(area)s km²", version=v["version"], start=v["valid_from"],
                 end=v["valid_to"] or vocab("open", "investigation_status"), area=v["area_sqkm"])
        if v["adm_pcodes"]:
            line += ", " + ngettext("from %(num)d sub-district", "from %(num)d sub-districts", len(v["adm_pcodes"]))
        if v["repair"]:
            line += f"; {localize(v['repair'])}"
        console.print(f"  {line}", highlight=False)
    console.print(_("incidents in this zone: %(n)s", n=z["incidents"]), highlight=False)


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

    from truce.zones.io import import_geojson  # lazy: shapely and numpy, only for the commands that change zones

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
        raise typer.Exit(EXIT_REFUSED)


def _property_map(items: list[str] | None) -> dict[str, str]:
    bad = [p for p in items or [] if "=" not in p]
    if bad:
        raise ValidationFailed(f"property: '{bad[0]}' is not FIELD=PROPERTY", field="property")
    return dict(p.split("=", 1) for p in items or [])


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
    request_id: RequestIdOpt = None,
) -> None:
    """Unite an area with a zone from a day: a new version of the zone whose geometry is the union.
    Incidents are re-assigned: each is in the zone as it stood on the incident's day.

    Example: truce zone unite Z4 --adm SY120100 --as-of 2017-07-09 --reason "reconciled settlement"
    """

    from truce.zones.service import unite_zone  # lazy: shapely and numpy, only for the commands that change zones

    res = act(
        db, as_user, request_id, "zone unite", locals(),
        lambda t, conn, actor: unite_zone(t, conn, actor, zone, as_of, with_zone, adm, reason),
    )
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
    request_id: RequestIdOpt = None,
) -> None:
    """Split admin areas off a zone from a day (the reverse of unite); optionally make them a new zone.

    Example: truce zone split Z1 --adm SY070305 --as-of 2017-10-01 --new-zone Z1b
    """

    from truce.zones.service import split_zone  # lazy: shapely and numpy, only for the commands that change zones

    res = act(
        db, as_user, request_id, "zone split", locals(),
        lambda t, conn, actor: split_zone(t, conn, actor, zone, as_of, adm, new_zone, name, reason),
    )
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

    t = get_app(db)
    with t.read() as conn:
        rows = zone_history(conn, zone)
    if json_:
        return print_json(rows)
    table(
        [{**r, "adm": len(r["adm_pcodes"] or []) or ""} for r in rows],
        ["zone_id", "version", "valid_from", "valid_to", "area_sqkm", "adm", "incidents", "reason", "ledger_seq"],
    )


@admin_app.command("list")
@handle_errors
def adm_list(
    level: Annotated[
        int | None,
        typer.Option(help="1 governorates, 2 districts, 3 sub-districts, 4… where the boundaries go deeper",
                     min=1, max=MAX_LEVEL),
    ] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List OCHA administrative areas with P-codes and English/Arabic names.

    Example: truce adm list --level 1
    """

    t = get_app(db)
    with t.read() as conn:
        check_level(conn, level)
        rows = list_admin_areas(conn, level)
    if json_:
        return print_json(rows)
    table(rows, ["pcode", "level", "name_en", "name_ar", "repaired"])
