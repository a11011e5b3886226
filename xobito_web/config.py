"""Settings from the environment, read in one place (docs/product.md "Configuration")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str
    smtp_url: str
    mail_from: str
    base_url: str
    port: int

    @property
    def storage_root(self) -> Path:
        return Path(os.environ.get("XOBITO_STORAGE_DIR") or self.data_dir / "storage")

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"


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
    )


settings = load_settings()
