"""docs/protocol.md is the document the code's "§x.y" comments cite: every citation in the
project's Python and Markdown files must name a section it has, and the files it names must exist.

Reads only the repository, so it runs the same on a fresh clone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_DOC = PROJECT_ROOT / "docs" / "protocol.md"

# "§6.5", "§3.4-§3.8" (both ends), "§6.5/§6.7"; a trailing full stop is not part of the number.
CITATION_RE = re.compile(r"§\s?(\d+(?:\.\d+)*)")
HEADING_RE = re.compile(r"^(#{2,4})\s+(\d+(?:\.\d+)*)\.?\s+\S", re.MULTILINE)
# Backticked project paths in the document, e.g. `engine/verification.py` or `tests/golden/`.
PATH_RE = re.compile(r"`((?:[A-Za-z_][\w.-]*/)+[\w.-]*)`")
SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "build", "dist", "test-artifacts"}


def _source_files() -> Iterator[Path]:
    for path in PROJECT_ROOT.rglob("*"):
        if path.suffix not in (".py", ".md") or not path.is_file():
            continue
        parts = path.relative_to(PROJECT_ROOT).parts
        if any(p in SKIPPED_DIRS or p.startswith(".") or p.endswith(".egg-info") for p in parts):
            continue
        yield path


def citations() -> dict[str, list[str]]:
    """Section number -> every place citing it ("path:line")."""
    found: dict[str, list[str]] = {}
    for path in _source_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for lineno, line in enumerate(text.splitlines(), 1):
            for match in CITATION_RE.finditer(line):
                where = f"{path.relative_to(PROJECT_ROOT)}:{lineno}"
                found.setdefault(match.group(1), []).append(where)
    return found


def sections() -> dict[str, int]:
    """Section number -> heading depth, from the document's ##/###/#### headings."""
    text = PROTOCOL_DOC.read_text(encoding="utf-8")
    result: dict[str, int] = {}
    for match in HEADING_RE.finditer(text):
        number = match.group(2)
        assert number not in result, f"docs/protocol.md has section {number} twice"
        result[number] = len(match.group(1))
    return result


def test_every_citation_names_a_section_of_docs_protocol() -> None:
    have = sections()
    cited = citations()
    # Sanity: the scan sees the code's comments (about 160 at the time of writing).
    assert sum(len(v) for v in cited.values()) >= 100, "the § scan found almost nothing"
    missing = {number: places for number, places in cited.items() if number not in have}
    assert not missing, "§ citations to sections docs/protocol.md does not have:\n" + "\n".join(
        f"  §{number}: {', '.join(places[:5])}" for number, places in sorted(missing.items())
    )


def test_sections_are_numbered_consistently() -> None:
    have = sections()
    for number, depth in have.items():
        parts = number.split(".")
        assert depth == len(parts) + 1, f"§{number} is at heading level {depth}"
        if len(parts) > 1:
            parent = ".".join(parts[:-1])
            assert parent in have, f"§{number} has no parent section §{parent}"
    # The numbering follows the team's protocol notes: 0-11, with these subsections.
    expected = {str(n) for n in range(12)} | {f"1.{n}" for n in range(1, 4)}
    expected |= {f"3.{n}" for n in range(1, 10)} | {f"4.{n}" for n in range(1, 5)}
    expected |= {f"6.{n}" for n in range(1, 12)}
    assert expected <= set(have), sorted(expected - set(have))


def test_every_section_says_where_its_facts_come_from() -> None:
    text = PROTOCOL_DOC.read_text(encoding="utf-8")
    heads = list(HEADING_RE.finditer(text))
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = text[head.end() : end]
        number = head.group(2)
        has_children = any(h.group(2).startswith(number + ".") for h in heads)
        if number == "0" or has_children:
            continue  # the key table itself; a chapter whose subsections carry the sources
        assert "Source:" in body, f"§{number} has no 'Source:' line"


def test_paths_named_in_docs_protocol_exist() -> None:
    text = PROTOCOL_DOC.read_text(encoding="utf-8")
    package = PROJECT_ROOT / "qbwc_server"
    top = {p.name for p in PROJECT_ROOT.iterdir() if p.is_dir()}
    subpackages = {p.name for p in package.iterdir() if p.is_dir()}
    stale = []
    for match in PATH_RE.finditer(text):
        path = match.group(1)
        first = path.split("/", 1)[0]
        if first in top:
            exists = (PROJECT_ROOT / path).exists()
        elif first in subpackages:
            exists = (package / path).exists()
        else:
            continue  # ../shared/reference/..., another project's file, a registry key
        if not exists:
            stale.append(path)
    assert not stale, f"docs/protocol.md names files that do not exist: {stale}"


def test_the_citation_pattern_reads_the_forms_the_code_uses() -> None:
    line = "(§3.4-§3.8) §6.5/§6.7: and §6.5. and § 4.1"
    numbers = [m.group(1) for m in CITATION_RE.finditer(line)]
    assert numbers == ["3.4", "3.8", "6.5", "6.7", "6.5", "4.1"]
