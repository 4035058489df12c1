"""``farpoint admin keys create | list | revoke | rotate``: manage the service's API keys;
``farpoint admin cleanup [--ttl-days D] [--media-ttl-days D] [--dry-run]``: the retention sweep
(:func:`farpoint.jobs.retention.cleanup`: ended jobs older than ``FARPOINT_JOBS__TTL_DAYS`` and
media older than ``FARPOINT_JOBS__MEDIA_TTL_DAYS`` that no active job reads, with their objects
and records, then the frame/vector cache entries no remaining job uses; prints what it deleted,
or with ``--dry-run`` what it would delete, as JSON). Idempotent; the Helm chart runs it as a
CronJob.

The keys live in the object store the services use (``auth/keys/<keyid>.json`` in the
``FARPOINT_S3__*`` bucket), or in a local folder with ``--store-dir``. Holding the store's
credentials is what makes one an administrator here: this command is the root of trust and the
way to create the first key. ``create`` prints the new key once on stdout; it is stored only as
a salted hash, so a lost key is revoked and replaced, never recovered. Every change is written
to the audit log (logger ``farpoint.audit``). See docs/security.md.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from farpoint.auth.principal import Role
from farpoint.auth.registry import KeyRecord, KeyRegistry
from farpoint.errors import InputError
from farpoint.security.audit import audit_event
from farpoint.store.base import Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store-dir",
        default=None,
        metavar="DIR",
        help="keep keys in this local folder instead of the S3 store (FARPOINT_S3__*)",
    )
    sub = parser.add_subparsers(dest="admin_command", metavar="WHAT")
    keys = sub.add_parser("keys", help="create, list, revoke or rotate API keys")
    ksub = keys.add_subparsers(dest="keys_command", metavar="ACTION")

    p = ksub.add_parser("create", help="create a key; prints it once")
    p.add_argument("--tenant", required=True, help="the tenant the key acts for")
    p.add_argument(
        "--role", required=True, choices=[r.value for r in Role], help="what the key may do"
    )
    p.add_argument("--name", default="", help="a label (who or what uses the key)")
    p.add_argument("--json", action="store_true", help="print the key and its record as JSON")

    p = ksub.add_parser("list", help="list keys (never their secrets)")
    p.add_argument("--tenant", default=None, help="only this tenant's keys")
    p.add_argument("--active", action="store_true", help="hide revoked keys")
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")

    p = ksub.add_parser("revoke", help="revoke a key (takes effect within seconds)")
    p.add_argument("key_id", metavar="KEYID")

    p = ksub.add_parser("rotate", help="new key with the same tenant and role; prints it once")
    p.add_argument("key_id", metavar="KEYID")
    p.add_argument(
        "--revoke-old", action="store_true", help="revoke the old key now (default: keep it)"
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "cleanup", help="the retention sweep: ended jobs and media past their TTL, unused caches"
    )
    p.add_argument(
        "--ttl-days",
        type=float,
        default=None,
        help="override FARPOINT_JOBS__TTL_DAYS (jobs created longer ago than this that ended)",
    )
    p.add_argument(
        "--media-ttl-days",
        type=float,
        default=None,
        help="override FARPOINT_JOBS__MEDIA_TTL_DAYS (media uploaded longer ago than this)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="delete nothing; print what would be deleted"
    )


def _cleanup(args: argparse.Namespace) -> int:
    from farpoint.jobs.retention import cleanup
    from farpoint.records import open_records
    from farpoint.settings import get_settings

    settings = get_settings()
    ttl_days = args.ttl_days if args.ttl_days is not None else settings.jobs.ttl_days
    media_days = (
        args.media_ttl_days if args.media_ttl_days is not None else settings.jobs.media_ttl_days
    )
    for flag, days in (("--ttl-days", ttl_days), ("--media-ttl-days", media_days)):
        if days is not None and days < 0:
            raise InputError(f"{flag} must be >= 0 days; got {days}")
    if ttl_days is None and media_days is None:
        raise InputError(
            "no TTL: set FARPOINT_JOBS__TTL_DAYS and/or FARPOINT_JOBS__MEDIA_TTL_DAYS, "
            "or pass --ttl-days D / --media-ttl-days D (D >= 0)"
        )
    records = None if args.store_dir else open_records(settings.database)
    try:
        report = cleanup(
            _store(args),
            records,
            ttl_s=None if ttl_days is None else ttl_days * 86400,
            media_ttl_s=None if media_days is None else media_days * 86400,
            dry_run=args.dry_run,
        )
    finally:
        if records is not None:
            records.close()
    sys.stdout.write(json.dumps(report.as_dict()) + "\n")
    return 0


def _store(args: argparse.Namespace) -> Store:
    if args.store_dir:
        from farpoint.store.local import LocalStore

        return LocalStore(args.store_dir)
    from farpoint.settings import get_settings
    from farpoint.store.s3 import S3Store

    return S3Store.from_settings(get_settings().s3)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _audit(action: str, record: KeyRecord, **extra: Any) -> None:
    audit_event(
        tenant=record.tenant,
        key_id=None,
        actor=_actor(),
        action=f"admin keys {action}",
        object=f"key:{record.key_id}",
        outcome="ok",
        **extra,
    )


def _print_new(token: str, record: KeyRecord, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps({"key": token, **record.public()}) + "\n")
        return
    sys.stdout.write(token + "\n")
    sys.stderr.write(
        f"created key {record.key_id} (tenant {record.tenant}, role {record.role}); "
        "it is shown only now: store it in a secret\n"
    )


def run(args: argparse.Namespace) -> int:
    if getattr(args, "admin_command", None) == "cleanup":
        return _cleanup(args)
    if getattr(args, "admin_command", None) != "keys" or not getattr(args, "keys_command", None):
        raise InputError("usage: farpoint admin keys {create,list,revoke,rotate} ...")
    registry = KeyRegistry(_store(args))
    cmd = args.keys_command
    if cmd == "create":
        token, record = registry.create(args.tenant, args.role, args.name)
        _audit("create", record, role=record.role)
        _print_new(token, record, args.json)
    elif cmd == "list":
        records = registry.list(tenant=args.tenant, include_revoked=not args.active)
        if args.json:
            for r in records:
                sys.stdout.write(json.dumps(r.public()) + "\n")
        else:
            sys.stdout.write(f"{'KEYID':16}  {'TENANT':20}  {'ROLE':6}  {'STATE':7}  NAME\n")
            for r in records:
                state = "active" if r.active else "revoked"
                sys.stdout.write(f"{r.key_id:16}  {r.tenant:20}  {r.role:6}  {state:7}  {r.name}\n")
    elif cmd == "revoke":
        record = registry.revoke(args.key_id)
        _audit("revoke", record)
        sys.stdout.write(f"revoked {record.key_id} (tenant {record.tenant})\n")
    elif cmd == "rotate":
        old = registry.get(args.key_id)
        if not old.active:
            raise InputError(f"key {old.key_id} is revoked; create a new one instead")
        token, record = registry.create(old.tenant, old.role, old.name)
        _audit("rotate", record, replaces=old.key_id)
        if args.revoke_old:
            registry.revoke(old.key_id)
            _audit("revoke", old)
        _print_new(token, record, args.json)
    return 0
