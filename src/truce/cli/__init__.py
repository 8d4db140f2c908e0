"""The `truce` command line: one module per domain (`truce.cli.<domain>`), one thin command per use case.

A command loads only its own module: the root group below knows each command's name, module and
one-line help, and imports the module when the command runs (`truce party list` never loads the
importers, the bulletin renderer or the web app). The one-line help here is checked against each
module's own help by a test, so `truce --help` cannot drift from the commands.
"""

from __future__ import annotations

import contextlib
import gettext
import importlib
import os
import re
import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from truce import i18n
from truce.i18n import N_, _

# name on the command line -> (module under truce.cli, the Typer object in it, one-line help).
# A Typer object named `commands` holds top-level commands (`truce init`), any other one a group.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": (
        "setup",
        "commands",
        N_("Create the database (or bring it to the newest schema) and load the OCHA admin boundaries."),
    ),
    "demo": (
        "setup",
        "commands",
        N_(
            "Build the demo: database, Astana 2017 scenario, 2017 UCDP events, demo users, simulated "
            "guarantor-office reports (marked simulated), then serve the web app."
        ),
    ),
    "serve": ("setup", "commands", N_("Serve the web app and the API with uvicorn.")),
    "scenario": ("setup", "scenario_app", N_("Scenario files.")),
    "user": ("auth", "user_app", N_("Users.")),
    "org": ("auth", "org_app", N_("Organisations.")),
    "token": ("auth", "token_app", N_("API bearer tokens (stored hashed, revocable, with an expiry).")),
    "agreement": ("agreements", "agreement_app", N_("Agreement versions.")),
    "party": ("parties", "party_app", N_("Parties to the truce and others it names.")),
    "accession": ("measures", "accession_app", N_("Accession to the truce.")),
    "eligibility": (
        "eligibility",
        "commands",
        N_('Evaluate the published eligibility criteria ("not deemed terrorist") for a party.'),
    ),
    "position": ("eligibility", "position_app", N_("Position reports of parties' forces.")),
    "zone": ("zones", "zone_app", N_("Zones of the regime.")),
    "adm": ("zones", "admin_app", N_("Administrative areas (OCHA P-codes).")),
    "geo": ("geo", "geo_app", N_("Boundaries and places of any country (OCHA COD-AB, GeoNames).")),
    "report": ("reports", "report_app", N_("Reports of alleged violations.")),
    "incident": ("incidents", "incident_app", N_("Incidents.")),
    "suggestion": (
        "incidents",
        "suggestion_app",
        N_("Suggested links between reports and incidents, for a verifier to accept or reject."),
    ),
    "finding": ("incidents", "finding_app", N_("Guarantors' findings on incidents.")),
    "import": ("ingest", "import_app", N_("Import data from other systems.")),
    "export": ("exports", "export_app", N_("Export data.")),
    "ledger": ("ledger", "ledger_app", N_("The hash-chained ledger.")),
    "measures": ("measures", "measures_app", N_("Evaluate the measures ladder.")),
    "measure": ("measures", "measure_app", N_("Measures against violators.")),
    "investigation": (
        "investigations",
        "investigation_app",
        N_("Investigations of incidents, with a clock that denials of access pause."),
    ),
    "notification": ("investigations", "notification_app", N_("Notifications addressed to your organisation.")),
    "reply": ("investigations", "reply_app", N_("The right of reply: a party answers an attribution.")),
    "bulletin": (
        "bulletins",
        "bulletin_app",
        N_("The daily bulletin: violations of a day by zone, governorate, party and type."),
    ),
    "key": ("bulletins", "key_app", N_("Ed25519 keys with which the guarantor offices sign bulletins.")),
    "mirror": (
        "mirror",
        "mirror_app",
        N_("A guarantor's own verified copy: follow another node over HTTP, check, replay, co-sign, raise alarms."),
    ),
    "backup": (
        "mirror",
        "commands",
        N_(
            "Back up the deployment while it runs: the ledger read in one consistent snapshot, every file, and its "
            "latest signed checkpoint, in one portable archive (both engines; restored by replay into either)."
        ),
    ),
    "restore": (
        "mirror",
        "commands",
        N_(
            "Restore a backup into an empty database by replay, then check it against the checkpoint in the backup "
            "and the latest checkpoints of the nodes given: exit 3 if it is behind one, 1 if it diverges."
        ),
    ),
    "intake": (
        "intake",
        "intake_app",
        N_("News articles and field messages read into candidate reports, for a person to review."),
    ),
}


def load_command(name: str) -> Any:
    """The click command of `truce NAME`, importing only its module."""
    spec = COMMANDS.get(name)
    if spec is None:
        return None
    module, attr, _ = spec
    obj = getattr(importlib.import_module(f"truce.cli.{module}"), attr)
    group = typer.main.get_group(obj)  # a group even when it holds one command (`truce org list`)
    _hook_plain_checks(group)
    if attr == "commands":
        cmd = group.commands.get(name)
        if cmd is not None:
            _translate_when_shown(cmd)
        return cmd
    group.name = name
    _translate_when_shown(group)
    return group


# --- help in the reader's language -----------------------------------------------------------------
# Typer stores each help text (docstring or help=) when the commands are declared, in English; its first
# paragraph is a catalogue message (extracted by `truce.help_extract`). They are translated when the help
# is shown, so that the language of `--lang` or TRUCE_LANG (known only once the root group has parsed its
# options) applies.


@contextlib.contextmanager
def _help_in_language(cmd: Any, ctx: Any) -> Iterator[None]:
    """While `cmd`'s help is formatted: its help, its options' and arguments' help (--help's too) and its
    subcommands' (listed with their first line) in the language of the moment; restored afterwards."""
    saved: list[tuple[Any, str | None]] = []
    objs = [cmd, *cmd.params, cmd.get_help_option(ctx), *(getattr(cmd, "commands", None) or {}).values()]
    for obj in objs:
        text = getattr(obj, "help", None) if obj is not None else None
        if text:
            saved.append((obj, text))
            obj.help = i18n.translated_help(text)
    try:
        yield
    finally:
        for obj, text in saved:
            obj.help = text


def _translate_when_shown(cmd: Any) -> None:
    """Hook `cmd` and every command under it so that their help is translated when it is formatted."""
    original = cmd.format_help

    def format_help(ctx: Any, formatter: Any) -> None:
        with _help_in_language(cmd, ctx):
            original(ctx, formatter)

    def format_usage(ctx: Any, formatter: Any) -> None:  # Typer's copy of click writes "Usage:" untranslated
        formatter.write_usage(ctx.command_path, " ".join(cmd.collect_usage_pieces(ctx)), prefix=_("Usage:") + " ")

    cmd.format_help = format_help
    cmd.format_usage = format_usage
    for sub in (getattr(cmd, "commands", None) or {}).values():
        _translate_when_shown(sub)


class _Plain:
    """The check of an option left unset, or whose value is plain text, a flag or a whole number.

    Typer 0.29 checks every option's value with a pydantic TypeAdapter that it builds when the option is
    first parsed, even an unset one. An unset option stays None (an empty tuple when it takes several
    values); for text and flags the check returns the value it was given, and for a number written in digits
    within the option's `min` and `max` it returns `int(value)`. Yet loading pydantic's adapters and building
    them costs about 0.1 s of every command's start (issue 11). Typer calls `coerce(value, param, ctx)` on the
    object it keeps in the parameter's `_runtime_param` and builds its own only when that is None: any other
    value (a path, a date, "1e3", " 7", a number out of range, a wrong type) is handed to the one Typer
    builds, so its conversions and errors are Typer's own.
    """

    def __init__(self, kind: type | None) -> None:
        self.kind = kind  # None: any type, checked by Typer once set

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if param.multiple or param.nargs == -1 else None
        if self.kind is not None and type(value) is self.kind:
            return value
        if self.kind is int and type(value) is str and _DIGITS.fullmatch(value):
            number, info = int(value), param.type_descriptor.parameter_info
            if (info.min is None or number >= info.min) and (info.max is None or number <= info.max):
                return number  # out of range: Typer's check says so (or clamps, where the option asks it to)
        param._runtime_param = None  # Typer's own check, built now
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)


_DIGITS = re.compile(r"-?[0-9]{1,18}")
_PLAIN = {str: _Plain(str), bool: _Plain(bool), int: _Plain(int)}
_UNSET = _Plain(None)


def _plain_checks(params: list[Any]) -> list[Any]:
    """Give each of `params` the check above: by its value for a single-valued `str`, `bool` or `int` (with no
    choices and no path), only while unset for any other."""
    for param in params:
        desc: Any = getattr(param, "type_descriptor", None)
        if desc is None or getattr(param, "_runtime_param", "") is not None:
            continue
        plain = desc.annotation in _PLAIN and desc.file_annotation is None and param.nargs == 1 \
            and not (desc.is_choice or desc.is_path or param.multiple)
        param._runtime_param = _PLAIN[desc.annotation] if plain else _UNSET
    return params


def _hook_plain_checks(cmd: Any) -> None:
    """Hook `cmd` and every command under it so that the parameters click processes (its own, the
    completion options Typer adds, --help) get the plain check when they are parsed."""
    original = cmd.get_params
    cmd.get_params = lambda ctx: _plain_checks(original(ctx))
    for sub in (getattr(cmd, "commands", None) or {}).values():
        _hook_plain_checks(sub)


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
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_checks(super().get_params(ctx))

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(set(COMMANDS) | set(super().list_commands(ctx)))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return super().get_command(ctx, cmd_name) or load_command(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, _(COMMANDS[name][2])) for name in self.list_commands(ctx) if name in COMMANDS]
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with _help_in_language(self, ctx):
            super().format_help(ctx, formatter)


app = typer.Typer(
    cls=LazyGroup,
    help="Truce: ceasefire monitoring, verification and enforcement.\n\n"
    "Example: truce demo   (builds truce.db with the Astana 2017 scenario and serves it)",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# click's own words (usage, headings, errors): click asks the process-wide gettext domain "messages",
# which `use_language` points at Truce's catalogue.
CLICK_MESSAGES = [
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Missing option"),
    N_("Missing argument"),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Truce: ceasefire monitoring, verification and enforcement."),
]

LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        envvar=i18n.ENV,
        help="Language of messages and help: en, ar, ru, tr or fa (default: $TRUCE_LANG, else en)",
    ),
]


def use_language(code: str | None) -> str:
    """Set the language of the CLI (Truce's messages and click's); unknown codes are refused clearly."""
    lang = i18n.normalize(code) if code else i18n.DEFAULT
    if lang is None:
        raise typer.BadParameter(
            f"{code!r} is not a language of Truce: choose one of {', '.join(i18n.LANGUAGES)}", param_hint="--lang"
        )
    i18n.set_language(lang)
    global _saved_language
    if lang != i18n.DEFAULT:
        if _saved_language is None:
            _saved_language = (os.environ.get("LANGUAGE"),)
        os.environ["LANGUAGE"] = lang  # click reads it; only this process (and its children) sees it
        gettext.bindtextdomain(i18n.DOMAIN, str(i18n.LOCALE_DIR))
        gettext.textdomain(i18n.DOMAIN)
    elif _saved_language is not None:  # back to English: the environment as it was
        (old,) = _saved_language
        if old is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = old
        _saved_language = None
    return lang


_saved_language: tuple[str | None] | None = None


@app.callback()
def _root(lang: LangOpt = None) -> None:
    """Truce: ceasefire monitoring, verification and enforcement.

    Example: truce demo   (builds truce.db with the Astana 2017 scenario and serves it)
    """
    use_language(lang)


def _lang_from_argv(argv: list[str]) -> str | None:
    """--lang read before click parses, so that `truce --lang ar --help` is already in Arabic."""
    for k, a in enumerate(argv):
        if a == "--lang" and k + 1 < len(argv):
            return argv[k + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
        if not a.startswith("-"):
            break
    return os.environ.get(i18n.ENV)


def main() -> Any:
    code = _lang_from_argv(sys.argv[1:])
    if i18n.normalize(code):
        use_language(code)
    return app()


if __name__ == "__main__":
    main()
