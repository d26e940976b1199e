"""Generate the sync twin of every async source file, so each twin pair has one source.

The async code is the source: its ``await``/``async`` tokens mark every point of I/O, and
removing them is lossless, while adding them would need knowledge a script does not have.
Each pair in ``PAIRS`` names an async source and the sync file generated from it. ``RULES`` are
token rules applied on word boundaries (``aread`` becomes ``read``, ``areader`` stays), over
code, strings and comments alike, so that docstrings follow the code they describe. A line
ending in ``# unasync: remove`` is left out of the sync file; a line ending in
``# unasync: sync=<text>`` becomes ``<text>`` at the same indentation (taken verbatim). The
result goes through ``ruff check --select I,F401 --fix`` (imports the sync side no longer
needs are dropped, the rest re-sorted after renames) and
``ruff format``.

    python scripts/unasync.py            # write every sync target
    python scripts/unasync.py --check    # exit 1 naming each stale target, writing nothing

Both modes fail when a rule was used by no pair, so the rule table cannot rot.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "PAIRS",
    "RULES",
    "Pair",
    "RuffMissingError",
    "TokenRules",
    "main",
    "render",
    "unasync_text",
]

ROOT = Path(__file__).resolve().parents[1]

RULES: dict[str, str] = {
    # keywords
    "async def": "def",
    "async with": "with",
    "async for": "for",
    "await ": "",
    # protocols and types
    "AsyncTransport": "Transport",
    "AsyncTransportSpec": "TransportSpec",
    "AsyncTransportContract": "TransportContract",
    "AsyncProxyCases": "ProxyCases",
    "AsyncSessionFactory": "SessionFactory",
    "__anext__": "__next__",
    # the async names of the Transport and Response interface
    "asend": "send",
    "aread": "read",
    "aclose": "close",
    "aiter_bytes": "iter_bytes",
    # the contract suite's fixtures
    "async_transport_factory": "transport_factory",
    "async_session_transport_factory": "session_transport_factory",
    # a private event loop becomes a plain call in the caller's thread
    "EventLoop": "InlineLoop",
    # the client: its driver, and the hand-written pair of what truly differs (tasks, threads)
    "AsyncIterator": "Iterator",
    "AsyncDriver": "SyncDriver",
    "_aio_driver": "_sync_driver",
    "_io_async": "_io_sync",
    "AsyncWorkitems": "Workitems",
    # the client and the mixins of its QIDO-RS and WADO-RS methods
    "AsyncDicomClient": "DicomClient",
    "AsyncSearchMethods": "SearchMethods",
    "_aio_search": "_sync_search",
    "AsyncRetrieveMethods": "RetrieveMethods",
    "_aio_retrieve": "_sync_retrieve",
    # the Azure APIs' namespace object, made by both clients
    "AsyncAzure": "Azure",
    "_azure_aio": "_azure_sync",
}
"""Token -> sync replacement, for every pair. Add a rule here when a second pair needs it."""


@dataclass(frozen=True)
class Pair:
    """One async source and its generated sync twin, paths relative to the repository root.

    ``rules`` holds the rare renames only this pair needs; they win over ``RULES``.
    """

    source: str
    target: str
    rules: Mapping[str, str] = field(default_factory=dict)


PAIRS: tuple[Pair, ...] = (
    Pair(
        "dicomkit/testing/contract/_async.py",
        "dicomkit/testing/contract/_sync.py",
        # concurrency is what truly differs: tasks there, threads here (hand-written pair)
        {"_tasks": "_threads", "TaskCases": "ThreadCases", "_proxies_async": "_proxies_sync"},
    ),
    Pair(
        "dicomkit/testing/contract/_proxies_async.py",
        "dicomkit/testing/contract/_proxies_sync.py",
        {"_tasks": "_threads"},
    ),
    Pair(
        "dicomkit/client/_aio_driver.py",
        "dicomkit/client/_sync_driver.py",
        {
            "AsyncGenerator": "Generator",
            "__aenter__": "__enter__",
            "__aexit__": "__exit__",
            "aheaders": "headers",
            "arefresh": "refresh",
        },
    ),
    Pair(
        "dicomkit/transports/_flows_async.py",
        "dicomkit/transports/_flows_sync.py",
        {
            "afollow_redirects": "follow_redirects",
            "astream_chunks": "stream_chunks",
            "AsyncSend": "Send",
            "AsyncDiscard": "Discard",
        },
    ),
    Pair(
        "dicomkit/client/aio.py",
        "dicomkit/client/sync.py",
        {"_aio_workitems": "_sync_workitems"},
    ),
    Pair("dicomkit/client/_aio_search.py", "dicomkit/client/_sync_search.py"),
    Pair(
        "dicomkit/client/_aio_retrieve.py",
        "dicomkit/client/_sync_retrieve.py",
        {"_aio_frames": "_sync_frames", "aclosing": "closing"},
    ),
    Pair("dicomkit/client/_aio_workitems.py", "dicomkit/client/_sync_workitems.py"),
    Pair(
        "dicomkit/client/_aio_frames.py",
        "dicomkit/client/_sync_frames.py",
        {"AsyncGenerator": "Generator"},
    ),
    Pair(
        "dicomkit/client/_azure_aio.py",
        "dicomkit/client/_azure_sync.py",
        {
            "_aio_driver": "_sync_driver",
            "AsyncAzureOperations": "AzureOperations",
            "AsyncExtendedQueryTags": "ExtendedQueryTags",
        },
    ),
)

MARKER = re.compile(
    r"^(?P<indent>\s*)(?P<code>.*?)\s*# unasync: (?P<verb>remove|sync=(?P<text>.*))$"
)
"""A trailing ``# unasync: remove`` or ``# unasync: sync=<text>`` on a source line."""


class RuffMissingError(RuntimeError):
    """ruff formats the generated files; without it they could not match the checked-in ones."""


class TokenRules:
    """Rename tokens in one pass (no rule sees another rule's output) and count each use."""

    def __init__(self, rules: Mapping[str, str]) -> None:
        self._rules = dict(rules)
        # the longest token first, so a token that begins another one never cuts it short
        tokens = sorted(self._rules, key=len, reverse=True)
        self._pattern = re.compile("|".join(_bounded(token) for token in tokens) or "(?!)")
        self.used: Counter[str] = Counter()

    def apply(self, line: str) -> str:
        return self._pattern.sub(self._replace, line)

    def _replace(self, match: re.Match[str]) -> str:
        self.used[match.group()] += 1
        return self._rules[match.group()]


def _bounded(token: str) -> str:
    """The token as a regex, with a word boundary at each end that is a word character."""
    start = r"\b" if re.match(r"\w", token[0]) else ""
    end = r"\b" if re.match(r"\w", token[-1]) else ""
    return start + re.escape(token) + end


def unasync_text(source: str, rules: TokenRules) -> str:
    """The sync text of one async source: markers honoured, tokens renamed; not formatted."""
    lines: list[str] = []
    for line in source.splitlines(keepends=True):
        marked = MARKER.match(line.rstrip("\n"))
        if marked is None:
            lines.append(rules.apply(line))
        elif marked["text"] is not None:
            lines.append(f"{marked['indent']}{marked['text'].strip()}\n")
    return "".join(lines)


def _ruff_command() -> list[str]:
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    if found is None:
        raise RuffMissingError(
            "scripts/unasync.py needs ruff to format what it generates: pip install ruff"
        )
    return [found]


def _ruff(root: Path, arguments: Sequence[str], text: str) -> str:
    done = subprocess.run(
        [*_ruff_command(), *arguments, "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ruff {' '.join(arguments)} failed:\n{done.stderr}")
    return done.stdout


_SYNC_FIXES = "I,F401,UP028,C416"
"""What removing ``async`` leaves to tidy: imports, and ``for x in it: yield x`` /
``[x for x in it]`` (an async loop becomes ``yield from it`` / ``list(it)``)."""
_FIX = ["--fix", "--unsafe-fixes", "--exit-zero", "--quiet"]


def render(root: Path, pair: Pair, rules: TokenRules) -> str:
    """The full sync file for one pair: header, converted source, imports sorted, formatted."""
    source = (root / pair.source).read_text(encoding="utf-8")
    header = (
        f"# Generated from {pair.source} by scripts/unasync.py.\n"
        "# Do not edit: change the async source and run `python scripts/unasync.py`.\n"
    )
    text = header + unasync_text(source, rules)
    name = ["--stdin-filename", str(root / pair.target)]
    text = _ruff(root, ["check", "--select", _SYNC_FIXES, *_FIX, *name], text)
    return _ruff(root, ["format", "--quiet", *name], text)


def _short_diff(old: str, new: str, target: str, limit: int = 40) -> str:
    lines = list(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            f"{target} (checked in)",
            f"{target} (generated)",
        )
    )
    cut = [f"... {len(lines) - limit} more diff lines\n"] if len(lines) > limit else []
    return "".join(lines[:limit] + cut)


def run(root: Path, pairs: Iterable[Pair], rules: Mapping[str, str], check: bool) -> int:
    """Generate (or, with ``check``, compare) every pair; the number of problems found."""
    problems = 0
    used: set[str] = set()
    for pair in pairs:
        token_rules = TokenRules({**rules, **pair.rules})
        generated = render(root, pair, token_rules)
        used.update(token_rules.used)
        unused_own = sorted(set(pair.rules) - set(token_rules.used))
        for token in unused_own:
            print(f"unasync: rule {token!r} of {pair.source} was never used", file=sys.stderr)
            problems += 1
        target = root / pair.target
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current == generated:
            continue
        if check:
            print(f"unasync: {pair.target} is stale (run python scripts/unasync.py)")
            print(_short_diff(current, generated, pair.target))
            problems += 1
        else:
            target.write_text(generated, encoding="utf-8")
            print(f"unasync: wrote {pair.target}")
    for token in sorted(set(rules) - used):
        print(f"unasync: rule {token!r} was never used by any pair", file=sys.stderr)
        problems += 1
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="write nothing; fail if stale")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (for tests)")
    options = parser.parse_args(argv)
    try:
        problems = run(options.root, PAIRS, RULES, options.check)
    except RuffMissingError as missing:
        print(f"unasync: {missing}", file=sys.stderr)
        return 2
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
