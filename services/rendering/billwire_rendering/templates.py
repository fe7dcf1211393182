"""Jinja2 templates of the package: every value autoescaped, unknown names an error."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from billwire_rendering.layout import TEMPLATE, View, build_view
from billwire_shared.contracts.rendering import RenderInput


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("billwire_rendering", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class Page:
    """The HTML of a document and of its footer (page X of Y, legal details)."""

    html: str
    footer: str
    template: str = TEMPLATE


def render_view(view: View) -> Page:
    env = environment()
    return Page(
        html=env.get_template("document.html.j2").render(v=view),
        footer=env.get_template("footer.html.j2").render(v=view),
    )


def render_page(source: RenderInput) -> Page:
    return render_view(build_view(source))
