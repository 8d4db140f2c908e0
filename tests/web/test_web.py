"""The web app without a browser: signing in (argon2, cookies, rate limit), CSRF on forms, the pages,
languages (right to left included), and the CLI for passwords and tokens."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from tests.web.conftest import client_for, csrf_of, sign_in
from typer.testing import CliRunner

from truce.app import Truce
from truce.auth import credentials
from truce.auth.models import users
from truce.cli import app as cli
from truce.ledger.chain import SYSTEM
from truce.ledger.models import ledger_entries
from truce.ledger.service import verify

PASSWORD = "a long enough passphrase 42"
runner = CliRunner()


def set_pw(url, name, pw=PASSWORD):
    app = Truce(url)
    with app.write() as conn:
        credentials.set_password(app, conn, SYSTEM, name, pw)


def login(c, name, pw=PASSWORD, nxt="/"):
    page = c.get("/login")
    return c.post("/login", data={"name": name, "password": pw, "csrf": csrf_of(page.text), "next": nxt},
                  follow_redirects=False)


def test_sign_in_with_argon2_password_and_safe_cookies(world):
    url, _ = world
    set_pw(url, "rus_verifier")
    app = Truce(url)
    with app.read() as conn:
        h = conn.execute(select(users.c.password_hash).where(users.c.name == "rus_verifier")).scalar_one()
        payloads = "".join(p for (p,) in conn.execute(select(ledger_entries.c.payload)))
    assert h.startswith("$argon2id$") and PASSWORD not in payloads and h in payloads
    c = client_for(url)
    r = login(c, "rus_verifier", nxt="/queue")
    assert r.status_code == 303 and r.headers["location"] == "/queue"
    cookie = r.headers["set-cookie"]
    assert "truce_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here
    assert c.get("/queue").status_code == 200
    assert "rus_verifier" in c.get("/").text
    # signing out ends the session
    r = c.post("/logout", data={"csrf": csrf_of(c.get("/").text)}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/queue", follow_redirects=False).status_code == 303
    # an open redirect is not followed
    c2 = client_for(url)
    assert login(c2, "rus_verifier", nxt="//evil.example/").headers["location"] == "/"
    assert verify(app).ok  # sessions and sign-in attempts are not projections of the ledger


def test_secure_cookie_behind_tls_and_no_default_passwords(world, monkeypatch):
    url, _ = world
    c = client_for(url)
    # demo users have no password until one is set: nobody can sign in
    assert login(c, "admin", pw="").status_code == 401
    set_pw(url, "admin")
    monkeypatch.setenv("TRUCE_TRUST_PROXY", "1")
    page = c.get("/login", headers={"X-Forwarded-Proto": "https"})
    r = c.post("/login", data={"name": "admin", "password": PASSWORD, "csrf": csrf_of(page.text)},
               headers={"X-Forwarded-Proto": "https"}, follow_redirects=False)
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
    assert "max-age" in r.headers.get("strict-transport-security", "")


def test_failed_sign_ins_are_rate_limited(world):
    url, _ = world
    set_pw(url, "tur_verifier")
    c = client_for(url)
    for _ in range(credentials.MAX_FAILURES):
        assert login(c, "tur_verifier", pw="wrong password!!").status_code == 401
    r = login(c, "tur_verifier")  # from this address, even the right password waits now
    assert r.status_code == 429 and "Too many" in r.text and int(r.headers["Retry-After"]) >= 1
    assert login(client_for(url), "tur_monitor", pw="nope").status_code == 401  # others are not locked out


def test_forms_need_the_sessions_csrf_token(world):
    url, w = world
    c = client_for(url)
    csrf = sign_in(c, url, "irn_verifier")
    form = {"finding": "disputed", "reason": "not_observed"}
    r = c.post(f"/incidents/{w['C']}/findings", data=form, follow_redirects=False)
    assert r.status_code == 403 and "csrf" in r.text
    r = c.post(f"/incidents/{w['C']}/findings", data={**form, "csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    r = c.post(f"/incidents/{w['C']}/findings", data={**form, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(r.headers["location"])
    assert "Your finding is recorded" in page.text and 'data-guarantor="IRN"' in page.text
    # the sign-in form has its own token: a forged sign-in is refused
    r = client_for(url).post("/login", data={"name": "x", "password": "y", "csrf": "z"}, follow_redirects=False)
    assert r.status_code == 403


def test_report_form_without_javascript_and_pages(world):
    url, w = world
    c = client_for(url)
    csrf = sign_in(c, url, "syr_liaison")
    page = c.get("/report")
    assert page.status_code == 200 and 'name="client_id"' in page.text and 'hx-get="/places"' in page.text
    cid = re.search(r'name="client_id" value="([^"]+)"', page.text).group(1)
    form = {"csrf": csrf, "client_id": cid, "occurred_at": "2017-10-01T09:15", "occurred_precision": "day",
            "place_name": "Saraqib", "violation_type": "shelling", "alleged_party": "HTS", "killed": "1"}
    r = c.post("/report", data=form, files={"evidence": ("photo.jpg", b"\xff\xd8 a photo", "image/jpeg")})
    assert r.status_code == 201 and cid in r.text
    again = c.post("/report", data=form, files={"evidence": ("photo.jpg", b"\xff\xd8 a photo", "image/jpeg")})
    assert again.status_code == 200 and "Already received" in again.text
    bad = c.post("/report", data={**form, "client_id": "", "violation_type": "tickling"},
                 headers={"Accept": "application/json"})
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "violation_type"
    opts = c.get("/places", params={"place_name": "Saraq"})
    assert "<option" in opts.text and "data-lat" in opts.text
    for path in ("/", "/incidents", f"/incidents/{w['A']}", "/parties", "/parties/FAYLAQ", "/zones", "/zones/Z1",
                 "/inbox", "/?zone=Z3&since=2017-09-01"):
        assert c.get(path).status_code == 200, path
    assert "Incidents in Z3" in c.get("/?zone=Z3").text
    inbox = c.get("/inbox").text
    assert "attribution" in inbox and f"/incidents/{w['A']}" in inbox
    assert 'id="reply-form"' in c.get(f"/incidents/{w['A']}").text
    # the liaison has no queue and no board
    assert c.get("/queue").status_code == 403 and c.get("/board").status_code == 403


def test_pages_in_arabic_are_right_to_left(world):
    url, w = world
    c = client_for(url)
    for path in ("/", "/incidents", f"/incidents/{w['A']}", "/parties", "/zones", "/login"):
        r = c.get(path, params={"lang": "ar"})
        assert r.status_code == 200
        assert re.search(r'<html lang="ar" dir="rtl">', r.text), path
    # the choice sticks (cookie), and Accept-Language works too
    assert '<html lang="ar" dir="rtl">' in c.get("/parties").text
    c2 = client_for(url)
    assert '<html lang="fa" dir="rtl">' in c2.get("/", headers={"Accept-Language": "fa-IR,fa;q=0.9"}).text
    assert '<html lang="ru" dir="ltr">' in c2.get("/", params={"lang": "ru"}).text
    assert '<html lang="en" dir="ltr">' in client_for(url).get("/").text
    css = Path("src/truce/web/static/css/truce.css").read_text()
    assert not re.search(r"(margin|padding)-(left|right)|text-align:\s*(left|right)|float:", css)


def test_templates_have_no_inline_scripts_or_handlers():
    root = Path("src/truce/web/templates")
    for t in root.glob("*.html"):
        text = t.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"inline script in {t.name}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler in {t.name}"
        assert "hx-on" not in text and "javascript:" not in text and "style=" not in text, t.name
        assert "<style" not in text, t.name
    for lib in ("leaflet", "leaflet.markercluster", "htmx"):
        assert (Path("src/truce/web/static/vendor") / lib / "LICENSE").is_file()


def test_every_template_string_is_in_the_message_catalogue(tmp_path):
    """messages.pot is extracted from the templates and views (pybabel); a string missing from it fails."""
    pot = Path("src/truce/web/locale/messages.pot")
    assert pot.is_file()
    out = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "src/truce/web/babel.cfg",
                    "-o", str(out), "-k", "_", "src/truce/web"], check=True, capture_output=True)
    ids = set(re.findall(r'^msgid "(.+)"$', out.read_text(), re.M))
    have = set(re.findall(r'^msgid "(.+)"$', pot.read_text(), re.M))
    assert len(ids) > 150 and not ids - have, f"run scripts/extract_messages.sh: missing {sorted(ids - have)[:5]}"


def test_cli_passwords_and_tokens(world, tmp_path):
    url, _ = world
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSWORD + "\n")
    r = runner.invoke(cli, ["user", "passwd", "obs_monitor", "--password-file", str(pw), "--db", url])
    assert r.exit_code == 0, r.output
    weak = tmp_path / "weak.txt"
    weak.write_text("short\n")
    r = runner.invoke(cli, ["user", "passwd", "obs_monitor", "--password-file", str(weak), "--db", url])
    assert r.exit_code == 2 and "password" in r.output
    r = runner.invoke(cli, ["user", "passwd", "admin", "--password-file", str(pw), "--as", "obs_monitor",
                            "--db", url])
    assert r.exit_code == 2 and "may not" in r.output
    r = runner.invoke(cli, ["token", "create", "--user", "obs_monitor", "--days", "5", "--db", url])
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    assert token.startswith("truce_")
    c = client_for(url)
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["name"] == "obs_monitor"
    listed = runner.invoke(cli, ["token", "list", "--user", "obs_monitor", "--json", "--db", url])
    assert token not in listed.output and '"state": "active"' in listed.output
    tid = [line for line in listed.output.splitlines() if '"id"' in line][-1].split(":")[1].strip(" ,")
    assert runner.invoke(cli, ["token", "revoke", tid, "--db", url]).exit_code == 0
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert login(client_for(url), "obs_monitor").status_code == 303
    for cmd in (["user", "passwd", "--help"], ["token", "create", "--help"], ["token", "list", "--help"],
                ["token", "revoke", "--help"], ["serve", "--help"]):
        out = runner.invoke(cli, cmd).output
        assert "Example:" in out, cmd
