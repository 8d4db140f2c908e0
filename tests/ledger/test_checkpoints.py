"""Checkpoints as C2SP signed notes: published vectors, round trips, and tampering that must fail."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truce.ledger import checkpoints as cp
from truce.ledger.checkpoints import (
    Checkpoint,
    NoteSignature,
    cosign,
    key_id,
    open_note,
    sign_note,
    verify_cosignature,
    verify_note,
)

# Source: golang.org/x/mod/sumdb/note, note_test.go (the reference implementation of c2sp.org/signed-note):
# the PeterNeumann signer key, verifier key, text and the signed note it produces (Ed25519 is
# deterministic, so signing the text must give these bytes exactly).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

# Source: c2sp.org/tlog-cosignature (and c2sp.org/tlog-checkpoint), the example checkpoint with a log
# signature and a witness cosignature. C2SP publishes no public keys for these, so they check the
# parsing: the cosignature's 8-byte timestamp is the "time 1679315147" of the spec's signed-message example.
C2SP_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
C2SP_LOG_SIG = (
    "\u2014 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
C2SP_COSIG = (
    "\u2014 witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)


def go_key() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])  # the key material may contain "+"
    assert seed[0] == cp.SIG_ED25519
    return Ed25519PrivateKey.from_private_bytes(seed[1:])


def go_public() -> bytes:
    raw = base64.b64decode(GO_VKEY.split("+", 2)[2])
    return raw[1:]


def test_go_reference_note_signed_byte_for_byte():
    key = go_key()
    assert cp.raw_public_key(key) == go_public()
    assert key_id("PeterNeumann", go_public(), cp.SIG_ED25519).hex() == "c74f20a3"
    assert cp.vkey("PeterNeumann", go_public()) == GO_VKEY
    assert sign_note(GO_TEXT, "PeterNeumann", key) == GO_SIG
    body, sigs = open_note(GO_TEXT + "\n" + GO_SIG)
    assert body == GO_TEXT and len(sigs) == 1 and sigs[0].line() == GO_SIG
    assert verify_note(body, sigs[0], "PeterNeumann", go_public())


def test_go_reference_note_tampered_fails():
    sig = NoteSignature.parse(GO_SIG)
    assert not verify_note(GO_TEXT.replace("cryptography", "cryptographY"), sig, "PeterNeumann", go_public())
    raw = bytearray(sig.signature)
    raw[10] ^= 1
    assert not verify_note(GO_TEXT, NoteSignature(sig.name, sig.key_id, bytes(raw)), "PeterNeumann", go_public())
    assert not verify_note(GO_TEXT, sig, "PeterNeumann2", go_public())  # another name: another key id
    other = cp.raw_public_key(Ed25519PrivateKey.generate())
    assert not verify_note(GO_TEXT, sig, "PeterNeumann", other)
    # a log signature is no cosignature, whatever its bytes
    assert not verify_cosignature(GO_TEXT, sig, "PeterNeumann", go_public())


def test_c2sp_example_checkpoint_parses():
    body, sigs = open_note(C2SP_BODY + "\n" + C2SP_LOG_SIG + C2SP_COSIG)
    c = Checkpoint.parse(body)
    assert (c.origin, c.size) == ("example.com/behind-the-sofa", 20852163)
    assert c.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert c.body() == body
    assert [s.name for s in sigs] == ["example.com/behind-the-sofa", "witness.example.com/w1"]
    assert sigs[0].timestamp is None and len(sigs[0].signature) == 64
    assert sigs[1].timestamp == 1679315147
    assert cp.cosignature_message(body, 1679315147).decode() == (
        "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    assert [s.line() for s in sigs] == [C2SP_LOG_SIG, C2SP_COSIG]


def test_checkpoint_signed_and_cosigned_round_trip():
    log, witness = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    c = Checkpoint("truce.example/astana-2017", 42, bytes(range(32)))
    body = c.body()
    assert body == f"truce.example/astana-2017\n42\n{base64.b64encode(bytes(range(32))).decode()}\n"
    line = sign_note(body, c.origin, log)
    co = cosign(body, "truce-witness/RUS_OFFICE", witness, 1764750000)
    note = cp.make_note(body, [line, co])
    b, sigs = open_note(note)
    assert b == body and Checkpoint.parse(b) == c
    assert verify_note(b, sigs[0], c.origin, cp.raw_public_key(log))
    assert verify_cosignature(b, sigs[1], "truce-witness/RUS_OFFICE", cp.raw_public_key(witness))
    assert sigs[1].timestamp == 1764750000
    assert sigs[1].key_id == key_id("truce-witness/RUS_OFFICE", cp.raw_public_key(witness), cp.SIG_COSIGNATURE_V1)
    # tampering: another size, another root, another timestamp, another witness key, the log's own key
    other = Checkpoint(c.origin, 43, c.root).body()
    assert not verify_note(other, sigs[0], c.origin, cp.raw_public_key(log))
    assert not verify_cosignature(other, sigs[1], "truce-witness/RUS_OFFICE", cp.raw_public_key(witness))
    moved = NoteSignature(sigs[1].name, sigs[1].key_id, (1764750001).to_bytes(8, "big") + sigs[1].signature[8:])
    assert not verify_cosignature(b, moved, "truce-witness/RUS_OFFICE", cp.raw_public_key(witness))
    assert not verify_cosignature(b, sigs[1], "truce-witness/RUS_OFFICE", cp.raw_public_key(log))
    assert not verify_cosignature(b, sigs[1], "truce-witness/TUR_OFFICE", cp.raw_public_key(witness))
    assert not verify_note(b, sigs[1], "truce-witness/RUS_OFFICE", cp.raw_public_key(witness))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("a\n1\n", "expected 3 lines"),
        ("a\n1\nAAAA\nextra\n", "extension lines"),
        ("a\n01\n" + base64.b64encode(bytes(32)).decode() + "\n", "leading zeros"),
        ("a\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n", "line 2"),
        ("a\n1\n" + base64.b64encode(bytes(31)).decode() + "\n", "31 bytes"),
        ("a\n1\n!!!!\n", "base64"),
        ("a b\n1\n" + base64.b64encode(bytes(32)).decode() + "\n", "line 1"),
        ("\n1\n" + base64.b64encode(bytes(32)).decode() + "\n", "line 1"),
        ("a\n1\n" + base64.b64encode(bytes(32)).decode(), "newline"),
    ],
)
def test_checkpoint_parse_is_strict(body, message):
    with pytest.raises(ValueError, match=message):
        Checkpoint.parse(body)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GO_TEXT + GO_SIG, "no blank line"),
        (GO_TEXT + "\n", "no signature lines"),
        (GO_TEXT + "\n" + GO_SIG.replace("\u2014", "-"), "em dash"),
        (GO_TEXT + "\n" + GO_SIG.replace("PeterNeumann ", "Peter Neumann "), "signature 1"),
        (GO_TEXT + "\n" + GO_SIG.replace("x08go", "x08g!"), "base64"),
        (GO_TEXT + "\n" + GO_SIG[:-1], "end with a newline"),
        (GO_TEXT + "\n" + GO_SIG + "garbage\n", "signature 2"),
        (GO_TEXT.replace("you", "y\x07u", 1) + "\n" + GO_SIG, "control character"),
        (GO_TEXT + "\n" + "\u2014 PeterNeumann AAAA\n", "shorter than"),
        (GO_TEXT + "\n" + GO_SIG * 101, "more than 100"),
    ],
)
def test_open_note_is_strict(text, message):
    with pytest.raises(ValueError, match=message):
        open_note(text)


def test_open_note_splits_at_the_last_blank_line():
    text = "a\n\nb\n"
    key = go_key()
    note = text + "\n" + sign_note("b\n", "PeterNeumann", key)
    body, sigs = open_note(note)
    assert body == text
    assert not verify_note(body, sigs[0], "PeterNeumann", go_public())


def test_signing_refuses_bad_names_and_bodies():
    key = Ed25519PrivateKey.generate()
    for name in ("", "a b", "a+b"):
        with pytest.raises(ValueError, match="key name"):
            sign_note("x\n", name, key)
    with pytest.raises(ValueError, match="newline"):
        sign_note("x", "n", key)
    with pytest.raises(ValueError, match="timestamp"):
        cosign(Checkpoint("o", 1, bytes(32)).body(), "w", key, -1)
    with pytest.raises(ValueError, match="checkpoint"):
        cosign("not a checkpoint\n", "w", key, 1)
