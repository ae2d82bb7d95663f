"""Password hashing (argon2id) and random tokens; the only place secrets are made or checked."""

from __future__ import annotations

import hashlib
import secrets as _secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; a megabyte "password" is an attack
MIN_STRENGTH = 3  # zxcvbn's score 0-4; 3: safely unguessable, about 10^8-10^10 guesses


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash of a random password, checked when the user does not exist, so a missing
    account takes as long to refuse as a wrong password. Made on first use: hashing costs
    a tenth of a second or more, which every command line start would otherwise pay."""
    return _HASHER.hash(_secrets.token_urlsafe(16))


def new_password() -> str:
    return _secrets.token_urlsafe(15)


def new_token() -> str:
    """An API token: a recognisable prefix and 256 random bits."""
    return "csk_" + _secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """Tokens are random and long, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def random_id() -> str:
    return _secrets.token_urlsafe(32)
