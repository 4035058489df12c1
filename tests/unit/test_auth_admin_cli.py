"""``farpoint admin keys ...`` through the real CLI entry point, on a local store folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from farpoint.auth import KeyRegistry
from farpoint.cli import main
from farpoint.store.local import LocalStore


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_create_list_rotate_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path)
    rc, out, err = run(capsys, "admin", "--store-dir", d, "keys", "create", "--tenant", "acme",
                       "--role", "writer", "--name", "ci")  # fmt: skip
    assert rc == 0 and "shown only now" in err
    token = out.strip()
    registry = KeyRegistry(LocalStore(tmp_path))
    principal = registry.verify(token)
    assert principal is not None and principal.tenant == "acme"

    rc, out, _ = run(capsys, "admin", "--store-dir", d, "keys", "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert rc == 0 and [r["key_id"] for r in rows] == [principal.key_id]
    assert token not in out and "hash" not in rows[0]

    rc, out, _ = run(capsys, "admin", "--store-dir", d, "keys", "rotate", principal.key_id,
                     "--revoke-old", "--json")  # fmt: skip
    new = json.loads(out)
    assert rc == 0 and new["tenant"] == "acme" and new["role"] == "writer"
    assert registry.verify(new["key"]) is not None and registry.verify(token) is None

    rc, out, _ = run(capsys, "admin", "--store-dir", d, "keys", "revoke", new["key_id"])
    assert rc == 0 and registry.verify(new["key"]) is None

    rc, out, _ = run(capsys, "admin", "--store-dir", d, "keys", "list")
    assert out.count("revoked") == 2


def test_bad_input_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path)
    rc, _, err = run(capsys, "admin", "--store-dir", d, "keys", "revoke", "0123456789abcdef")
    assert rc == 3 and "no API key" in err
    rc, _, err = run(capsys, "admin", "--store-dir", d, "keys", "create", "--tenant", "Bad/T",
                     "--role", "reader")  # fmt: skip
    assert rc == 2 and "invalid tenant" in err
    rc, _, err = run(capsys, "admin", "--store-dir", d, "keys")
    assert rc == 2 and "usage" in err
