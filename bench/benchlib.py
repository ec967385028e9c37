"""What the benchmarks share: printing as they go, timing a step, a PostgreSQL database of
their own (created, dropped)."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit


def say(message: str = "") -> None:
    print(message, flush=True)


@contextmanager
def timed(label: str):
    started = time.monotonic()
    yield
    say(f"  {label}: {time.monotonic() - started:.2f} s")


def admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    name = database_name(url)
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')
