"""The password login's backend: Django's ModelBackend, with the signed-in user read on every
request by a query compiled once.

Every signed-in request loads its user (`django.contrib.auth.get_user` -> the session's
backend's `get_user`). Django's ModelBackend builds, compiles and runs
`User.objects.get(pk=...)` each time: on the machines of `make bench-web` some 0.4-0.5 ms
of CPU, of which running the SQL is 0.1. Here the SQL and the columns' converters are made
once per database connection object, and each request only runs them: the same columns,
the same values and types as the ORM's (tests/people/test_session_user.py), the same
checks after (an inactive account is nobody, as with ModelBackend; the session's password
hash is still verified by Django).

Sessions name the backend that signed them in: a session signed in through Django's own
ModelBackend (an installation from before this backend) is signed out at its next request,
once.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from .models import User

# what a session's BACKEND_SESSION_KEY holds for a password, SSO, LTI or login-code sign-in
LOGIN_BACKEND = "people.backends.PasswordBackend"


class PasswordBackend(ModelBackend):
    """Passwords and permissions as Django's ModelBackend; the session's user read by
    `user_by_pk`."""

    def get_user(self, user_id):
        user = user_by_pk(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


@dataclass(frozen=True)
class _Read:
    sql: str  # SELECT every concrete column WHERE pk = %s
    attnames: list[str]
    converters: list[tuple[int, list, object]]  # (column, converters, expression)


# per connection object (one per thread and database): the SQL, the columns and the
# converters, which the compiler makes for that connection's backend
_reads: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _read_for(connection) -> _Read:
    read = _reads.get(connection)
    if read is None:
        query = User._default_manager.filter(pk=0).query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if list(params) != [0]:  # the one parameter is the primary key
            raise RuntimeError(f"unexpected parameters for the user query: {params!r}")
        columns = [column for column, _sql, _alias in compiler.select]
        attnames = [column.target.attname for column in columns]
        if attnames != [field.attname for field in User._meta.concrete_fields]:
            raise RuntimeError("the user query does not select the model's columns in order")
        converters = [
            (position, convs, expression)
            for position, (convs, expression) in compiler.get_converters(columns).items()
        ]
        read = _Read(sql, attnames, converters)
        _reads[connection] = read
    return read


def user_by_pk(user_id) -> User | None:
    """The user whose primary key is `user_id` (as a session keeps it: a string), or None:
    no such user, or not a key at all."""
    try:
        pk = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    alias = router.db_for_read(User)
    connection = connections[alias]
    read = _read_for(connection)
    with connection.cursor() as cursor:
        cursor.execute(read.sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    for position, convs, expression in read.converters:
        value = row[position]
        for converter in convs:
            value = converter(value, expression, connection)
        row[position] = value
    return User.from_db(alias, read.attnames, row)
