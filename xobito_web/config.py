"""Settings from the environment, read in one place (docs/product.md "Configuration")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str
    smtp_url: str
    mail_from: str
    base_url: str
    port: int
    # How many reverse proxies in front of the app append to X-Forwarded-For; 0 trusts none
    # (the header is then ignored, since anyone can send it).
    trusted_proxy_hops: int = 0
    # Flood limits per person over the last hour (services/rate_limits.py); 0 turns one off.
    tickets_per_hour: int = 10
    customer_replies_per_hour: int = 60
    team_replies_per_hour: int = 300
    # Request rates of the HTTP API (xobito_web/request_limits.py) per minute; 0 turns one off.
    api_requests_per_minute: int = 300  # per token (or per signed-in person using the API)
    api_address_requests_per_minute: int = 600  # per client address, signed in or not
    # Signs the CSRF tokens of form posts (xobito_web/csrf.py); "" = a key kept in the data folder.
    secret_key: str = ""

    @property
    def storage_root(self) -> Path:
        return Path(os.environ.get("XOBITO_STORAGE_DIR") or self.data_dir / "storage")

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def public_origin(self) -> str:
        """`scheme://host[:port]` of XOBITO_BASE_URL: the one origin other sites may not pose as."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}".lower()


def _whole_number(name: str, default: int) -> int:
    """A non-negative integer setting; anything else stops the start with a message saying so."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise ValueError(f"{name} must be a whole number of 0 or more, not {raw!r}.")
    return int(raw)


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("XOBITO_DATA_DIR") or "data").resolve()
    port = int(os.environ.get("PORT") or 3000)
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'xobito.db'}",
        redis_url=os.environ.get("REDIS_URL", ""),
        smtp_url=os.environ.get("SMTP_URL", ""),
        mail_from=os.environ.get("MAIL_FROM", "Xobito tickets <tickets@localhost>"),
        base_url=(os.environ.get("XOBITO_BASE_URL") or f"http://localhost:{port}").rstrip("/"),
        port=port,
        trusted_proxy_hops=_whole_number("XOBITO_TRUSTED_PROXY_HOPS", 0),
        tickets_per_hour=_whole_number("XOBITO_TICKETS_PER_HOUR", Settings.tickets_per_hour),
        customer_replies_per_hour=_whole_number("XOBITO_CUSTOMER_REPLIES_PER_HOUR", Settings.customer_replies_per_hour),
        team_replies_per_hour=_whole_number("XOBITO_TEAM_REPLIES_PER_HOUR", Settings.team_replies_per_hour),
        api_requests_per_minute=_whole_number("XOBITO_API_REQUESTS_PER_MINUTE", Settings.api_requests_per_minute),
        api_address_requests_per_minute=_whole_number(
            "XOBITO_API_ADDRESS_REQUESTS_PER_MINUTE", Settings.api_address_requests_per_minute
        ),
        secret_key=os.environ.get("XOBITO_SECRET_KEY", ""),
    )


settings = load_settings()
