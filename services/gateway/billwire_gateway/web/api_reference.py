"""The API reference at /schema served whole by Billwire: Swagger UI's files come from the
swagger-ui-bundle package, so the page works offline and tells no CDN about the visit."""

from __future__ import annotations

from litestar import Router
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/schema-assets"


def swagger_plugin() -> SwaggerRenderPlugin:
    return SwaggerRenderPlugin(
        path=["/", "/swagger"], js_url=f"{ASSETS}/swagger-ui-bundle.js", css_url=f"{ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
    )


def assets_router() -> Router:
    return create_static_files_router(
        path=ASSETS, directories=[str(swagger_ui_path)], name="api_reference_assets", include_in_schema=False,
    )
