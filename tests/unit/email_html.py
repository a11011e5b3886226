"""Read the HTML part of an email the way its reader sees it (for the notification tests)."""

from __future__ import annotations

from html.parser import HTMLParser


class HtmlBlocks(HTMLParser):
    """The HTML part as a reader sees it: (element, its text) for each paragraph, quote, list
    item, table cell and link, in order; plus every element and link address used."""

    BLOCKS = ("p", "blockquote", "li", "th", "td", "a")

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self.tags: set[str] = set()
        self.hrefs: list[str] = []
        self._open: list[tuple[str, list[str]]] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        if tag == "br":  # the one line break HTML shows; line breaks in the source are spaces
            for _, parts in self._open:
                parts.append("\n")
        if tag in self.BLOCKS:
            self._open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS and self._open and self._open[-1][0] == tag:
            _, parts = self._open.pop()
            lines = "".join(parts).split("\n")
            self.blocks.append((tag, "\n".join(" ".join(line.split()) for line in lines).strip("\n")))

    def handle_data(self, data: str) -> None:
        for _, parts in self._open:
            parts.append(data.replace("\n", " "))
