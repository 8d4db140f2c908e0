"""Reports of alleged violations: `truce report …`."""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from truce import i18n
from truce.attachments import EvidenceFile
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
from truce.geo.queries import deepest_levels
from truce.i18n import N_, _, vocab
from truce.reports.fields import INPUT_FIELDS, InputField
from truce.reports.models import CASUALTY_FIELDS
from truce.reports.queries import get_report

report_app = typer.Typer(help="Reports of alleged violations.\n\nExample: truce report show UUID", no_args_is_help=True)


# `report submit`'s flags are made from the report's one field description (`reports.fields.INPUT_FIELDS`): each
# field with a flag becomes an option of its type (a list where it is repeatable), with its help, in that order,
# between `--file` and `--evidence`. Every other field is given with `-f` JSON.
FLAGS = tuple(f for f in INPUT_FIELDS if f.flag)
FileOpt = Annotated[str | None, typer.Option("--file", "-f", help="A JSON report document ('-' = stdin)")]
EvidenceOpt = Annotated[list[Path] | None, typer.Option("--evidence", help="Evidence file (repeatable)")]


def _flag(f: InputField) -> inspect.Parameter:
    kind = list[f.type] if f.repeatable else f.type  # type: ignore[name-defined]
    return inspect.Parameter(
        f.parameter,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[kind | None, typer.Option(f.flag, help=f.help)],
    )


def _submit_signature() -> inspect.Signature:
    def keyword(name: str, annotation: object, default: object = None) -> inspect.Parameter:
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)

    return inspect.Signature([
        keyword("file", FileOpt),
        *(_flag(f) for f in FLAGS),
        keyword("evidence", EvidenceOpt),
        keyword("db", DbOpt),
        keyword("as_user", AsOpt),
        keyword("json_", JsonOpt, False),
        keyword("request_id", RequestIdOpt),
    ])


def report_submit(
    *,
    file: str | None = None,
    evidence: list[Path] | None = None,
    db: str | None = None,
    as_user: str | None = None,
    json_: bool = False,
    request_id: str | None = None,
    **given: object,
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
    flags = {f.name: given[f.parameter] for f in FLAGS if given.get(f.parameter) not in (None, [])}
    cas = {k: flags.pop(k) for k in CASUALTY_FIELDS if k in flags}
    data.update(flags)
    if cas:
        data["casualties"] = {**data.get("casualties", {}), **cas}
    for k in ("occurred_at", "violation_type"):
        if k not in data:
            raise ValidationFailed(f"{k}: required (--{k.replace('_', '-').replace('violation-', '')})", field=k)
    from truce.reports.service import submit  # lazy: pydantic, shapely and numpy, only when a report is submitted

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


report_submit.__signature__ = _submit_signature()  # type: ignore[attr-defined]
report_app.command("submit")(handle_errors(report_submit))


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
    sim = " [" + _("simulated").upper() + "]" if r["simulated"] else ""
    console.print("[bold]" + _("report %(id)s", id=r["id"]) + f"[/]{sim}", highlight=False)
    english = i18n.current() == i18n.DEFAULT  # English: the fields and values as the JSON names them
    for k, word in REPORT_LABELS.items():
        if r.get(k) is not None:
            value = vocab(r[k], REPORT_VOCABULARIES[k]) if k in REPORT_VOCABULARIES else r[k]
            console.print(f"  {k if english else _(word)}: {value}", highlight=False)
    for e in r["evidence"]:
        console.print("  " + _("evidence: %(name)s (%(type)s, %(size)s bytes) sha256 %(sha)s", name=e["name"],
                               type=e["media_type"], size=e["size"], sha=e["sha256"]), highlight=False)


# `report show`: the fields it prints, as words of the catalogue, and the closed vocabularies among them
REPORT_LABELS = {
    "source_kind": N_("source kind"), "org_id": N_("organisation"), "submitted_by": N_("submitted by"),
    "received_at": N_("received at"), "occurred_at": N_("occurred at"), "occurred_precision": N_("time precision"),
    "violation_type": N_("violation type"), "alleged_party_id": N_("alleged party"),
    "alleged_party_text": N_("alleged party, as reported"), "place_name": N_("place"), "lat": N_("latitude"),
    "lon": N_("longitude"), "location_precision": N_("location precision"), "adm1_pcode": N_("governorate"),
    "adm2_pcode": N_("district"), "adm3_pcode": N_("sub-district"), "target": N_("target"), "killed": N_("killed"),
    "injured": N_("injured"), "visibility": N_("visibility"), "incident_id": N_("incident"),
    "narrative": N_("narrative"),
}
REPORT_VOCABULARIES = {"source_kind": "source_kind", "occurred_precision": "time_precision",
                       "violation_type": "violation_type", "location_precision": "location_precision",
                       "visibility": "visibility"}


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text("utf-8")
    except OSError as e:
        raise ValidationFailed(f"{path}: cannot read ({e.strerror})", field="file") from e
    except UnicodeDecodeError as e:
        raise ValidationFailed(f"{path}: not a JSON text file (not UTF-8 at byte {e.start})", field="file") from e
