"""One production build for every address: the browser finds the backend where the page came from.

Reflex writes the backend's absolute addresses (`ws://localhost:PORT/_event`, `/_upload`,
`/ping`, …) into `.web/env.json` when it builds, and the bundle keeps them: a build made for
one port talks to that port wherever it is served. Here the plugin writes placeholder addresses
into env.json instead and, once Vite has built the bundle, rewrites each placeholder into an
expression the browser evaluates from `window.location` (`ws://` or `wss://` + the page's
host + the path). Vite puts env.json into a chunk of its own (`assets/reflex-env-*.js`), so the
rewrite touches one small file, and the build refuses to finish if a placeholder is left in a
form it does not recognise. Reflex's `getBackendURL` then uses these addresses unchanged.

Only production builds are rewritten (`reflex run` in development keeps Reflex's addresses:
its frontend and backend listen on different ports there).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reflex.plugins import Plugin
from reflex_base import constants
from reflex_base.config import get_config
from reflex_base.environment import environment

PLACEHOLDER_HOST = "xobito-backend.invalid"  # `.invalid` never resolves (RFC 2606)
_PLACEHOLDER = re.compile(
    r"""(?P<quote>["'`])(?P<scheme>wss?|https?)://"""
    + re.escape(PLACEHOLDER_HOST)
    + r"""(?P<path>/[A-Za-z0-9_./-]*)(?P=quote)"""
)


class UnrecognisedBundle(RuntimeError):
    """The built bundle holds the placeholder in a form the rewrite does not know."""


def placeholder_env() -> dict[str, str]:
    """env.json entries for every backend endpoint, on the placeholder host."""
    config = get_config()
    entries = {}
    for endpoint in constants.Endpoint:
        scheme = "ws" if endpoint is constants.Endpoint.EVENT else "http"
        entries[endpoint.name] = f"{scheme}://{PLACEHOLDER_HOST}{config.prepend_backend_path(str(endpoint))}"
    return entries


def _from_page_location(match: re.Match[str]) -> str:
    """A JavaScript expression for the endpoint on the host the page was loaded from."""
    path = json.dumps(match["path"])
    if match["scheme"].startswith("ws"):
        in_browser = f'(location.protocol==="https:"?"wss://":"ws://")+location.host+{path}'
    else:
        in_browser = f"location.origin+{path}"
    # Outside a browser (never in this bundle, but cheap to keep safe) fall back to localhost.
    fallback = json.dumps(f"{'ws' if match['scheme'].startswith('ws') else 'http'}://localhost{match['path']}")
    return f'(typeof location>"u"?{fallback}:{in_browser})'


def rewrite_bundle(static_dir: Path) -> int:
    """Rewrite the placeholder addresses in the built client bundle; how many were rewritten.

    Raises UnrecognisedBundle when no address was found or a placeholder is left anywhere.
    """
    rewritten = 0
    for script in sorted(static_dir.rglob("*.js")):
        text = script.read_text(encoding="utf-8")
        if PLACEHOLDER_HOST not in text:
            continue
        new_text, count = _PLACEHOLDER.subn(_from_page_location, text)
        rewritten += count
        script.write_text(new_text, encoding="utf-8")
    if rewritten == 0:
        raise UnrecognisedBundle(f"no backend address found to rewrite under {static_dir}")
    left = [
        str(path.relative_to(static_dir))
        for path in static_dir.rglob("*")
        if path.is_file() and PLACEHOLDER_HOST.encode() in path.read_bytes()
    ]
    if left:
        raise UnrecognisedBundle(f"backend placeholder left in {', '.join(sorted(left))}: the rewrite needs updating")
    return rewritten


class BackendAtPageOrigin(Plugin):
    """rxconfig plugin: production bundles find the backend at the page's own origin."""

    @staticmethod
    def _production() -> bool:
        return environment.REFLEX_ENV_MODE.get() == constants.Env.PROD

    def update_env_json(self, **context: Any) -> dict[str, Any] | None:
        return placeholder_env() if self._production() else None

    def post_build(self, **context: Any) -> None:
        # Runs before Reflex writes the .gz copies, so they are made from the rewritten files.
        if self._production():
            rewrite_bundle(Path(context["static_dir"]))
