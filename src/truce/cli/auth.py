"""Users, organisations and API tokens: `truce user …`, `truce org …`, `truce token …`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from truce import times
from truce.auth import credentials, totp
from truce.auth import service as auth
from truce.auth.models import users
from truce.auth.service import get_actor
from truce.cli.common import (
    AsOpt,
    DbOpt,
    JsonOpt,
    RequestIdOpt,
    act,
    console,
    err,
    get_app,
    handle_errors,
    print_json,
    table,
)
from truce.errors import NotFound, ValidationFailed

user_app = typer.Typer(
    help="Users.\n\nExample: truce user add rus_monitor --org RUS_OFFICE --role monitor", no_args_is_help=True
)


org_app = typer.Typer(help="Organisations.\n\nExample: truce org list", no_args_is_help=True)


token_app = typer.Typer(
    help="API bearer tokens (stored hashed, revocable, with an expiry).\n\n"
    "Example: truce token create --user rus_monitor",
    no_args_is_help=True,
)


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

    t = get_app(db)
    with t.read() as conn:
        rows = auth.list_users(conn)
    if json_:
        return print_json(rows)
    table(rows, ["name", "org_id", "role", "active"])


@org_app.command("add")
@handle_errors
def org_add(
    org_id: Annotated[str, typer.Argument(help="Organisation id (letters, digits, _ . -)")],
    name: Annotated[str, typer.Option("--name", help="Its name")],
    kind: Annotated[
        str, typer.Option("--kind", help="guarantor_office, party_liaison, joint_group, admin or observer")
    ],
    party: Annotated[
        str | None, typer.Option("--party", help="The party it belongs to (a guarantor office, a liaison)")
    ] = None,
    as_: AsOpt = None,
    db: DbOpt = None,
) -> None:
    """Add an organisation: a guarantor's office, a party's liaison office, an observer.

    Example: truce org add UNMHA_OFFICE --name "UNMHA: monitoring office" --kind guarantor_office --party UNMHA
    """

    t = get_app(db)
    with t.write() as conn:
        actor = get_actor(conn, as_)
        auth.add_org(t, conn, actor, org_id, name, kind, party)
    console.print(f"organisation {org_id} added: {kind}" + (f" of {party}" if party else ""), highlight=False)


@org_app.command("list")
@handle_errors
def org_list(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """List organisations (guarantor offices, liaisons, the joint group, admin).

    Example: truce org list
    """

    t = get_app(db)
    with t.read() as conn:
        rows = auth.list_orgs(conn)
    if json_:
        return print_json(rows)
    table(rows, ["id", "kind", "party_id", "name"])


def _read_password(path: Path | None) -> str:
    if path is not None:
        try:
            text = path.read_text("utf-8")
        except OSError as e:
            raise ValidationFailed(f"password-file: cannot read {path} ({e.strerror})", field="password-file") from e
        except UnicodeDecodeError as e:
            why = f"password-file: {path} is not UTF-8 text (byte {e.start})"
            raise ValidationFailed(why, field="password-file") from e
        return text.rstrip("\r\n")
    first = typer.prompt("New password", hide_input=True)
    second = typer.prompt("Again", hide_input=True)
    if first != second:
        raise ValidationFailed("password: the two entries differ", field="password")
    return str(first)


@user_app.command("passwd")
@handle_errors
def user_passwd(
    name: Annotated[str, typer.Argument(help="User name")],
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="Read the password from this file (first line)")
    ] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Set a user's web sign-in password (prompted twice, or read from a file). The ledger keeps only its
    argon2 hash; the user's open sessions end.

    Example: truce user passwd rus_monitor --password-file pw.txt
    """

    password = _read_password(password_file)
    t = get_app(db)
    with t.write() as conn:
        actor = get_actor(conn, as_user)
        credentials.set_password(t, conn, actor, name, password)
    console.print(f"password of {name} set")


@user_app.command("totp")
@handle_errors
def user_totp(
    name: Annotated[str, typer.Argument(help="User name (a verifier or an admin)")],
    off: Annotated[bool, typer.Option("--off", help="Turn the second factor off")] = False,
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Turn on (or off) the second factor of a verifier's or an admin's web sign-in: a time-based one-time code
    (RFC 6238) from an authenticator app. Prints the secret and the otpauth:// URI to enter in the app (once;
    a new secret each time). The sign-in form then asks for the 6-digit code with the password.

    Example: truce user totp rus_verifier
    """
    t = get_app(db)
    with t.write() as conn:
        actor = get_actor(conn, as_user)
        credentials.self_or_admin(actor, name, "turn the second factor on or off")
        role = conn.execute(select(users.c.role).where(users.c.name == name)).scalar()
        if role is None:
            raise NotFound(f"user: no user {name}", field="user")
        if off:
            totp.disable(conn, name)
            secret = None
        else:
            secret = totp.enable(conn, name, role, times.real_now())
    if secret is None:
        console.print(f"second factor of {name} off")
        return
    console.print(f"second factor of {name} on: enter this secret in an authenticator app (shown once)")
    print(secret)
    print(totp.uri(secret, name))


@token_app.command("create")
@handle_errors
def token_create(
    user: Annotated[str, typer.Option("--user", help="Whose token")],
    days: Annotated[int, typer.Option("--days", help="Days until it expires (1-366)")] = 90,
    label: Annotated[str | None, typer.Option("--label", help="What it is for")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Create an API token for a user and print it once (only its sha256 is kept). Send it as
    `Authorization: Bearer TOKEN`.

    Example: truce token create --user rus_monitor --days 30
    """

    res = act(
        db, as_user, request_id, "token create", locals(),
        lambda t, conn, actor: credentials.create_token(t, conn, actor, user, days, label),
    )
    if json_:
        return print_json(res)
    console.print(f"token {res['id']} for {user}, expires {res['expires_at']} (shown once, keep it safe):")
    print(res["token"])


@token_app.command("list")
@handle_errors
def token_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List API tokens (never the tokens themselves): id, user, created, expiry, state.

    Example: truce token list --user rus_monitor --json
    """

    t = get_app(db)
    with t.read() as conn:
        actor = get_actor(conn, as_user)
        rows = credentials.list_tokens(conn, actor, user)
    if json_:
        return print_json(rows)
    table(rows, ["id", "user_name", "label", "created_at", "expires_at", "state"])


@token_app.command("revoke")
@handle_errors
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="Token id (truce token list)")],
    db: DbOpt = None,
    as_user: AsOpt = None,
    request_id: RequestIdOpt = None,
) -> None:
    """Revoke an API token: it stops working at once.

    Example: truce token revoke 3
    """

    res = act(
        db, as_user, request_id, "token revoke", locals(),
        lambda t, conn, actor: credentials.revoke_token(t, conn, actor, token_id),
    )
    if res.get("already"):
        err.print(f"token {token_id} was revoked already ({res['revoked_at']})")
    else:
        console.print(f"token {token_id} revoked")
