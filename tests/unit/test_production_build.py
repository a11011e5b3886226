"""`xobito serve` builds only a missing or stale build, and never one a running server serves."""

from __future__ import annotations

from pathlib import Path

import pytest

from xobito_web import production
from xobito_web.migrations import PROJECT_ROOT
from xobito_web.production import BuildInUse, production_build


class FakeBuilder:
    """Stands in for Reflex's build: writes a page and counts the builds."""

    def __init__(self) -> None:
        self.builds = 0

    def __call__(self, directory: Path) -> None:
        self.builds += 1
        client = directory / production.CLIENT_DIR
        client.mkdir(parents=True, exist_ok=True)
        (client / "index.html").write_text(f"build {self.builds}")


@pytest.fixture
def sources(monkeypatch) -> dict[str, str]:
    """The sources' fingerprint, as a value the test changes (an edit to the app)."""
    current = {"fingerprint": "sources-1"}
    monkeypatch.setattr(production, "source_fingerprint", lambda root=PROJECT_ROOT: current["fingerprint"])
    return current


def served_page(directory: Path) -> str:
    return (directory / production.CLIENT_DIR / "index.html").read_text()


def test_builds_when_missing_then_reuses_the_build(tmp_path, sources):
    web, builder = tmp_path / ".web", FakeBuilder()
    with production_build(web, builder=builder) as directory:
        assert directory == web
    with production_build(web, builder=builder):
        pass
    assert builder.builds == 1
    assert served_page(web) == "build 1"


def test_builds_again_when_the_sources_changed(tmp_path, sources):
    web, builder = tmp_path / ".web", FakeBuilder()
    with production_build(web, builder=builder):
        pass
    sources["fingerprint"] = "sources-2"
    with production_build(web, builder=builder):
        pass
    assert builder.builds == 2
    assert served_page(web) == "build 2"


def test_many_servers_share_one_fresh_build(tmp_path, sources):
    web, builder = tmp_path / ".web", FakeBuilder()
    with production_build(web, builder=builder), production_build(web, builder=builder):
        assert served_page(web) == "build 1"
    assert builder.builds == 1


def test_a_stale_build_that_a_server_serves_is_left_alone(tmp_path, sources):
    web, builder = tmp_path / ".web", FakeBuilder()
    with production_build(web, builder=builder):  # a server running on it
        sources["fingerprint"] = "sources-2"
        with pytest.raises(BuildInUse, match="a running server serves it"), production_build(web, builder=builder):
            pass
        with pytest.raises(BuildInUse), production_build(web, rebuild=True, builder=builder):
            pass
        assert builder.builds == 1
        assert served_page(web) == "build 1"
    # Once that server has stopped, the next start builds.
    with production_build(web, builder=builder):
        assert served_page(web) == "build 2"


def test_an_interrupted_build_is_never_taken_for_fresh(tmp_path, sources):
    web, builder = tmp_path / ".web", FakeBuilder()
    with production_build(web, builder=builder):
        pass
    sources["fingerprint"] = "sources-2"

    def crashing(directory: Path) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), production_build(web, builder=crashing):
        pass
    sources["fingerprint"] = "sources-1"  # even the sources of the last good build
    with production_build(web, builder=builder):
        pass
    assert builder.builds == 2


def test_separate_web_directories_never_wait_for_each_other(tmp_path, sources):
    builder = FakeBuilder()
    with production_build(tmp_path / ".web", builder=builder):
        sources["fingerprint"] = "sources-2"
        with production_build(tmp_path / ".web-test", builder=builder) as other:
            assert served_page(other) == "build 2"
        assert served_page(tmp_path / ".web") == "build 1"


def test_the_fingerprint_covers_what_the_frontend_is_built_from():
    inputs = {str(path.relative_to(PROJECT_ROOT)) for path in production.build_inputs()}
    assert {"rxconfig.py", "xobito_web/xobito_web.py", "xobito_web/pages/ticket_view.py"} <= inputs
    assert "assets/styles.css" in inputs
    assert any(name.startswith("reflex.lock/") for name in inputs)
    assert not any("__pycache__" in name for name in inputs)


def test_the_fingerprint_changes_with_any_input(tmp_path):
    (tmp_path / "xobito_web").mkdir()
    (tmp_path / "rxconfig.py").write_text("config = 1\n")
    page = tmp_path / "xobito_web" / "page.py"
    page.write_text("TITLE = 'a'\n")
    before = production.source_fingerprint(tmp_path)
    page.write_text("TITLE = 'b'\n")
    assert production.source_fingerprint(tmp_path) != before
