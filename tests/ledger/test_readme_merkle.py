"""The README's section on the Merkle tree and checkpoints: its commands run, its example note is exact."""

from __future__ import annotations

import base64
import hashlib
import re
import shlex
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from typer.testing import CliRunner

from truce.app import Truce
from truce.bulletins.service import create_key
from truce.cli import app as cli
from truce.ledger import checkpoints as cp
from truce.ledger.chain import SYSTEM
from truce.ledger.models import ledger_entries

README = Path(__file__).resolve().parents[2] / "README.md"
runner = CliRunner()


def section() -> str:
    text = README.read_text("utf-8")
    start = text.index("## The ledger's Merkle tree and checkpoints")
    return text[start : text.index("\n## ", start + 1)]


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", section(), re.S)


def test_readme_commands_run(astana_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRUCE_DATABASE_URL", astana_url)
    app = Truce(astana_url)
    with app.write() as conn:
        made = create_key(app, conn, SYSTEM, "RUS_OFFICE", key_dir=tmp_path / "truce-keys")
        while conn.execute(select(func.count()).select_from(ledger_entries)).scalar_one() < 100:
            create_key(app, conn, SYSTEM, "TUR_OFFICE", key_dir=tmp_path / "spare")
    (commands,) = blocks("sh")
    ran = 0
    for line in commands.splitlines():
        cmd = line.split("#", 1)[0].strip()
        if not cmd:
            continue
        cmd = cmd.replace("truce-keys/RUS_OFFICE-KEYID.pem", made["file"]).replace("KEYID", made["key_id"])
        argv = shlex.split(cmd)
        assert argv[0] == "truce"
        r = runner.invoke(cli, argv[1:])
        assert r.exit_code == 0, (cmd, r.output)
        ran += 1
    assert ran == 6


def test_readme_example_note_is_exact():
    (note,) = blocks("text")
    log = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"truce README example: the log").digest())
    body, sigs = cp.open_note(note)
    point = cp.Checkpoint.parse(body)
    assert point == cp.Checkpoint(
        "truce.example/astana-2017", 1433, hashlib.sha256(b"truce README example: the root").digest()
    )
    lines = [cp.sign_note(body, point.origin, log)]
    for s in sigs[1:]:
        org = s.name.removeprefix("truce-witness/")
        key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"truce README example: {org}".encode()).digest())
        assert cp.verify_cosignature(body, s, s.name, cp.raw_public_key(key)) and s.timestamp == 1764750000
        lines.append(cp.cosign(body, s.name, key, 1764750000))
    assert cp.make_note(body, lines) == note
    vkey = re.search(r"its log's verifier key: `([^`]+)`", section()).group(1)
    name, kid, material = vkey.split("+", 2)
    raw = base64.b64decode(material)
    assert name == point.origin and raw[0] == cp.SIG_ED25519 and raw[1:] == cp.raw_public_key(log)
    assert kid == cp.key_id(name, raw[1:], cp.SIG_ED25519).hex()
    assert cp.verify_note(body, sigs[0], name, raw[1:])
