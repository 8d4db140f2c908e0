"""Sign-in throttling slows the pair (name, address) that fails, with growing delays, and never locks the
real user out: the right password from another address works at once, and an address failing for many names
slows nobody else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from truce.app import Truce
from truce.auth import credentials as cr
from truce.ledger.chain import SYSTEM

PW = "correct horse battery staple"


def test_delays_grow_and_are_capped() -> None:
    assert [cr.throttle_delay(n) for n in range(7)] == [0, 0, 0, 0, 15, 30, 60]
    assert cr.throttle_delay(50) == cr.MAX_DELAY_SECONDS


def test_throttle_per_name_and_address(astana_url: str) -> None:
    app = Truce(astana_url)
    with app.write() as conn:
        cr.set_password(app, conn, SYSTEM, "tur_verifier", PW)
        cr.set_password(app, conn, SYSTEM, "rus_verifier", PW)
    attacker, user = "203.0.113.9", "198.51.100.7"
    for _ in range(cr.FREE_FAILURES):  # free failures: no wait
        with pytest.raises(cr.NotAuthenticated):
            cr.authenticate(app, "tur_verifier", "wrong", attacker)
    with pytest.raises(cr.NotAuthenticated):
        cr.authenticate(app, "tur_verifier", "wrong", attacker)
    # Now the pair waits, even with the right password...
    with pytest.raises(cr.TooManyAttempts) as e:
        cr.authenticate(app, "tur_verifier", PW, attacker)
    assert 1 <= e.value.retry_after <= 15
    # ... but the real user from another address signs in at once, and other names from the attacker's
    # address are not slowed.
    assert cr.authenticate(app, "tur_verifier", PW, user).name == "tur_verifier"
    assert cr.authenticate(app, "rus_verifier", PW, attacker).name == "rus_verifier"
    # The delay grows with each failure after it has passed, and ends with a success.
    now = datetime.now(UTC)
    with app.read() as conn:
        assert cr.retry_after(conn, "tur_verifier", attacker, now + timedelta(seconds=16)) == 0
        assert cr.retry_after(conn, "tur_verifier", attacker, now) > 0
    with app.write() as conn:
        from sqlalchemy import insert

        from truce import times
        from truce.auth.models import login_attempts

        conn.execute(insert(login_attempts), [
            {"user_name": "tur_verifier", "client": attacker, "at": times.fmt(now + timedelta(seconds=k)), "ok": False}
            for k in range(1, 4)
        ])
    with app.read() as conn:
        # 7 failures: 120 s after the last one (3 s after now).
        wait = cr.retry_after(conn, "tur_verifier", attacker, now + timedelta(seconds=3))
        assert 119 <= wait <= 120
    with app.read() as conn:
        assert cr.retry_after(conn, "tur_verifier", attacker, now + timedelta(seconds=124)) == 0


def test_an_address_failing_for_many_names_locks_nobody_out(astana_url: str) -> None:
    app = Truce(astana_url)
    with app.write() as conn:
        cr.set_password(app, conn, SYSTEM, "irn_verifier", PW)
    nat = "192.0.2.1"
    for k in range(25):
        with pytest.raises(cr.NotAuthenticated):
            cr.authenticate(app, f"nobody{k}", "wrong", nat)
    assert cr.authenticate(app, "irn_verifier", PW, nat).name == "irn_verifier"
