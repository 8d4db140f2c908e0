"""The optional second factor: TOTP (RFC 6238) checked against the RFC's test vectors; turned on for a
verifier, the sign-in needs the code of the moment as well as the password (both engines)."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from truce.app import Truce
from truce.auth import credentials as cr
from truce.auth import totp
from truce.cli import app as cli
from truce.ledger.chain import SYSTEM

# RFC 6238, Appendix B: (time, SHA1, SHA256, SHA512) with the seeds of the appendix, 8 digits.
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
SEEDS = {"sha1": b"12345678901234567890", "sha256": b"12345678901234567890123456789012",
         "sha512": b"1234567890123456789012345678901234567890123456789012345678901234"}


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    for algo, want in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert totp.totp(SEEDS[algo], at, digits=8, algorithm=algo) == want


def test_rfc4226_hotp_vectors() -> None:
    # RFC 4226, Appendix D: counters 0-9 of the secret "12345678901234567890".
    want = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
    assert [totp.hotp(SEEDS["sha1"], c) for c in range(10)] == want


def test_verify_window_and_uri() -> None:
    secret = totp.new_secret()
    key = totp.key_of(secret)
    now = 1_700_000_000.0
    assert totp.verify(secret, totp.totp(key, now), at=now)
    assert totp.verify(secret, totp.totp(key, now - 30), at=now)  # the period before: clock drift
    assert not totp.verify(secret, totp.totp(key, now - 90), at=now)
    assert not totp.verify(secret, None, at=now) and not totp.verify(secret, "12ab56", at=now)
    assert totp.uri(secret, "rus_verifier").startswith("otpauth://totp/Truce:rus_verifier?secret=" + secret)


def test_sign_in_needs_the_code_once_turned_on(astana_url: str) -> None:
    app = Truce(astana_url)
    pw = "correct horse battery staple"
    with app.write() as conn:
        cr.set_password(app, conn, SYSTEM, "rus_verifier", pw)
    runner = CliRunner()
    res = runner.invoke(cli, ["user", "totp", "rus_verifier", "--db", astana_url])
    assert res.exit_code == 0, res.output
    secret = res.output.splitlines()[1].strip()
    with pytest.raises(cr.NotAuthenticated):
        cr.authenticate(app, "rus_verifier", pw, "192.0.2.5")  # no code
    with pytest.raises(cr.NotAuthenticated):
        cr.authenticate(app, "rus_verifier", pw, "192.0.2.6", "000000" if totp.totp(
            totp.key_of(secret), time.time()) != "000000" else "111111")
    code = totp.totp(totp.key_of(secret), time.time())
    assert cr.authenticate(app, "rus_verifier", pw, "192.0.2.7", code).name == "rus_verifier"
    # A monitor may not turn it on; the verifier may turn it off.
    assert runner.invoke(cli, ["user", "totp", "rus_monitor", "--db", astana_url]).exit_code == 2
    assert runner.invoke(cli, ["user", "totp", "rus_verifier", "--off", "--db", astana_url]).exit_code == 0
    assert cr.authenticate(app, "rus_verifier", pw, "192.0.2.8").name == "rus_verifier"
