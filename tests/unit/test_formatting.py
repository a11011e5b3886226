"""How message text and times are prepared for the screen (xobito_web/formatting.py)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from xobito_web.formatting import TextPiece, iso_time, linked_text


def links(text: str) -> list[str]:
    return [piece.href for piece in linked_text(text) if piece.href]


def test_the_pieces_put_back_together_are_the_text_as_typed():
    text = "See https://example.com/a?b=1&c=<2>, or <script>alert(1)</script> javascript:alert(1)."
    assert "".join(piece.text for piece in linked_text(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "ftp://example.com/file",
        "<a href='javascript:alert(1)'>click</a>",
        "//evil.example.com/path",
    ],
)
def test_only_http_and_https_addresses_become_links(text):
    assert links(text) == []
    assert linked_text(text) == [TextPiece(text)]


def test_web_addresses_become_links_without_a_sentence_s_punctuation():
    assert links("Look at https://example.com/docs. And http://x.example/a,b!") == [
        "https://example.com/docs",
        "http://x.example/a,b",
    ]
    assert links("(see https://en.wikipedia.org/wiki/Foo_(bar))") == ["https://en.wikipedia.org/wiki/Foo_(bar)"]
    assert links("HTTPS://EXAMPLE.COM/x") == ["HTTPS://EXAMPLE.COM/x"]
    assert links("quoted 'https://example.com/q' and <https://example.com/angle>") == [
        "https://example.com/q",
        "https://example.com/angle",
    ]


def test_the_iso_time_is_utc_whatever_the_zone_it_came_in():
    moment = datetime(2026, 3, 1, 23, 30, 5, tzinfo=timezone(timedelta(hours=-5)))
    assert iso_time(moment) == "2026-03-02T04:30:05Z"
    assert iso_time(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
