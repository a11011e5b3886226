"""CSRF tokens for cookie-authenticated form posts: a signed per-session value.

A browser sends the session cookie with any form another site makes it post; such a post must
also carry `csrf_token` (form field) or `X-CSRF-Token` (header), which only our own pages and
same-origin scripts can read (`GET /{subdomain}/api/v1/me`; CORS keeps other sites from reading
it). The value is an HMAC of the session's hash under the server's secret key, so it needs no
storage, differs per session and ends with it. Requests with a personal API token need none:
no browser adds a Bearer token on its own.

The key is XOBITO_SECRET_KEY, else a random one created once in the data folder
(`secret_key`, readable by its owner only), which every worker sharing that folder uses.
Workers on several machines set XOBITO_SECRET_KEY to one value.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import time

from xobito_web import config

KEY_FILE_NAME = "secret_key"
FIELD = "csrf_token"
HEADER = "x-csrf-token"


@functools.cache
def _key_from(configured: str, data_dir: str) -> bytes:
    if configured:
        return configured.encode()
    path = os.path.join(data_dir, KEY_FILE_NAME)
    os.makedirs(data_dir, exist_ok=True)
    try:  # O_EXCL: of several workers starting at once, one writes the key and all read it
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(handle, "w") as file:
            file.write(secrets.token_hex(32))
    for _ in range(50):
        with open(path) as file:
            key = file.read().strip()
        if key:
            return key.encode()
        time.sleep(0.01)  # another worker is writing it right now
    raise RuntimeError(f"the secret key file {path} is empty")


def secret_key() -> bytes:
    settings = config.settings
    return _key_from(settings.secret_key, str(settings.data_dir))


def token_for(session_hash: str) -> str:
    """The CSRF token of the session whose cookie hashes to `session_hash`."""
    return hmac.new(secret_key(), b"csrf:" + session_hash.encode(), hashlib.sha256).hexdigest()


def is_valid(session_hash: str, presented: str | None) -> bool:
    if not session_hash or not presented or len(presented) != 64:
        return False
    return hmac.compare_digest(token_for(session_hash), presented)
