"""The browser fixtures live in tests/browser_fixtures.py (the security suite uses them too)."""

from tests.browser_fixtures import Workspace, make_workspace

__all__ = ["Workspace", "make_workspace"]
