"""`truce ledger checkpoint | checkpoints | prove | consistency | cosign` and the log key made by `truce init`
(both engines)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from truce.cli import app as cli
from truce.ledger import checkpoints as cp
from truce.ledger import merkle

runner = CliRunner()
OFFICES = [("IRN_OFFICE", "irn_verifier"), ("RUS_OFFICE", "rus_verifier"), ("TUR_OFFICE", "tur_verifier")]


def run(*args: str):
    return runner.invoke(cli, list(args))


def test_init_makes_the_log_key_once(db_url):
    r = run("init", "--db", db_url, "--origin", "truce.example/test-deployment")
    assert r.exit_code == 0, r.output
    assert "made the log's key" in r.output and "truce.example/test-deployment+" in r.output
    r = run("init", "--db", db_url, "--origin", "truce.example/other")
    assert (
        r.exit_code == 0
        and "made the log's key" not in r.output
        and "(origin truce.example/test-deployment)" in r.output
    )


def test_init_refuses_a_bad_origin_and_writes_no_key(db_url):
    r = run("init", "--db", db_url, "--origin", "has space")
    assert r.exit_code == 2 and "origin" in r.output and "no spaces" in r.output
    r = run("ledger", "log", "--db", db_url, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout) == []  # nothing was written


def test_checkpoint_cosign_prove_consistency(astana_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TRUCE_KEY_DIR", str(tmp_path / "keys"))
    db = ["--db", astana_url]
    files = {}
    for org, user in OFFICES:
        r = run("key", "create", "--org", org, "--as", user, *db)
        assert r.exit_code == 0, r.output
        files[org] = next((tmp_path / "keys").glob(f"{org}-*.pem"))

    r = run("ledger", "checkpoint", *db)
    assert r.exit_code == 0, r.output
    body, sigs = cp.open_note(r.stdout)
    point = cp.Checkpoint.parse(body)
    assert point.origin == "truce.example/astana-2017" and len(sigs) == 1
    again = json.loads(run("ledger", "checkpoint", *db, "--json").stdout)
    assert again["created"] is False and again["size"] == point.size and again["note"] == r.stdout
    assert again["vkey"].startswith("truce.example/astana-2017+")

    r = run("ledger", "cosign", "--org", "RUS_OFFICE", "--key", str(files["TUR_OFFICE"]), *db)
    assert r.exit_code == 2 and "not a registered, unrevoked key of RUS_OFFICE" in r.output
    r = run("ledger", "cosign", "--org", "RUS_OFFICE", "--key", str(tmp_path / "none.pem"), *db)
    assert r.exit_code == 3 and "no key file" in r.output  # not found (README: exit codes)
    for i, (org, _user) in enumerate(OFFICES):
        r = run("ledger", "cosign", "--org", org, "--key", str(files[org]), *db, "--json")
        assert r.exit_code == 0, r.output
        res = json.loads(r.stdout)
        assert res["created"] and res["size"] == point.size and res["agreed"] == (i == 2)
    r = run("ledger", "cosign", "--org", "RUS_OFFICE", "--key", str(files["RUS_OFFICE"]), *db)
    assert r.exit_code == 0 and "had co-signed already" in r.stdout
    listed = json.loads(run("ledger", "checkpoints", *db, "--json").stdout)
    assert listed[0]["size"] == point.size and listed[0]["agreed"] and len(listed[0]["cosigners"]) == 3
    assert "agreed" in run("ledger", "checkpoints", *db).stdout

    # the ledger grows; a new checkpoint; the offices' next co-signatures check consistency from the last
    assert run("key", "create", "--org", "RUS_OFFICE", "--as", "rus_verifier", *db).exit_code == 0
    new = json.loads(run("ledger", "checkpoint", *db, "--json").stdout)
    assert new["created"] and new["size"] == point.size + 1 and not new["agreed"]
    r = run("ledger", "cosign", "--org", "IRN_OFFICE", "--key", str(files["IRN_OFFICE"]), *db)
    assert r.exit_code == 0 and f"consistent with the checkpoint of size {point.size}" in r.stdout
    r = run(
        "ledger", "cosign", "--org", "IRN_OFFICE", "--key", str(files["IRN_OFFICE"]), "--size", str(point.size), *db
    )
    assert r.exit_code == 2 and "older" in r.output

    size = new["size"]
    for seq in (1, size // 3, size):
        p = json.loads(run("ledger", "prove", str(seq), "--size", str(size), *db, "--json").stdout)
        assert p["size"] == size and p["root"] == new["root"]
        assert merkle.verify_inclusion(
            seq - 1, size, bytes.fromhex(p["leaf_hash"]), [bytes.fromhex(x) for x in p["proof"]], point_root(new)
        )
    r = run("ledger", "prove", "2", *db)
    assert r.exit_code == 0 and f"is in the tree of size {size}" in r.stdout
    p = json.loads(run("ledger", "consistency", str(point.size), str(size), *db, "--json").stdout)
    assert p["old_root"] == point.root.hex() and p["new_root"] == new["root"]
    assert merkle.verify_consistency(
        point.size, size, point.root, point_root(new), [bytes.fromhex(x) for x in p["proof"]]
    )
    assert "is a prefix of the tree of size" in run("ledger", "consistency", "1", str(size), *db).stdout
    for args, message in [
        (["prove", str(size + 1)], f"not in the tree of size {size}"),
        (["prove", "0"], "not in the tree"),
        (["prove", "1", "--size", str(size + 5)], "beyond the ledger"),
        (["consistency", "5", "3"], "between 1 and n = 3"),
        (["consistency", "0", "3"], "between 1 and n"),
        (["consistency", "1", str(size + 5)], "beyond the ledger"),
    ]:
        r = run("ledger", *args, *db)
        assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output, (args, r.output)


def point_root(c: dict) -> bytes:
    return bytes.fromhex(c["root"])


def test_every_new_command_has_help_with_an_example():
    for cmd in ("checkpoint", "checkpoints", "prove", "consistency", "cosign"):
        r = run("ledger", cmd, "--help")
        assert r.exit_code == 0 and "Example: truce ledger " + cmd in " ".join(r.output.split()), cmd
