"""docs/ is what a newcomer has instead of the issues and reference notes: keep it reachable.

- every `docs/<file>.md#<section>` cited anywhere in the tree (code comments, tests, messages,
  READMEs) names a file and a heading that exist, so a renamed section cannot leave a dangling
  citation behind;
- every relative Markdown link in docs/ and the READMEs resolves, anchor included;
- every source path docs/ names (`sentinel/core/tick.c`, ...) exists, so moving a file without
  updating the documents fails here;
- C comments cite docs/, not the "spec N.M" reference notes the clone does not have;
- the event names docs/http-api.md lists are exactly the table in sentinel/core/notify.c.

Anchors follow GitHub's rule: the heading text lower-cased, punctuation other than '-' and '_'
dropped, spaces turned into '-'.
"""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SKIP_DIRS = {".git", "node_modules", "build", "bin", "corpus"}
TEXT_SUFFIXES = {".c", ".h", ".py", ".md", ".sh", ".txt", ".cfg", ".yaml", ".service"}
CITATION = re.compile(r"docs/([\w-]+\.md)((?:#[\w-]+)?)((?:[ ,\n*/]*(?:and )?#[\w-]+)*)")
MD_LINK = re.compile(r"\]\(([^)#\s]*)(#[^)\s]+)?\)")
SOURCE_PATH = re.compile(r"`((?:sentinel|store|common|tests)/[\w/.-]+\.[ch])`")


def tree_files():
    for path in ROOT.rglob("*"):
        if path.suffix in TEXT_SUFFIXES and path.is_file() and \
                not SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
            yield path


def slug(heading):
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(md_path):
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", md_path.read_text(), re.M)}


def test_every_docs_citation_names_an_existing_section():
    bad, seen = [], 0
    for path in tree_files():
        for m in CITATION.finditer(path.read_text(errors="replace")):
            doc = DOCS / m.group(1)
            seen += 1
            if not doc.exists():
                bad.append(f"{path.relative_to(ROOT)}: no file docs/{m.group(1)}")
                continue
            known = anchors(doc)
            for anchor in re.findall(r"#([\w-]+)", m.group(2) + m.group(3)):
                if anchor not in known:
                    bad.append(f"{path.relative_to(ROOT)}: docs/{m.group(1)} has no #{anchor}")
    assert seen > 30, "the citations were not found: is the pattern still right?"
    assert not bad, "\n".join(bad)


def test_markdown_links_resolve():
    bad = []
    pages = list(DOCS.glob("*.md")) + [ROOT / "README.md", ROOT / "sentinel/ctl/README.md"]
    for page in pages:
        for m in MD_LINK.finditer(page.read_text()):
            target, anchor = m.group(1), m.group(2)
            if re.match(r"[a-z]+:", target):
                continue
            dest = (page.parent / target).resolve() if target else page
            if not dest.exists():
                bad.append(f"{page.relative_to(ROOT)}: {target} does not exist")
            elif anchor and dest.suffix == ".md" and anchor[1:] not in anchors(dest):
                bad.append(f"{page.relative_to(ROOT)}: {target or page.name} has no {anchor}")
    assert not bad, "\n".join(bad)


def test_source_paths_named_by_docs_exist():
    bad = []
    for page in DOCS.glob("*.md"):
        for path in SOURCE_PATH.findall(page.read_text()):
            if not (ROOT / path).exists():
                bad.append(f"{page.relative_to(ROOT)}: {path}")
    assert not bad, "files moved or gone, update docs/:\n" + "\n".join(bad)


def test_c_comments_cite_docs_not_the_reference_notes():
    bad = []
    for folder in ("common", "store", "sentinel"):
        for path in (ROOT / folder).rglob("*.[ch]"):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"\bspec( section)? \d|\bSpec \d+\.\d", line):
                    bad.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not bad, "cite the docs/ section instead:\n" + "\n".join(bad)


def test_http_api_lists_exactly_the_events_the_sentinel_emits():
    notify = (ROOT / "sentinel/core/notify.c").read_text()
    table = re.search(r"event_names\[\] = \{(.*?)\};", notify, re.S)
    assert table, "the event table moved out of sentinel/core/notify.c"
    emitted = set(re.findall(r'"([+-][a-z-]+)"', table.group(1)))
    doc = (DOCS / "http-api.md").read_text()
    section = re.search(r"^### Event types\n(.*?)^## ", doc, re.S | re.M)
    assert section, "docs/http-api.md lost its 'Event types' section"
    listed = set(re.findall(r"`([+-][a-z-]+)`", section.group(1)))
    assert listed == emitted, (f"missing from the docs: {sorted(emitted - listed)}; "
                               f"listed but never emitted: {sorted(listed - emitted)}")
