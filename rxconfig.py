import reflex as rx
from reflex_components_radix.plugin import RADIX_THEMES_PACKAGE

from xobito_web.bundling import FewerChunks
from xobito_web.config import settings
from xobito_web.frontend_origin import BackendAtPageOrigin
from xobito_web.radix_styles import UsedRadixThemes

config = rx.Config(
    app_name="xobito_web",
    db_url=settings.database_url,
    redis_url=settings.redis_url or None,
    # Without Redis (one process) the tab states live in memory. Reflex's default disk manager
    # keeps them in memory as well, and also pickles every changed tab to files and re-lists that
    # folder every 2 s (5,000 files for 500 tabs): CPU taken from live updates, for files that
    # `xobito serve` deletes when it starts anyway.
    **({} if settings.redis_url else {"state_manager_mode": rx.constants.StateManagerMode.MEMORY}),
    # router.session.client_ip then comes from X-Forwarded-For through this many proxies.
    trusted_proxy_hops=settings.trusted_proxy_hops,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Browsers may share responses (with cookies) with the app's own public origin only.
    cors_allowed_origins=[settings.public_origin],
    plugins=[
        UsedRadixThemes(),  # only the Radix Themes CSS the app uses, none of its JavaScript
        BackendAtPageOrigin(),  # one build serves any host and port (see frontend_origin.py)
        FewerChunks(),  # the icons and the composer's small library in one script file
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
    frontend_packages=[RADIX_THEMES_PACKAGE],  # for its stylesheet
)
