"""API key tokens and hashing: format, parsing, salted scrypt, constant-time verification."""

from __future__ import annotations

import pytest

from farpoint.auth import keys as keylib
from farpoint.auth.principal import Principal, Role, check_tenant
from farpoint.errors import InputError


def test_token_round_trip_and_randomness() -> None:
    tokens = {keylib.format_token(keylib.new_key_id(), keylib.new_secret()) for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert token.startswith("fp_")
        parsed = keylib.parse_token(token)
        assert parsed is not None
        assert token == keylib.format_token(parsed.key_id, parsed.secret)
        assert len(parsed.secret) == 43


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "fp_",
        "fp_0123456789abcdef",
        "xx_0123456789abcdef_" + "a" * 43,
        "fp_0123456789ABCDEF_" + "a" * 43,  # id must be lowercase hex
        "fp_0123456789abcdef_" + "a" * 42,
        "fp_0123456789abcdef_" + "a" * 42 + "!",
        "fp_0123456789abcdef_" + "a" * 500,
        "Bearer fp_0123456789abcdef_" + "a" * 43,
    ],
)
def test_malformed_tokens_do_not_parse(bad: str) -> None:
    assert keylib.parse_token(bad) is None


def test_hash_is_salted_and_verifies_only_the_secret() -> None:
    secret = keylib.new_secret()
    salt_a, salt_b = keylib.new_salt(), keylib.new_salt()
    h_a = keylib.hash_secret(secret, salt_a)
    h_b = keylib.hash_secret(secret, salt_b)
    assert h_a != h_b and len(h_a) == keylib.HASH_LEN
    assert secret.encode() not in h_a
    params = {"n": keylib.SCRYPT_N, "r": keylib.SCRYPT_R, "p": keylib.SCRYPT_P}
    assert keylib.verify_secret(secret, salt_a, h_a, **params)
    assert not keylib.verify_secret(secret, salt_b, h_a, **params)
    assert not keylib.verify_secret(keylib.new_secret(), salt_a, h_a, **params)


def test_roles_are_ordered() -> None:
    assert Role.ADMIN.allows(Role.WRITER) and Role.ADMIN.allows("reader")
    assert Role.WRITER.allows(Role.READER) and not Role.WRITER.allows(Role.ADMIN)
    assert not Role.READER.allows(Role.WRITER)
    assert Role.parse(" Writer ") is Role.WRITER
    with pytest.raises(InputError, match="unknown role"):
        Role.parse("root")
    assert Principal("acme", Role.READER, "k").allows("reader")


@pytest.mark.parametrize("tenant", ["acme", "team-7", "a", "0" * 63])
def test_valid_tenants(tenant: str) -> None:
    assert check_tenant(tenant) == tenant


@pytest.mark.parametrize("tenant", ["", "Acme", "-x", "x-", "a/b", "..", "a_b", "0" * 64, "é"])
def test_invalid_tenants(tenant: str) -> None:
    with pytest.raises(InputError, match="invalid tenant"):
        check_tenant(tenant)
