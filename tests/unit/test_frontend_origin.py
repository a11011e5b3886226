"""The production bundle finds the backend where the page was loaded from, not where it was built.

The chunk below is what Vite makes of Reflex's env.json (placeholders from the plugin); the
rewritten chunk is run with bun (installed by `make`) under different page addresses.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from xobito_web.frontend_origin import PLACEHOLDER_HOST, UnrecognisedBundle, placeholder_env, rewrite_bundle
from xobito_web.migrations import PROJECT_ROOT

BUN = PROJECT_ROOT / ".tools" / "node_modules" / ".bin" / "bun"
# As Vite minifies it (template literals), one entry in double quotes to cover that form too.
ENV_CHUNK = (
    "var e={PING:`http://xobito-backend.invalid/ping`,EVENT:`ws://xobito-backend.invalid/_event`,"
    'UPLOAD:"http://xobito-backend.invalid/_upload",TRANSPORT:`websocket`,TEST_MODE:!1};export{e as t};'
)


def built_bundle(tmp_path: Path, chunk: str = ENV_CHUNK) -> Path:
    static = tmp_path / "client"
    (static / "assets").mkdir(parents=True)
    (static / "assets" / "reflex-env-AbC123.js").write_text(chunk)
    (static / "assets" / "entry.client-XyZ.js").write_text("console.log('no addresses here');")
    return static


def env_seen_from(chunk: Path, page_url: str) -> dict:
    runner = chunk.parent / "run.mjs"
    runner.write_text(
        f"globalThis.location = new URL({json.dumps(page_url)});\n"
        f"const {{ t }} = await import({json.dumps(str(chunk))});\n"
        "console.log(JSON.stringify(t));\n"
    )
    result = subprocess.run([str(BUN), str(runner)], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout)


def test_the_placeholders_name_every_endpoint_on_an_address_that_never_resolves():
    env = placeholder_env()
    assert env["EVENT"] == f"ws://{PLACEHOLDER_HOST}/_event"
    assert env["UPLOAD"] == f"http://{PLACEHOLDER_HOST}/_upload"
    assert env["PING"] == f"http://{PLACEHOLDER_HOST}/ping"
    assert PLACEHOLDER_HOST.endswith(".invalid")


@pytest.mark.parametrize(
    ("page_url", "event", "upload"),
    [
        ("http://localhost:3000/acme/login", "ws://localhost:3000/_event", "http://localhost:3000/_upload"),
        ("http://127.0.0.1:3111/acme/tickets", "ws://127.0.0.1:3111/_event", "http://127.0.0.1:3111/_upload"),
        (
            "https://support.example.com/acme/tickets",
            "wss://support.example.com/_event",
            "https://support.example.com/_upload",
        ),
        (
            "https://10.0.0.5:8443/acme/tickets/TKT-000001",
            "wss://10.0.0.5:8443/_event",
            "https://10.0.0.5:8443/_upload",
        ),
    ],
)
def test_the_rewritten_bundle_uses_the_pages_own_address(tmp_path, page_url, event, upload):
    static = built_bundle(tmp_path)
    assert rewrite_bundle(static) == 3
    env = env_seen_from(static / "assets" / "reflex-env-AbC123.js", page_url)
    assert env["EVENT"] == event
    assert env["UPLOAD"] == upload
    assert env["PING"] == page_url.split("/acme")[0] + "/ping"
    assert env["TRANSPORT"] == "websocket"


def test_a_placeholder_in_an_unknown_form_stops_the_build(tmp_path):
    static = built_bundle(tmp_path, ENV_CHUNK + "var u=`ws://xobito-backend.invalid/_event${q}`;")
    with pytest.raises(UnrecognisedBundle, match=r"placeholder left in assets/reflex-env-AbC123\.js"):
        rewrite_bundle(static)


def test_a_bundle_without_the_addresses_stops_the_build(tmp_path):
    static = built_bundle(tmp_path, "var e={TRANSPORT:`websocket`};export{e as t};")
    with pytest.raises(UnrecognisedBundle, match="no backend address found"):
        rewrite_bundle(static)
