"""HTML from mail, two ways: `sanitize_html` makes it safe to show in the sandboxed message frame
(an allowlist of tags and attributes, remote images blocked until asked for), and `html_to_text`
makes it readable as plain text (bodies of HTML-only mail, snippets, search). Both use only the
stdlib `html.parser` and never raise: mail HTML is whatever a sender's tool produced.

The sanitiser re-serialises what the parser saw instead of editing the input, so the browser only
ever reads markup written here: allowlisted tags, quoted and escaped attributes, escaped text, and
every tag it opens closed. Nothing it emits puts the browser in a raw-text context (script, style,
textarea, svg...), which is what keeps parser differences between html.parser and the browser
from turning text back into markup.

html.parser (3.11) takes quadratic time on some unterminated constructs at close(); `_run`
drops such a tail (browsers show nothing of it either), and input length and nesting depth are
capped, so both functions run in time linear in their input.
"""
from __future__ import annotations

import re
from html import escape, unescape
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset({
    "p", "br", "div", "span", "a", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "blockquote",
    "pre", "code", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tfoot", "tr", "td",
    "th", "caption", "colgroup", "col", "img", "hr", "font", "center", "small", "sup", "sub", "strike",
    "del", "ins", "tt", "big", "q", "cite", "abbr", "address", "dl", "dt", "dd", "wbr",
})
VOID_TAGS = frozenset({"br", "hr", "img", "col", "wbr"})
# Dropped together with everything inside them: active content, and containers whose content is
# not meant to be read as part of the message (a <title>, a form's controls).
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "object", "embed", "form", "input", "button", "link", "meta", "base",
    "svg", "math", "applet", "frame", "frameset", "noembed", "noframes", "template", "title",
    "textarea", "select", "xml", "portal",
})
# Of those, the ones that never have content: they must not start a skipped region.
_DROPPED_VOID = frozenset({"input", "link", "meta", "base", "embed", "frame"})
# Presentational attributes old mail templates lay themselves out with; values are checked by
# _PLAIN_VALUE because they are copied through.
_PLAIN_ATTRS = frozenset({
    "colspan", "rowspan", "align", "valign", "width", "height", "border", "cellpadding",
    "cellspacing", "bgcolor", "color", "face", "size", "dir", "start", "type", "span",
})
_TEXT_ATTRS = frozenset({"title", "alt"})
# A block element starting inside an open <p> ends it (as the browser's parser does), so the
# elements the output closes are the ones the browser thinks are open.
_CLOSES_P = frozenset({"div", "ul", "ol", "dl", "table", "blockquote", "pre", "h1", "h2", "h3", "h4",
                       "h5", "h6", "hr", "center", "address"})
_P_SCOPE = frozenset({"div", "td", "th", "li", "blockquote", "table", "center", "dd", "dt", "address"})
# tag -> (open elements it ends, elements that bound the search): a second <li> ends the first.
_IMPLIED_ENDS = {
    **{tag: (frozenset({"p"}), _P_SCOPE) for tag in _CLOSES_P | {"p"}},
    "li": (frozenset({"li"}), frozenset({"ul", "ol"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "tr": (frozenset({"tr"}), frozenset({"table", "thead", "tbody", "tfoot"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl"})),
}
_PLAIN_VALUE = re.compile(r"[\w#%., -]{0,100}\Z")
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_INLINE_IMAGE = re.compile(r"data:image/(png|jpe?g|gif|webp|bmp);", re.I)
# Browsers ignore tabs and newlines anywhere in a URL and controls and spaces around it, so a
# scheme is judged on the URL with those removed ("java\tscript:" is javascript:).
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
_URL_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_URL_TRIM = " \t\n\r\f\v\x00"
_URL_INNER_WS = re.compile(r"[\t\n\r]+")

# Elements a start or end tag of which ends the current line of text (html_to_text).
_TEXT_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "tfoot", "thead", "tr", "ul",
    "caption",
})
# Of those, the ones set off from their neighbours by a blank line.
_TEXT_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table",
                              "ul", "ol", "dl"})
# Not read as text. <head> is not among them: an unclosed one would hide the whole body, and
# what it holds that is not text (title, style) is here by name. <noscript> is shown, as mail
# clients run no scripts.
_TEXT_SKIPPED = frozenset({"script", "style", "title", "template", "svg", "math", "xml", "iframe",
                           "object", "select", "textarea"})
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u034f\u00ad"))
_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u2007\u202f]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]*>?")
# Longer HTML is cut: html.parser reads about a megabyte a second of tag-dense markup.
MAX_HTML_CHARS = 4_000_000
# Deeper nesting is flattened (browsers stop nesting near here too); it bounds every walk of the
# open-element stack, which hostile markup could otherwise make quadratic.
MAX_NESTING = 400
_MAX_OPEN_LINKS = 16


# A '<' that cannot start markup is text to html.parser too, but handed over one character at a
# time; as an entity it travels with the text around it.
_LONE_LT = re.compile(r"<(?![A-Za-z/!?])")


def _run(parser: HTMLParser, html: str) -> None:
    parser.feed(_LONE_LT.sub("&lt;", html[:MAX_HTML_CHARS]))
    # What feed() leaves unparsed starts with a construct that never ends (an unterminated
    # comment, tag or quoted attribute). Browsers show nothing of it; close() would rescan the
    # rest of the document once for every '<' in it, quadratic time on hostile mail. Drop it.
    if getattr(parser, "rawdata", "").startswith("<"):
        parser.rawdata = ""
    parser.close()


def _scheme(url: str) -> str | None:
    match = _URL_SCHEME.match(_URL_IGNORED.sub("", url).lower())
    return match.group(1) if match else None


def _clean_url(url: str) -> str:
    return _URL_INNER_WS.sub("", url.strip(_URL_TRIM))


class _Sanitizer(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skip_tag: str | None = None
        self.skip_depth = 0

    # -- structure -------------------------------------------------------------------------
    def _close_to(self, tag: str) -> None:
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                return

    def _close_open(self, tags: frozenset, boundary: frozenset) -> None:
        """Close an open element of `tags` above the nearest `boundary` element, as the browser
        would on seeing a second <li> or <td>; keeps the output's nesting what it means."""
        for index in range(len(self.open) - 1, -1, -1):
            name = self.open[index]
            if name in boundary:
                return
            if name in tags:
                self._close_to(name)
                return

    def _skipping(self, tag: str, opening: bool) -> bool:
        if not self.skip_depth:
            return False
        if tag == self.skip_tag:
            self.skip_depth += 1 if opening else -1
        return True

    def handle_starttag(self, tag, attrs):
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag, attrs):
        self._start(tag, attrs, closed=True)

    def _start(self, tag: str, attrs, closed: bool) -> None:
        if self._skipping(tag, opening=True):
            return
        if tag in DROPPED_WITH_CONTENT:
            # "<script/>" still opens a script in HTML (the slash is ignored); only foreign
            # content (svg, math) really self-closes.
            if tag not in _DROPPED_VOID and not (closed and tag in ("svg", "math")):
                self.skip_tag, self.skip_depth = tag, 1
            return
        if tag not in ALLOWED_TAGS or (len(self.open) >= MAX_NESTING and tag not in VOID_TAGS):
            return
        implied = _IMPLIED_ENDS.get(tag)
        if implied:
            self._close_open(*implied)
        rendered = "".join(f' {name}="{escape(value, quote=True)}"' for name, value in self._attrs(tag, attrs))
        self.out.append(f"<{tag}{rendered}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if self._skipping(tag, opening=False):
            return
        if tag in ALLOWED_TAGS and tag not in VOID_TAGS and tag in self.open:
            self._close_to(tag)

    def handle_data(self, data):
        if not self.skip_depth and data:
            self.out.append(escape(data, quote=False))

    # comments, doctypes, processing instructions and conditional comments are dropped: the
    # default handlers of HTMLParser ignore them.

    # -- attributes ------------------------------------------------------------------------
    @staticmethod
    def _attrs(tag: str, attrs) -> list[tuple[str, str]]:
        kept: dict[str, str] = {}
        for name, value in attrs:
            value = "" if value is None else value
            if name in kept or name.startswith("on") or name == "style":
                continue
            if tag == "a" and name == "href":
                url = _clean_url(value)
                if _scheme(url) in _LINK_SCHEMES:
                    kept["href"] = url
            elif tag == "img" and name == "src":
                url = _clean_url(value)
                scheme = _scheme(url)
                if scheme in ("http", "https"):
                    kept["data-blocked-src"] = url
                elif scheme == "cid":
                    kept["data-cid"] = url[4:].strip().strip("<>")
                elif scheme == "data" and _INLINE_IMAGE.match(_URL_IGNORED.sub("", url)):
                    kept["src"] = url
            elif name in _TEXT_ATTRS:
                kept[name] = value[:1000]
            elif name in _PLAIN_ATTRS and _PLAIN_VALUE.match(value):
                kept[name] = value
        if tag == "a":
            kept["rel"] = "noopener noreferrer"
            kept["target"] = "_blank"
        return list(kept.items())

    def result(self) -> str:
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out)


def sanitize_html(html: str) -> str:
    """An allowlist sanitiser for showing mail in a sandboxed iframe: keeps formatting tags (p, br,
    div, span, a, b, strong, i, em, u, s, ul, ol, li, blockquote, pre, code, h1-h6, table, thead,
    tbody, tr, td, th, img, hr, font, center, small, sup, sub, and a few more of the same kind) and
    safe attributes (href on a only with http/https/mailto; title, alt, colspan, rowspan, align,
    width, height and other presentational ones with plain values; style is dropped); drops
    script/style/iframe/object/embed/form/input/button/link/meta/base/svg/math and their content,
    every on* attribute, javascript:/data:/vbscript: URLs (data:image/* allowed only for img).
    Remote images are blocked: <img src="http..."> becomes <img data-blocked-src="..." alt=...>
    (the UI can offer "load images"); cid: images are kept as data-cid. Every <a> gets
    rel="noopener noreferrer" target="_blank". Output is well-formed (all tags it opens are
    closed), entities escaped."""
    if not isinstance(html, str):
        html = str(html)
    parser = _Sanitizer()
    try:
        _run(parser, html)
    except Exception:  # html.parser is lenient, but a sanitiser must not have a failure mode:
        # show the text with every tag removed rather than anything half-parsed
        return escape(unescape(_TAG.sub(" ", html)), quote=False)
    return parser.result()


class _Texter(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.line_is_pre = False
        self.skip: list[str] = []
        self.pre = 0
        self.quote = 0
        self.lists = 0
        self.links: list[tuple[str, int]] = []  # (href, index in self.line where its text starts)
        self.pending_blank = False

    def _flush(self, force: bool = False) -> None:
        if self.line_is_pre:
            text = "".join(self.line).rstrip()
        else:
            text = _SPACES.sub(" ", "".join(self.line)).strip()
        self.line, self.line_is_pre = [], False
        self.links = []
        if not text and not force:
            return
        if text and self.pending_blank and self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.pending_blank = False
        prefix = "> " * self.quote
        self.lines.append((prefix + text).rstrip() if text or not prefix else prefix.rstrip())

    def _block(self, tag: str) -> None:
        self._flush()
        if tag in _TEXT_PARAGRAPHS:
            self.pending_blank = True

    def handle_starttag(self, tag, attrs):
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.append(tag)
            return
        if tag in _TEXT_SKIPPED:
            self.skip.append(tag)
            return
        if tag == "br":
            self._flush(force=True)
        elif tag == "hr":
            self._flush()
            self.lines.append("-" * 20)
        elif tag in _TEXT_BLOCKS:
            self._block(tag)
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag in ("ul", "ol"):
                self.lists += 1
            elif tag == "li":
                self.line.append("  " * max(self.lists - 1, 0) + "- ")
        elif tag in ("td", "th") and self.line:
            self.line.append(" ")
        elif tag == "a":
            href = next((value for name, value in attrs if name == "href" and value), None)
            if href and len(self.links) < _MAX_OPEN_LINKS:
                self.links.append((_clean_url(href), len(self.line)))
        elif tag == "img":
            pass  # images carry no text worth reading; alt texts are mostly "logo"

    def handle_startendtag(self, tag, attrs):
        if tag in _TEXT_SKIPPED and tag in ("svg", "math"):
            return  # foreign content really self-closes; "<script/>" opens a script all the same
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            label = _SPACES.sub(" ", "".join(self.line[start:])).strip()
            shown = href[7:] if href.lower().startswith("mailto:") else href
            if _scheme(href) in _LINK_SCHEMES and shown and shown not in (label, label.rstrip("/")) \
                    and href.rstrip("/") != label.rstrip("/"):
                self.line.append(f" ({shown})" if label else shown)
        elif tag in _TEXT_BLOCKS:
            self._block(tag)
            if tag == "blockquote" and self.quote:
                self.quote -= 1
            elif tag == "pre" and self.pre:
                self.pre -= 1
            elif tag in ("ul", "ol") and self.lists:
                self.lists -= 1

    def handle_data(self, data):
        if self.skip or not data:
            return
        data = data.translate(_ZERO_WIDTH)
        if not self.pre:
            self.line.append(data)
            return
        pieces = data.replace("\r\n", "\n").split("\n")
        for index, piece in enumerate(pieces):
            if index:
                self.line_is_pre = True
                self._flush(force=True)
            self.line.append(piece)
            self.line_is_pre = True

    def result(self) -> str:
        self._flush()
        text = "\n".join(self.lines).strip("\n")
        return _BLANK_RUNS.sub("\n\n", text)


def html_to_text(html: str) -> str:
    """Readable plain text from HTML: block elements become line breaks, <br> a newline, list items
    "- ", links "text (url)" when they differ, blockquotes "> ", script/style dropped, entities
    decoded, runs of blank lines collapsed."""
    if not isinstance(html, str):
        html = str(html)
    parser = _Texter()
    try:
        _run(parser, html)
        return parser.result()
    except Exception:  # never fail a message over its HTML: fall back to stripping tags
        text = _SPACES.sub(" ", unescape(_TAG.sub(" ", html)).translate(_ZERO_WIDTH))
        return text.strip()
