"""An HTTP client for the API tests that holds every answer to the OpenAPI description.

Each response must be one the description lists for its route, method and status, and a JSON
body must validate against the schema given there; `CheckedClient.checked` counts them, so a
test can prove the check ran.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from xobito_web.api import build_http_app
from xobito_web.openapi import openapi_document


@cache
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in openapi_document()["paths"]:
        regex = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        patterns.append((re.compile(regex), template))
    return patterns


def described_operation(method: str, path: str) -> dict[str, Any] | None:
    for pattern, template in _path_patterns():
        if pattern.match(path):
            return openapi_document()["paths"][template].get(method.lower())
    return None


def check_against_description(method: str, path: str, status: int, content_type: str, body: bytes) -> None:
    operation = described_operation(method, path)
    assert operation is not None, f"{method} {path} is not in the OpenAPI description"
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {path} answered {status}, which the description does not list"
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return
    assert content_type.startswith("application/json"), f"{method} {path} {status}: not JSON ({content_type})"
    document = {**schema, "components": openapi_document()["components"]}
    Draft202012Validator(document).validate(json.loads(body))


class CheckedClient(TestClient):
    """Starlette's TestClient over the app's HTTP routes; API answers are checked as they come."""

    def __init__(self, database_url: str):
        super().__init__(build_http_app(database_url=database_url), follow_redirects=False)
        self.checked = 0

    def request(self, method, url, *args, **kwargs):
        response = super().request(method, url, *args, **kwargs)
        path = response.request.url.path
        wants_browser_answer = "application/json" not in response.request.headers.get("accept", "")
        is_form_route = path.endswith(("/reply", "/close")) and "/api/" not in path
        if "/api/" in path or (is_form_route and not wants_browser_answer):
            check_against_description(
                method, path, response.status_code, response.headers.get("content-type", ""), response.content
            )
            self.checked += 1
        return response
