"""Logos: decompression bombs are refused before decoding, big logos are scaled to what a page
needs, and no URL of any form (image-set() too) survives the SVG sanitizer."""

from __future__ import annotations

import io

from PIL import Image

from tests.stack import Stack, ready_account


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, "PNG", optimize=True)  # one colour: compresses to almost nothing
    return out.getvalue()


async def test_a_decompression_bomb_is_refused_and_a_big_logo_scaled(stack: Stack) -> None:
    api = await ready_account(stack, "Bomb GmbH")
    bomb = png(6000, 6000)
    assert len(bomb) < 200_000
    refused = await api.post("/settings/profile/logo", files={"file": ("logo.png", bomb, "image/png")})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"][0]["field"] == "file"
    assert "pixels" in refused.json()["error"]["message"]

    big = png(3000, 1000)
    accepted = await api.post("/settings/profile/logo", files={"file": ("logo.png", big, "image/png")})
    assert accepted.status_code == 200, accepted.text
    stored = await stack.invoices.pool.fetchval(
        "SELECT l.data FROM invoices.logos l JOIN invoices.accounts a ON a.id = l.account_id WHERE a.profile->>'company_name' = $1",
        "Bomb GmbH",
    )
    with Image.open(io.BytesIO(bytes(stored))) as logo:
        assert max(logo.size) == 1600 and logo.size == (1600, 533), logo.size


async def test_no_url_survives_the_svg_sanitizer(stack: Stack) -> None:
    api = await ready_account(stack, "Image Set GmbH")
    hostile = [
        '<style>rect { fill: red; background-image: image-set("http://127.0.0.1:1/a.png" 1x); }</style>',
        '<style>rect { background: -webkit-image-set("http://127.0.0.1:1/a.png" 1x); }</style>',
        '<style>rect { background: IMAGE-SET(\'//evil.example/a.png\' 2x); }</style>',
        '<style>rect { background: cross-fade("http://127.0.0.1:1/a.png", "b.png", 50%); }</style>',
        '<rect width="5" height="5" style="background: image-set(&quot;http://127.0.0.1:1/a.png&quot; 1x)"/>',
        '<rect width="5" height="5" style="background: -webkit-image-set(\'http://127.0.0.1:1/a.png\' 1x)"/>',
    ]
    for part in hostile:
        svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">{part}<rect width="10" height="10" fill="#123"/></svg>'
        response = await api.post("/settings/profile/logo", files={"file": ("logo.svg", svg.encode(), "image/svg+xml")})
        assert response.status_code == 200, response.text
        stored = await stack.invoices.pool.fetchval(
            "SELECT l.data FROM invoices.logos l JOIN invoices.accounts a ON a.id = l.account_id"
            " WHERE a.profile->>'company_name' = $1", "Image Set GmbH",
        )
        text = bytes(stored).decode().lower().replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not any(word in text for word in ("image-set", "http", "//evil", "cross-fade", ".png")), text
        assert 'fill="#123"' in text  # the harmless rest stays


async def test_an_upload_with_another_part_than_file_is_refused_naming_it(stack: Stack) -> None:
    """As the OpenAPI document says (one part, `file`): a misnamed or extra part is not dropped silently."""
    api = await ready_account(stack, "Parts GmbH")
    response = await api.post("/settings/profile/logo", files={"file": ("logo.png", png(10, 10), "image/png")},
                              data={"caption": "our logo"})
    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["error"]["details"]] == ["caption"]
    assert await stack.invoices.pool.fetchval(
        "SELECT count(*) FROM invoices.logos l JOIN invoices.accounts a ON a.id = l.account_id WHERE a.profile->>'company_name' = $1",
        "Parts GmbH",
    ) == 0
