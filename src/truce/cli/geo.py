"""Boundaries and places of any country: `truce geo import`, `truce geo import-places`, `truce geo countries`."""

from __future__ import annotations

from typing import Annotated

import typer

from truce.cli.common import AsOpt, DbOpt, JsonOpt, actor_for, console, get_app, handle_errors, print_json, table
from truce.errors import ValidationFailed
from truce.geo import service as geo
from truce.geo.places import import_places
from truce.geo.queries import list_countries

geo_app = typer.Typer(
    help="Boundaries and places of any country (OCHA COD-AB, GeoNames).\n\n"
    "Example: truce geo import yem_adm1.geojson yem_adm2.geojson",
    no_args_is_help=True,
)


def _name_fields(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        prop, sep, lang = v.partition("=")
        if not sep or not prop.strip() or not lang.strip():
            raise ValidationFailed(f"--name-field: {v!r} is not PROPERTY=LANGUAGE (e.g. adm1_name1=ar)",
                                   field="name_field")
        out[prop.strip()] = lang.strip().lower()
    return out


@geo_app.command("import")
@handle_errors
def geo_import(
    files: Annotated[list[str], typer.Argument(help="COD-AB layers: .geojson, .shp (with .dbf beside) or .zip")],
    country: Annotated[
        str | None, typer.Option(help="ISO 3166-1 code (default: from ADM0_PCODE or the P-codes)")
    ] = None,
    level: Annotated[
        int | None, typer.Option(help="The level of a single file (checked against its deepest P-code property)")
    ] = None,
    name_field: Annotated[
        list[str] | None,
        typer.Option("--name-field", help="PROPERTY=LANGUAGE for a names column the patterns miss (repeatable)"),
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of a bare admN_name column")] = "en",
    source: Annotated[str | None, typer.Option(help="Where the boundaries come from (kept in the ledger)")] = None,
    as_: AsOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Load a country's administrative boundaries, one layer (level) per file, any number of levels.

    P-codes and names in several languages are found by property-name patterns (ADM1_PCODE, ADM1_EN,
    ADM1_AR, adm1_name, adm1_name1…). Invalid polygons are repaired and listed. Every file is checked
    before anything is written; one ledger entry per level, the file kept in the blob store.

    Example: truce geo import yem_adm1.geojson yem_adm2.geojson yem_adm3.geojson --country YE
    """
    t = get_app(db)
    actor = actor_for(t, as_)
    fields = _name_fields(name_field)
    with t.write() as conn:
        res = geo.import_boundaries(
            t, conn, actor, files, country=country, level=level, name_fields=fields, lang=lang, source=source
        )
    if json_:
        return print_json([{"level": r.level, "count": r.count, "repairs": r.repairs} for r in res])
    for r in res:
        console.print(
            f"loaded ADM{r.level}: {r.count} areas"
            + (f", {len(r.repairs)} invalid polygons repaired" if r.repairs else ""),
            highlight=False,
        )
        for rep in r.repairs:
            console.print(f"  repaired {rep['pcode']} {rep['name']}: {rep['reason']}", highlight=False)


@geo_app.command("import-places")
@handle_errors
def geo_import_places(
    file: Annotated[
        str, typer.Argument(help="A GeoNames country file (YE.txt) or a CSV with name, latitude, longitude")
    ],
    country: Annotated[
        str | None, typer.Option(help="ISO 3166-1 code (default: the file's country code column)")
    ] = None,
    classes: Annotated[
        str, typer.Option(help="GeoNames feature classes to keep (P populated places, S spots…)")
    ] = "P",
    as_: AsOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Load the places of a GeoNames file into the gazetteer, each placed in the loaded admin areas.

    A report's place name then resolves to these places (alternate names included), with their P-codes.
    Load the country's boundaries first (`truce geo import`).

    Example: truce geo import-places YE.txt --country YE
    """
    t = get_app(db)
    actor = actor_for(t, as_)
    with t.write() as conn:
        res = import_places(t, conn, actor, file, country=country, classes=classes)
    if json_:
        return print_json(res.__dict__)
    console.print(
        f"loaded {res.loaded} places of {res.country} ({res.read} read, {res.outside} outside its boundaries, "
        f"{res.skipped} skipped)",
        highlight=False,
    )


@geo_app.command("countries")
@handle_errors
def geo_countries(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """List the countries whose boundaries are loaded, with their levels, extent and places.

    Example: truce geo countries --json
    """
    t = get_app(db)
    with t.read() as conn:
        rows = list_countries(conn)
    if json_:
        return print_json(rows)
    table(rows, ["country", "levels", "areas", "places", "bounds"])
