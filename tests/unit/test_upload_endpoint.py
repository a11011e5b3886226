"""The composers' files reach Reflex's upload endpoint, which Reflex serves only for an app that
renders its drop-zone component (the composers use the browser's own file input)."""

from __future__ import annotations

from reflex.utils import prerequisites

from xobito_web.xobito_web import app


def test_the_upload_endpoint_is_served_on_a_fresh_build(tmp_path, monkeypatch):
    # No marker left by an earlier build of the checkout: only the app's own request counts.
    monkeypatch.setattr(prerequisites, "get_backend_dir", lambda: tmp_path)
    assert app._api is not None
    before = [getattr(route, "path", None) for route in app._api.routes].count("/_upload")
    app._add_optional_endpoints()
    assert [getattr(route, "path", None) for route in app._api.routes].count("/_upload") > before
