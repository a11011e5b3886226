"""Password hashing with Argon2 (pwdlib's recommended hasher)."""

from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError

_hasher = PasswordHash.recommended()
# Verified against when the account does not exist, so a wrong email costs as long as a
# wrong password and the timing does not tell which accounts exist.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    try:
        return _hasher.verify(password, password_hash)
    except PwdlibError:  # a stored hash of no known kind never signs anyone in
        return False
