"""RTF, which Word and WPS also save under a .doc name: its text, without the tables of fonts, styles and pictures."""

from __future__ import annotations

import codecs
import re

_TOKEN = re.compile(rb"\\([a-z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-z])|([{}])|[\r\n]+|([^\\{}\r\n]+)")
# Groups that hold no text of the document: tables, metadata, pictures, embedded objects, field codes
# (their result, \fldrslt, is text). A group opening with \* is an optional destination: skipped too.
_SKIPPED = frozenset(
    {
        "fonttbl",
        "colortbl",
        "stylesheet",
        "info",
        "pict",
        "object",
        "objdata",
        "fldinst",
        "themedata",
        "colorschememapping",
        "datastore",
        "latentstyles",
        "listtable",
        "listoverridetable",
        "rsidtbl",
        "generator",
        "xmlnstbl",
        "header",
        "headerl",
        "headerr",
        "headerf",
        "footer",
        "footerl",
        "footerr",
        "footerf",
        "filetbl",
        "revtbl",
        "pgdsctbl",
        "shppict",
        "nonshppict",
        "bkmkstart",
        "bkmkend",
        "xe",
        "tc",
    }
)
_WORDS = {
    "par": "\n",
    "line": "\n",
    "sect": "\n",
    "page": "\n",
    "row": "\n",
    "cell": "\t",
    "tab": "\t",
    "emdash": "—",
    "endash": "–",
    "lquote": "‘",
    "rquote": "’",
    "ldblquote": "“",
    "rdblquote": "”",
    "bullet": "•",
    "emspace": " ",
    "enspace": " ",
}
_SYMBOLS = {b"~": "\u00a0", b"_": "-", b"-": "", b"\\": "\\", b"{": "{", b"}": "}"}


def _codec(page: int | None) -> str:
    name = f"cp{page}" if page else "cp1252"
    try:
        return "gb18030" if page == 936 else codecs.lookup(name).name
    except LookupError:
        return "cp1252"


class _State:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.pending = bytearray()  # \'hh bytes, decoded together: a GBK character is two of them
        self.codec = "cp1252"
        self.stack: list[tuple[bool, int]] = []
        self.skip, self.uc, self.drop = False, 1, 0  # drop: fallback characters still to skip after a \uN

    def text(self, value: str) -> None:
        self.flush()
        if not self.skip:
            self.out.append(value)

    def flush(self) -> None:
        if self.pending and not self.skip:
            self.out.append(bytes(self.pending).decode(self.codec, "replace"))
        self.pending.clear()


def rtf_text(data: bytes) -> str:
    """The text of an RTF file: paragraphs on lines, table cells tab-separated."""
    state = _State()
    group_start = False
    for word, arg, hexa, symbol, brace, plain in (m.groups() for m in _TOKEN.finditer(data)):
        opening, group_start = group_start, False
        if brace == b"{":
            state.flush()
            state.stack.append((state.skip, state.uc))
            group_start = True
        elif brace == b"}":
            state.flush()
            state.skip, state.uc = state.stack.pop() if state.stack else (state.skip, state.uc)
        elif hexa:
            if state.drop:
                state.drop -= 1
            else:
                state.pending.append(int(hexa, 16))
        elif symbol:
            state.skip = state.skip or (opening and symbol == b"*")
            state.text(_SYMBOLS.get(symbol, ""))
        elif word:
            _control(state, word.decode(), int(arg) if arg else None, opening)
        elif plain:
            text = plain.decode(state.codec, "replace")
            cut = min(state.drop, len(text))
            state.drop -= cut
            state.text(text[cut:])
    state.flush()
    # \uN gives a character beyond the BMP as two surrogates: joined here.
    text = "".join(state.out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _control(state: _State, word: str, arg: int | None, opening: bool) -> None:
    if word in _SKIPPED and opening:
        state.skip = True
    elif word == "ansicpg":
        state.codec = _codec(arg)
    elif word == "uc" and arg is not None:
        state.uc = arg
    elif word == "u" and arg is not None:
        state.text(chr(arg + 65536 if arg < 0 else arg))
        state.drop = state.uc
    elif word in _WORDS:
        state.text(_WORDS[word])
