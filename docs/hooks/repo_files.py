"""MkDocs hook: links from the docs to the project's own files (configs, CSVs, scripts, figures).

The pages link to files outside ``docs/`` by their path in the repository
(``../../experiments/synthetic/gaussian.toml`` from ``docs/results/``), so the links work when
the Markdown is read in the repository. MkDocs only serves files under ``docs/``: this hook copies
each such file into the site under ``_repo/`` and points the link there, so the site's links work
too and ``mkdocs build --strict`` still fails on any link that leads nowhere. A link to a folder
or to a Markdown file outside ``docs/`` (``experiments/README.md``) keeps its text and loses the
link in the site: the site has no folder listing, and that Markdown is not one of its pages.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mkdocs.structure.files import File

LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(([^)\s#]+)(#[^)\s]*)?\)")
PREFIX = "_repo"


def _outside_target(page_path: Path, target: str, docs: Path, root: Path) -> Path | None:
    """The repository file or folder a relative link names, when it lies outside ``docs/``."""
    if "://" in target or target.startswith(("/", "mailto:")):
        return None
    resolved = (page_path.parent / target).resolve()
    if resolved.is_relative_to(docs) or not resolved.is_relative_to(root) or not resolved.exists():
        return None
    return resolved


def _copied(target: Path) -> bool:
    """Whether the site gets a copy of this repository file (not folders, not Markdown)."""
    return target.is_file() and target.suffix != ".md"


def on_files(files, config):
    docs = Path(config["docs_dir"]).resolve()
    root = docs.parent
    wanted = set()
    for page in [f for f in files if f.src_uri.endswith(".md")]:
        path = Path(page.abs_src_path)
        for match in LINK.finditer(path.read_text(encoding="utf-8")):
            target = _outside_target(path, match.group(3), docs, root)
            if target is not None and _copied(target):
                wanted.add(target)
    for target in sorted(wanted):
        src_uri = f"{PREFIX}/{target.relative_to(root).as_posix()}"
        files.append(File.generated(config, src_uri, abs_src_path=str(target)))
    return files


def on_page_markdown(markdown, page, config, files):
    docs = Path(config["docs_dir"]).resolve()
    root = docs.parent
    path = Path(page.file.abs_src_path)

    def rewrite(match: re.Match) -> str:
        bang, text, target, anchor = match.group(1), match.group(2), match.group(3), match.group(4) or ""
        resolved = _outside_target(path, target, docs, root)
        if resolved is None:
            return match.group(0)
        if not _copied(resolved):
            return text
        copied = f"{PREFIX}/{resolved.relative_to(root).as_posix()}"
        link = os.path.relpath(copied, start=os.path.dirname(page.file.src_uri) or ".")
        return f"{bang}[{text}]({Path(link).as_posix()}{anchor})"

    return LINK.sub(rewrite, markdown)
