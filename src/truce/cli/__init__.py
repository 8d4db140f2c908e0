"""The `truce` command line: one module per domain (`truce.cli.<domain>`), one thin command per use case.

A command loads only its own module: the root group below knows each command's name, module and
one-line help, and imports the module when the command runs (`truce party list` never loads the
importers, the bulletin renderer or the web app). The one-line help here is checked against each
module's own help by a test, so `truce --help` cannot drift from the commands.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

# name on the command line -> (module under truce.cli, the Typer object in it, one-line help).
# A Typer object named `commands` holds top-level commands (`truce init`), any other one a group.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": (
        "setup",
        "commands",
        "Create the database (or bring it to the newest schema) and load the OCHA admin boundaries.",
    ),
    "demo": (
        "setup",
        "commands",
        "Build the demo: database, Astana 2017 scenario, 2017 UCDP events, demo users, simulated "
        "guarantor-office reports (marked simulated), then serve the web app.",
    ),
    "serve": ("setup", "commands", "Serve the web app and the API with uvicorn."),
    "scenario": ("setup", "scenario_app", "Scenario files."),
    "user": ("auth", "user_app", "Users."),
    "org": ("auth", "org_app", "Organisations."),
    "token": ("auth", "token_app", "API bearer tokens (stored hashed, revocable, with an expiry)."),
    "agreement": ("agreements", "agreement_app", "Agreement versions."),
    "party": ("parties", "party_app", "Parties to the truce and others it names."),
    "accession": ("parties", "accession_app", "Accession to the truce."),
    "eligibility": (
        "parties",
        "commands",
        'Evaluate the published eligibility criteria ("not deemed terrorist") for a party.',
    ),
    "position": ("parties", "position_app", "Position reports of parties' forces."),
    "zone": ("zones", "zone_app", "Zones of the regime."),
    "adm": ("zones", "admin_app", "Administrative areas (OCHA P-codes)."),
    "geo": ("geo", "geo_app", "Boundaries and places of any country (OCHA COD-AB, GeoNames)."),
    "report": ("reports", "report_app", "Reports of alleged violations."),
    "incident": ("incidents", "incident_app", "Incidents."),
    "suggestion": (
        "incidents",
        "suggestion_app",
        "Suggested links between reports and incidents, for a verifier to accept or reject.",
    ),
    "finding": ("incidents", "finding_app", "Guarantors' findings on incidents."),
    "import": ("ingest", "import_app", "Import data from other systems."),
    "export": ("exports", "export_app", "Export data."),
    "ledger": ("ledger", "ledger_app", "The hash-chained ledger."),
    "measures": ("measures", "measures_app", "Evaluate the measures ladder."),
    "measure": ("measures", "measure_app", "Measures against violators."),
    "investigation": (
        "investigations",
        "investigation_app",
        "Investigations of incidents, with a clock that denials of access pause.",
    ),
    "notification": ("investigations", "notification_app", "Notifications addressed to your organisation."),
    "reply": ("investigations", "reply_app", "The right of reply: a party answers an attribution."),
    "bulletin": (
        "bulletins",
        "bulletin_app",
        "The daily bulletin: violations of a day by zone, governorate, party and type.",
    ),
    "key": ("bulletins", "key_app", "Ed25519 keys with which the guarantor offices sign bulletins."),
}


def load_command(name: str) -> Any:
    """The click command of `truce NAME`, importing only its module."""
    spec = COMMANDS.get(name)
    if spec is None:
        return None
    module, attr, _ = spec
    obj = getattr(importlib.import_module(f"truce.cli.{module}"), attr)
    group = typer.main.get_group(obj)  # a group even when it holds one command (`truce org list`)
    if attr == "commands":
        return group.commands.get(name)
    group.name = name
    return group


def all_commands() -> dict[str, Any]:
    """Every command and group by its path ("zone unite"), loading every module: for tests and docs."""
    out: dict[str, Any] = {}

    def walk(cmd: Any, path: list[str]) -> None:
        out[" ".join(path)] = cmd
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, [*path, name])

    for name in COMMANDS:
        walk(load_command(name), [name])
    return out


class LazyGroup(TyperGroup):
    """The root group: lists every command from `COMMANDS`, loads one when it is invoked."""

    # Context and HelpFormatter are click's (typer's own copy of click since typer 0.22): typed Any here.
    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(set(COMMANDS) | set(super().list_commands(ctx)))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return super().get_command(ctx, cmd_name) or load_command(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx) if name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    cls=LazyGroup,
    help="Truce: ceasefire monitoring, verification and enforcement.\n\n"
    "Example: truce demo   (builds truce.db with the Astana 2017 scenario and serves it)",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root() -> None:
    """Truce: ceasefire monitoring, verification and enforcement.

    Example: truce demo   (builds truce.db with the Astana 2017 scenario and serves it)
    """


def main() -> Any:
    return app()


if __name__ == "__main__":
    main()
