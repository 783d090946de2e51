"""Backing up and restoring the whole database (``ketacare backup`` / ``ketacare restore``).

SQLite: the online backup API (safe while the server runs; copying the file is not, in WAL
mode). PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --single-transaction``
with the connection settings Ketacare itself uses. Every backup gets a manifest beside it
(``<file>.json``: engine, time, size, SHA-256), and a restore refuses a file that does not match
its manifest or was made from another kind of database.

What a restore must prove afterwards (the audit trail against its anchors, the
controlled-substance ledger) is checked by the ``restore`` command, not here.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from django.db import connection

from ketacare.core.errors import Invalid, Refused

MANIFEST_FORMAT = "ketacare-backup-1"


@dataclass(frozen=True)
class Manifest:
    format: str
    engine: str
    created_at: str
    size_bytes: int
    sha256: str

    @staticmethod
    def path_for(backup: Path) -> Path:
        return backup.with_name(backup.name + ".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore`` from PATH, else the newest Debian PostgreSQL install."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise Refused(f"{name} is not installed (Debian package: postgresql-client).")
    return found


def _pg_environment() -> dict[str, str]:
    """libpq's variables for the database Django is connected to (no password on a command
    line, where other users of the machine could read it)."""
    settings = connection.settings_dict
    values = {
        "PGHOST": settings.get("HOST") or "",
        "PGPORT": str(settings.get("PORT") or ""),
        "PGUSER": settings.get("USER") or "",
        "PGPASSWORD": settings.get("PASSWORD") or "",
        "PGDATABASE": settings["NAME"],
        "PGSSLMODE": (settings.get("OPTIONS") or {}).get("sslmode", ""),
    }
    return os.environ | {key: value for key, value in values.items() if value}


def _run(command: list[str]) -> None:
    done = subprocess.run(command, env=_pg_environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise Refused(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def database_backup(destination: Path, *, at: dt.datetime) -> Manifest:
    """Write a consistent copy of the database to ``destination`` and its manifest beside it."""
    destination = destination.resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        copy = sqlite3.connect(partial)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
    elif connection.vendor == "postgresql":
        _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}"])
    else:
        raise Refused(f"Backups of {connection.vendor} databases are not supported.")
    os.replace(partial, destination)
    manifest = Manifest(
        format=MANIFEST_FORMAT,
        engine=connection.vendor,
        created_at=at.isoformat(),
        size_bytes=destination.stat().st_size,
        sha256=_sha256(destination),
    )
    Manifest.path_for(destination).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest


def read_manifest(backup: Path) -> Manifest | None:
    path = Manifest.path_for(backup)
    if not path.exists():
        return None
    try:
        manifest = Manifest(**json.loads(path.read_text()))
    except (ValueError, TypeError) as error:
        raise Invalid.field(
            "backup", f"{path} is not a Ketacare backup manifest: {error}"
        ) from None
    if manifest.format != MANIFEST_FORMAT:
        raise Invalid.field("backup", f"{path} has an unknown format {manifest.format!r}.")
    return manifest


def check_backup(backup: Path) -> Manifest | None:
    """Refuse a file that is missing, altered since it was written, or of another engine."""
    if not backup.is_file():
        raise Invalid.field("backup", f"No backup file at {backup}.")
    manifest = read_manifest(backup)
    if manifest is None:
        return None
    if manifest.engine != connection.vendor:
        raise Refused(
            f"This is a {manifest.engine} backup; the configured database is {connection.vendor}."
        )
    if manifest.size_bytes != backup.stat().st_size or manifest.sha256 != _sha256(backup):
        raise Refused(
            f"{backup} does not match its manifest (size or SHA-256): it was altered or cut "
            "short after it was written. Refusing to restore it."
        )
    return manifest


def database_restore(backup: Path) -> None:
    """Replace the whole database with the backup's content."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    elif connection.vendor == "postgresql":
        connection.close()  # pg_restore drops the tables this connection may have open
        _run(
            [
                pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={connection.settings_dict['NAME']}",
                str(backup),
            ]
        )
    else:
        raise Refused(f"Restoring {connection.vendor} databases is not supported.")
