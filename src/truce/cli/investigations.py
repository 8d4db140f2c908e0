"""Investigations, notifications and the right of reply: `truce investigation|notification|reply …`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from truce.attachments import EvidenceFile
from truce.cli.common import (
    AsOpt,
    DbOpt,
    JsonOpt,
    RequestIdOpt,
    act,
    actor_for,
    console,
    get_app,
    handle_errors,
    once,
    print_json,
    show,
    table,
)
from truce.incidents.service import require_incident
from truce.investigations.service import (
    close_investigation,
    deny_access,
    get_investigation,
    list_investigations,
    open_investigation,
    resume_investigation,
)
from truce.notifications.service import list_notifications
from truce.replies.service import file_reply, replies_for

investigation_app = typer.Typer(
    help="Investigations of incidents, with a clock that denials of access pause.\n\n"
    "Example: truce investigation open 42 --as rus_verifier",
    no_args_is_help=True,
)


notification_app = typer.Typer(
    help="Notifications addressed to your organisation.\n\nExample: truce notification list --as syr_liaison",
    no_args_is_help=True,
)


reply_app = typer.Typer(
    help="The right of reply: a party answers an attribution.\n\n"
    "Example: truce reply add 42 --as syr_liaison --text 'Our units were not in the area'",
    no_args_is_help=True,
)


AtOpt = Annotated[
    str | None, typer.Option("--at", help="When it happened (ISO 8601, UTC; default: now; never in the future)")
]


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return (f"{d}d " if d else "") + f"{h:02d}:{m:02d}:{s:02d}"


def _files(paths: list[Path] | None) -> list[Any]:

    return [EvidenceFile.from_path(p) for p in (paths or [])]


@investigation_app.command("open")
@handle_errors
def investigation_open(
    incident: Annotated[int, typer.Argument(help="The incident to investigate")],
    at: AtOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Open an investigation of an incident; its clock starts. One open investigation per incident.

    Example: truce investigation open 42 --as rus_verifier
    """

    res = act(
        db, as_user, request_id, "investigation open", locals(),
        lambda t, conn, actor: open_investigation(t, conn, actor, incident, at=at),
    )
    show(
        res, json_,
        lambda: (
            f"investigation {res['id']} of incident {incident} opened at {res['opened_at']} by {res['org_id']} "
            f"(ledger entry {res['ledger_seq']})"
        ),
    )


@investigation_app.command("deny")
@handle_errors
def investigation_deny(
    investigation: Annotated[int, typer.Argument(help="Investigation id")],
    party: Annotated[str, typer.Option("--party", help="The party that denied access (id, name or alias)")],
    site: Annotated[str, typer.Option("--site", help="The site access was denied to")],
    note: Annotated[str | None, typer.Option("--note", help="What happened")] = None,
    at: AtOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Record that a party denied access to a site: the clock pauses and the denial counts against
    that party.

    Example: truce investigation deny 3 --party SYR --site 'Khan Shaykhun checkpoint' --as rus_verifier
    """

    res = act(
        db, as_user, request_id, "investigation deny", locals(),
        lambda t, conn, actor: deny_access(t, conn, actor, investigation, party, site, at=at, note=note),
    )
    show(
        res, json_,
        lambda: (
            f"access to {res['site']} denied by {res['party_id']} at {res['denied_at']}: investigation {investigation} "
            f"paused (ledger entry {res['ledger_seq']})"
        ),
    )


@investigation_app.command("resume")
@handle_errors
def investigation_resume(
    investigation: Annotated[int, typer.Argument(help="Investigation id")],
    at: AtOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Access was restored: the investigation's clock runs again.

    Example: truce investigation resume 3 --as rus_verifier
    """

    res = act(
        db, as_user, request_id, "investigation resume", locals(),
        lambda t, conn, actor: resume_investigation(t, conn, actor, investigation, at=at),
    )
    show(
        res, json_,
        lambda: (
            f"investigation {investigation} resumed at {res['resumed_at']} (ledger entry {res['ledger_seq']})"
        ),
    )


@investigation_app.command("close")
@handle_errors
def investigation_close(
    investigation: Annotated[int, typer.Argument(help="Investigation id")],
    finding: Annotated[str, typer.Option("--finding", help="confirmed, disputed or unverifiable")],
    summary: Annotated[str, typer.Option("--summary", help="What the investigation found")],
    report: Annotated[list[Path] | None, typer.Option("--report", help="Report file (repeatable)")] = None,
    at: AtOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Close an investigation with a finding, a summary and its report files; the clock stops.

    Example: truce investigation close 3 --finding confirmed --summary 'Crater analysis' --report report.pdf
    --as rus_verifier
    """

    t = get_app(db)
    actor = actor_for(t, as_user)
    files = _files(report)
    res = once(
        t, as_user, request_id, "investigation close", locals(),
        lambda conn: close_investigation(t, conn, actor, investigation, finding, summary, files, at=at),
    )
    if json_:
        return print_json(res)
    console.print(
        f"investigation {investigation} closed at {res['closed_at']}: {res['finding']}, "
        f"{len(res['reports'])} report file(s) (ledger entry {res['ledger_seq']})",
        highlight=False,
    )


@investigation_app.command("show")
@handle_errors
def investigation_show(
    investigation: Annotated[int, typer.Argument(help="Investigation id")],
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show an investigation: its clock, denials of access, finding, report files and the replies
    filed on its incident (those your role may see).

    Example: truce investigation show 3 --json
    """

    t = get_app(db)
    actor = actor_for(t, as_user)
    with t.read() as conn:
        inv = get_investigation(conn, investigation, viewer=actor)
    if json_:
        return print_json(inv)
    c = inv["clock"]
    console.print(
        f"[bold]investigation {inv['id']}[/] of incident {inv['incident_id']}: {inv['status']}", highlight=False
    )
    console.print(f"  opened: {inv['opened_at']} by {inv['opened_by']} ({inv['org_id']})", highlight=False)
    if inv["closed_at"]:
        console.print(f"  closed: {inv['closed_at']} by {inv['closed_by']}", highlight=False)
    console.print(
        f"  clock: {_duration(c['elapsed_active_seconds'])} active, {_duration(c['paused_seconds'])} paused"
        f" (as of {c['as_of']}{', running' if c['running'] else ''})",
        highlight=False,
    )
    for d in inv["denials"]:
        console.print(
            f"  access denied by {d['party_id']} at {d['site']}: {d['denied_at']} → {d['resumed_at'] or 'not resumed'}",
            highlight=False,
        )
    if inv["finding"]:
        console.print(f"  finding: {inv['finding']}: {inv['summary']}", highlight=False)
    for f in inv["report_blobs"]:
        console.print(f"  report: {f['name']} ({f['media_type']}, {f['size']} bytes) sha256 {f['sha256']}")
    for r in inv["replies"]:
        console.print(f"  reply of {r['party_id']} ({r['filed_at']}): {r['text']}", highlight=False)


@investigation_app.command("list")
@handle_errors
def investigation_list(
    status: Annotated[str | None, typer.Option("--status", help="open, paused or closed")] = None,
    incident: Annotated[int | None, typer.Option("--incident", help="Only this incident's")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List investigations, newest first, with their clocks.

    Example: truce investigation list --status paused
    """

    t = get_app(db)
    with t.read() as conn:
        rows = list_investigations(conn, incident_id=incident, status=status)
    if json_:
        return print_json(rows)
    table(
        [
            {
                **r,
                "active": _duration(r["clock"]["elapsed_active_seconds"]),
                "paused": _duration(r["clock"]["paused_seconds"]),
                "denials": len(r["denials"]),
            }
            for r in rows
        ],
        ["id", "incident_id", "status", "org_id", "opened_at", "active", "paused", "denials", "finding"],
    )


@notification_app.command("list")
@handle_errors
def notification_list(
    incident: Annotated[int | None, typer.Option("--incident", help="Only this incident's")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (0 = all)")] = 0,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List the notifications of your organisation, newest first (an admin sees all).

    Example: truce notification list --as syr_liaison
    """

    t = get_app(db)
    actor = actor_for(t, as_user)
    with t.read() as conn:
        rows = list_notifications(conn, actor, incident_id=incident, limit=limit)
    if json_:
        return print_json(rows)
    if not rows:
        console.print(f"no notifications for {actor.org}", highlight=False)
        return
    for r in rows:
        due = f" reply due {r['reply_due']}" + (" (replied)" if r.get("replied") else "") if r["reply_due"] else ""
        console.print(f"[bold]{r['id']}[/] {r['created_at']} {r['org_id']} {r['kind']}{due}", highlight=False)
        console.print(f"  {r['message']}", highlight=False)


@reply_app.command("add")
@handle_errors
def reply_add(
    incident: Annotated[int, typer.Argument(help="The incident attributed to your party")],
    text: Annotated[str, typer.Option("--text", help="Your reply")],
    evidence: Annotated[
        list[Path] | None, typer.Option("--evidence", help="Counter-evidence file (repeatable)")
    ] = None,
    visibility: Annotated[
        str | None, typer.Option("--visibility", help="public, parties (default), guarantors or investigators")
    ] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """File your party's reply to the attribution of an incident, within the reply window.

    Example: truce reply add 42 --as syr_liaison --text 'No unit of ours was there' --evidence log.pdf
    """

    t = get_app(db)
    actor = actor_for(t, as_user)
    files = _files(evidence)
    res = once(
        t, as_user, request_id, "reply add", locals(),
        lambda conn: file_reply(t, conn, actor, incident, text, files, visibility=visibility),
    )
    if json_:
        return print_json(res)
    console.print(
        f"reply {res['id']} of {res['party_id']} on incident {incident} filed at {res['filed_at']}, "
        f"{len(res['evidence'])} evidence file(s) (ledger entry {res['ledger_seq']})",
        highlight=False,
    )


@reply_app.command("list")
@handle_errors
def reply_list(
    incident: Annotated[int, typer.Argument(help="Incident id")],
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List the replies filed on an incident (those your role may see).

    Example: truce reply list 42 --json
    """

    t = get_app(db)
    actor = actor_for(t, as_user)
    with t.read() as conn:
        require_incident(conn, incident)
        rows = replies_for(conn, incident, actor)
    if json_:
        return print_json(rows)
    if not rows:
        console.print(f"no replies on incident {incident}", highlight=False)
        return
    for r in rows:
        console.print(
            f"[bold]reply {r['id']}[/] of {r['party_id']} ({r['filed_by']}, {r['filed_at']}, {r['visibility']})",
            highlight=False,
        )
        console.print(f"  {r['text']}", highlight=False)
        for e in r["evidence"]:
            console.print(f"  evidence: {e['name']} ({e['media_type']}, {e['size']} bytes) sha256 {e['sha256']}")
