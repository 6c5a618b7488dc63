"""DOCX (Office Open XML word processing): paragraphs as lines, table rows as lines of tab-separated cells."""

from __future__ import annotations

from parsers.attachments.limits import DEFAULT_LIMITS, Limits, Zip
from parsers.attachments.xmlparts import TextBudget, free, local, parent_is, parse, walk

MAIN_PART = "word/document.xml"
_OFFICE_DOCUMENT = "/officeDocument"  # the relationship type's end, in transitional and strict OOXML
# Run content that prints as a character (w:tab also names tab stops in paragraph properties: only a
# run's counts).
_RUN_CHARACTERS = {"tab": "\t", "br": "\n", "cr": "\n", "noBreakHyphen": "-"}
# mc:Fallback repeats its mc:Choice (a text box drawn twice, for old readers): read once.
_SKIPPED = frozenset({"Fallback"})


def main_part(archive: Zip) -> str:
    """The document part the package's relationships name (word/document.xml by default)."""
    if not archive.has("_rels/.rels"):
        return MAIN_PART
    for rel in parse(archive, "_rels/.rels"):
        if (rel.get("Type") or "").endswith(_OFFICE_DOCUMENT) and rel.get("Target"):
            target = str(rel.get("Target")).lstrip("/")
            return target if archive.has(target) else MAIN_PART
    return MAIN_PART


class _Lines:
    """Paragraphs, cells and rows as they open and close; a row becomes one line, a cell's paragraphs one cell."""

    def __init__(self, budget: TextBudget) -> None:
        self.lines: list[str] = []
        self.paragraphs: list[list[str]] = []
        self.cells: list[list[str]] = []
        self.rows: list[list[str]] = []
        self.budget = budget

    def put(self, text: str) -> None:
        if self.paragraphs:
            self.paragraphs[-1].append(self.budget.add(text))

    def close_paragraph(self) -> None:
        self._emit("".join(self.paragraphs.pop()).strip())

    def close_cell(self) -> None:
        cell = " ".join(self.cells.pop())
        if self.rows:
            self.rows[-1].append(cell)

    def close_row(self) -> None:
        self._emit("\t".join(self.rows.pop() if self.rows else []).rstrip())

    def _emit(self, text: str) -> None:
        if self.cells:
            self.cells[-1].append(text)
        elif text:
            self.lines.append(text)


_OPEN = {"p": lambda s: s.paragraphs.append([]), "tc": lambda s: s.cells.append([]), "tr": lambda s: s.rows.append([])}
_CLOSE = {"p": _Lines.close_paragraph, "tc": _Lines.close_cell, "tr": _Lines.close_row}


def docx_text(data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """The text of a DOCX's main part: paragraphs on lines, a table row per line with its cells tab-separated."""
    archive = Zip(data, limits)
    state, skipping = _Lines(TextBudget(limits.text_chars)), 0
    for event, element in walk(archive, main_part(archive)):
        name = local(element.tag)
        if name in _SKIPPED:
            skipping += 1 if event == "start" else -1
        elif skipping:
            continue
        elif event == "start":
            _OPEN.get(name, _ignore)(state)
        elif name == "t":
            state.put(element.text or "")
        elif name in _RUN_CHARACTERS and parent_is(element, "r"):
            state.put(_RUN_CHARACTERS[name])
        elif name in _CLOSE:
            _CLOSE[name](state)
            if not state.paragraphs and not state.cells:
                free(element)
    return "\n".join(state.lines)


def _ignore(_state: _Lines) -> None:
    return None
