"""The icons and the composer's small library come in one script file (xobito_web/bundling.py)."""

from __future__ import annotations

import pytest

from xobito_web.bundling import CHUNK, with_ui_libs_chunk

VITE_CONFIG = """export default defineConfig((config) => ({
  build: {
    rollupOptions: {
      output: {
        codeSplitting: {
          groups: [
            {
              test: /env.json/,
              name: "reflex-env",
            },
          ],
        },
      },
    },
  },
}));
"""


def test_the_group_is_added_before_reflex_s_own_and_only_once():
    changed = with_ui_libs_chunk(VITE_CONFIG)
    assert changed.index(f'name: "{CHUNK}"') < changed.index('name: "reflex-env"')
    assert r"[\\/]node_modules[\\/](lucide-react|react-debounce-input|lodash\.debounce)[\\/]" in changed
    assert with_ui_libs_chunk(changed) == changed


def test_a_config_without_groups_stops_the_build():
    with pytest.raises(RuntimeError, match="groups"):
        with_ui_libs_chunk(VITE_CONFIG.replace("groups: [", "chunks: ["))
