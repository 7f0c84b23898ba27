"""Officials' accounts and their sign-in sessions, in an embedded SQLite database created on first use.
Passwords are kept as argon2id hashes (argon2-cffi: salted, memory-hard); session tokens only as their
sha256, so a copy of the database lets no one in."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from corpus.errors import PolicyQAError

ROLES = ("official", "admin")
MIN_PASSWORD_CHARS = 10
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
                                  created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL, expires_at REAL NOT NULL);
"""


class AccountError(PolicyQAError):
    """A user name, role or password the accounts refuse."""

    status_code = 400


class SignInFailed(PolicyQAError):
    status_code = 401


@dataclass(frozen=True)
class Account:
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Accounts:
    def __init__(self, path: Path, session_ttl_s: float) -> None:
        self.path = path
        self.session_ttl_s = session_ttl_s
        self._hasher = PasswordHasher()
        # Verified against when the user name is unknown, so a wrong name takes as long as a wrong password.
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection per call: safe from any thread, and from several worker processes at once."""
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db

    def add(self, username: str, password: str, role: str = "official") -> Account:
        username = _check_name(username)
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        _check_password(password)
        try:
            with self._db() as db:
                db.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                           (username, self._hasher.hash(password), role, time.time()))
        except sqlite3.IntegrityError:
            raise AccountError(f"user '{username}' exists already") from None
        return Account(username, role)

    def set_password(self, username: str, password: str) -> None:
        """A new password; the user's open sessions end."""
        _check_password(password)
        with self._db() as db:
            changed = db.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                                 (self._hasher.hash(password), username)).rowcount
            db.execute("DELETE FROM sessions WHERE username = ?", (username,))
        if not changed:
            raise AccountError(f"no user '{username}'")

    def remove(self, username: str) -> None:
        with self._db() as db:
            removed = db.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount
            db.execute("DELETE FROM sessions WHERE username = ?", (username,))
        if not removed:
            raise AccountError(f"no user '{username}'")

    def list(self) -> list[Account]:
        with self._db() as db:
            return [Account(*row) for row in db.execute("SELECT username, role FROM users ORDER BY username")]

    def ensure_admin(self, username: str = "admin") -> str | None:
        """On a first start (no accounts at all), create an admin with a generated password and return the
        password, to be shown once on the console; None when accounts exist."""
        if self.list():
            return None
        password = secrets.token_urlsafe(12)
        self.add(username, password, "admin")
        return password

    def sign_in(self, username: str, password: str) -> tuple[Account, str]:
        """(the account, a new session token) for the right password; SignInFailed otherwise, saying no
        more than that (not whether the name exists)."""
        with self._db() as db:
            row = db.execute("SELECT password_hash, role FROM users WHERE username = ?",
                             (username.strip().lower(),)).fetchone()
        try:
            self._hasher.verify(row[0] if row else self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            row = None
        if row is None:
            raise SignInFailed("wrong user name or password")
        account = Account(username.strip().lower(), row[1])
        token = secrets.token_urlsafe(32)
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (time.time(),))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?)",
                       (_digest(token), account.username, time.time() + self.session_ttl_s))
        return account, token

    def session(self, token: str | None) -> Account | None:
        """The account a live session token belongs to; None for a missing, unknown or expired one."""
        if not token:
            return None
        with self._db() as db:
            row = db.execute("SELECT u.username, u.role FROM sessions s JOIN users u USING (username) "
                             "WHERE s.token_sha256 = ? AND s.expires_at > ?", (_digest(token), time.time())).fetchone()
        return Account(*row) if row else None

    def sign_out(self, token: str | None) -> None:
        if token:
            with self._db() as db:
                db.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_digest(token),))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_name(username: str) -> str:
    name = username.strip().lower()
    if not 1 <= len(name) <= 64 or not set(name) <= _NAME_CHARS:
        raise AccountError("user name must be 1-64 letters, digits or . _ - @")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"password must have at least {MIN_PASSWORD_CHARS} characters")
