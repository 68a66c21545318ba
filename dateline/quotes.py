"""Quote verification: find each quote in its source's text, journalistic conventions allowed."""

from __future__ import annotations

import heapq
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property
from typing import Iterator

MIN_QUOTE_WORDS = 4
MAX_INSERTION_WORDS = 12
# Bounds that keep a pathological quote (a piece like "the" before an omission) cheap.
_MAX_OCCURRENCES = 2000
_CANDIDATE_WINDOWS = 8
_REFINE_WORDS = 3

# Single and double marks fold together because quoting a quote turns “…” into '…'.
_QUOTE_MARKS = "\"'`‘’‚‛“”„‟«»‹›′″‵‶ʼ「」『』〝〞〟"
_DASHES = "‐‑‒–—―−⁃⸺⸻﹘﹣"
# Invisible format characters (soft hyphen, zero-width space, bidi marks, BOM) that web copy carries.
_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff"
)
_FOLD = str.maketrans(
    {**{c: "'" for c in _QUOTE_MARKS}, **{c: "-" for c in _DASHES}, **{c: None for c in _INVISIBLE}}
)
# Spaces around a dash vary by house style ("a — b", "a—b", "a--b"), so a dash swallows them.
_RUNS = re.compile(r"\s*-[\s-]*|\s+")
# The same collapse in two C-speed passes, for the fast path.
_SPACES = re.compile(r"\s+")
_DASH_RUN = re.compile(r" ?-[ -]*")
# NFKC never composes across a boundary before an ASCII character, so text can be normalised
# in these segments and every output character traced back to where it came from.
_SEGMENT = re.compile(r"[\x00-\x7f]?[^\x00-\x7f]+|[\x00-\x7f]+(?![^\x00-\x7f])")
_MARK = re.compile(
    r"(?P<omit>\[\s*(?:\.\s?){2}\.\s*\]|(?:\.\s?){2,}\.)"
    r"|\[(?P<cap>[^\W\d_])\](?=[^\W\d_])"
    r"|(?P<insert>\[[^\[\]]*\])"
)
_WORD = re.compile(r"\w+(?:['-]\w+)*")
_TOKEN = re.compile(r"\S+")
_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|none|nothing|nobody|nowhere|without|cannot)\b|\w+n't\b", re.IGNORECASE
)
_OMIT, _INSERT = "omit", "insert"


@dataclass(frozen=True)
class QuoteResult:
    """The outcome of verifying one quote against one source text."""

    verified: bool
    closest: str = ""  # the most similar passage of the original source text, when not verified
    warnings: tuple[tuple[str, str], ...] = ()  # (code, message)
    difference: str = ""  # where the quote first departs from `closest`, for the error's hint


@dataclass(frozen=True)
class _Piece:
    """A stretch of quote text that must occur verbatim (`pattern` when [T]he makes a letter caseless)."""

    text: str
    pattern: re.Pattern[str] | None
    bound_left: bool  # the source must not continue a word just before it
    bound_right: bool


@dataclass(frozen=True)
class _Quote:
    chains: tuple[tuple[_Piece, ...], ...]  # split by omissions; a chain's pieces are split by [insertions]
    words: int


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    inserted: tuple[tuple[int, int], ...]  # source spans that [insertions] stand in for


def normalise(text: str) -> str:
    """Return text with Unicode (NFKC), quotation marks, dashes and whitespace in one canonical form."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _DASH_RUN.sub("-", _SPACES.sub(" ", text.translate(_FOLD))).strip(" ")


def verify_quote(quote: str, source_text: str) -> QuoteResult:
    """Verify one quote against one source text."""
    return SourceText(source_text).verify(quote)


class SourceText:
    """A source's text, normalised and indexed once, for verifying many quotes."""

    def __init__(self, text: str, normalised: str | None = None) -> None:
        self.text = text
        self.normalised = normalise(text) if normalised is None else normalised  # given: normalise(text)

    def verify(self, quote: str) -> QuoteResult:
        """Check that the quote occurs in this text, allowing omissions, insertions and [T]he."""
        parsed = _parse(quote)
        if not parsed.chains:
            return QuoteResult(False, "", (), "the quote is empty")
        warnings: list[tuple[str, str]] = []
        if parsed.words < MIN_QUOTE_WORDS:
            noun = "word" if parsed.words == 1 else "words"
            warnings.append(("short-quote", f"quote has {parsed.words} {noun}; a fragment under {MIN_QUOTE_WORDS} "
                             "words is easily taken out of context"))
        if not self.normalised:
            return QuoteResult(False, "", tuple(warnings), "the source has no text")
        matches, missing = self._align(parsed.chains)
        if matches is None:
            chains = parsed.chains if missing is None else parsed.chains[missing:missing + 1]
            closest, difference = self._closest(" ".join(p.text for chain in chains for p in chain))
            if missing is None:
                difference = "the parts around the omission occur in the source, but not in this order"
            return QuoteResult(False, closest, tuple(warnings), difference)
        for before, after in zip(matches, matches[1:]):
            warnings.extend(self._negations(before.end, after.start, "the omitted text"))
        for match in matches:
            for start, end in match.inserted:
                warnings.extend(self._negations(start, end, "the text replaced by [brackets]"))
        return QuoteResult(True, "", tuple(warnings))

    def _align(self, chains: tuple[tuple[_Piece, ...], ...]) -> tuple[list[_Match] | None, int | None]:
        """Place the chains in order, omitting as little as possible; else say which chain is missing."""
        if len(chains) == 1:
            first = next(self._chain_matches(chains[0]), None)
            return ([first], None) if first else (None, 0)
        found: list[list[_Match]] = []
        for index, chain in enumerate(chains):
            matches = []
            for match in self._chain_matches(chain):
                matches.append(match)
                if len(matches) == _MAX_OCCURRENCES:
                    break
            if not matches:
                return None, index
            found.append(matches)
        # Dynamic programming over occurrences: cost is the total length of omitted text, so the
        # omission-negation check looks at the span a reader would assume was left out.
        infinity = float("inf")
        costs: list[float] = [0.0] * len(found[0])
        backs: list[list[int]] = []
        for prev, current in zip(found, found[1:]):
            by_end = sorted(range(len(prev)), key=lambda k: prev[k].end)
            best, best_k, p = infinity, -1, 0
            new_costs, back = [], []
            for match in current:  # already ordered by start
                while p < len(by_end) and prev[by_end[p]].end <= match.start:
                    k = by_end[p]
                    if costs[k] - prev[k].end < best:
                        best, best_k = costs[k] - prev[k].end, k
                    p += 1
                new_costs.append(best + match.start)
                back.append(best_k)
            costs = new_costs
            backs.append(back)
        j = min(range(len(costs)), key=costs.__getitem__)
        if costs[j] == infinity:
            return None, None
        chosen = [found[-1][j]]
        for level in range(len(backs) - 1, -1, -1):
            j = backs[level][j]
            chosen.append(found[level][j])
        return chosen[::-1], None

    def _chain_matches(self, chain: tuple[_Piece, ...]) -> Iterator[_Match]:
        first = chain[0]
        for start in self._occurrences(first, 0, len(self.normalised)):
            tail = self._extend(chain, 1, start + len(first.text))
            if tail is not None:
                yield _Match(start, tail[0], tail[1])

    def _extend(self, chain: tuple[_Piece, ...], k: int, pos: int
                ) -> tuple[int, tuple[tuple[int, int], ...]] | None:
        if k == len(chain):
            return pos, ()
        starts = self._word_starts
        index = bisect_left(starts, pos) + MAX_INSERTION_WORDS
        limit = starts[index] if index < len(starts) else len(self.normalised)
        for start in self._occurrences(chain[k], pos, limit):
            tail = self._extend(chain, k + 1, start + len(chain[k].text))
            if tail is not None:
                return tail[0], ((pos, start),) + tail[1]
        return None

    def _occurrences(self, piece: _Piece, lo: int, hi: int) -> Iterator[int]:
        """Yield each start in [lo, hi] where the piece occurs with word boundaries respected."""
        norm = self.normalised
        while True:
            if piece.pattern is None:
                start = norm.find(piece.text, lo)
            else:
                found = piece.pattern.search(norm, lo)
                start = found.start() if found else -1
            if start < 0 or start > hi:
                return
            end = start + len(piece.text)
            if not (piece.bound_left and start > 0 and _is_word(norm[start - 1])) and not (
                piece.bound_right and end < len(norm) and _is_word(norm[end])
            ):
                yield start
            lo = start + 1

    def _negations(self, start: int, end: int, what: str) -> list[tuple[str, str]]:
        found = _NEGATION.search(self.normalised, start, end)
        if found is None:
            return []
        spans = self._word_spans
        word = bisect_right(self._word_starts, found.start()) - 1
        # A few words either side of the negation, never beyond the omitted span.
        first, last = spans[max(word - 4, 0)][0], spans[min(word + 4, len(spans) - 1)][1]
        snippet = self._original(max(start, first), min(end, last))
        return [("omission-negation", f"{what} contains '{found.group()}': “…{snippet}…”")]

    def _closest(self, target: str) -> tuple[str, str]:
        """Return the passage most like the (normalised) target and where the target departs from it."""
        spans, keys = self._word_spans, self._word_keys
        wanted = [_key(t) for t in target.split()]
        size = min(len(wanted), len(spans))
        if size == 0:
            return "", ""
        # Cheap prefilter: slide a window of the quote's length and count shared words.
        need, have, shared, scored = Counter(wanted), Counter(), 0, []
        for i, key in enumerate(keys):
            if have[key] < need[key]:
                shared += 1
            have[key] += 1
            if i >= size:
                old = keys[i - size]
                have[old] -= 1
                if have[old] < need[old]:
                    shared -= 1
            if i >= size - 1:
                scored.append((shared, -(i - size + 1)))
        norm = self.normalised

        def ratio(window: tuple[int, int]) -> float:
            passage = norm[spans[window[0]][0]:spans[window[1] - 1][1]]
            return SequenceMatcher(None, target, passage, autojunk=False).ratio()

        candidates = [(-neg, -neg + size) for _, neg in heapq.nlargest(_CANDIDATE_WINDOWS, scored)]
        best = max(candidates, key=ratio)
        for move in (0, 1):  # slide the start, then the end, a few words either way
            options = []
            for delta in range(-_REFINE_WORDS, _REFINE_WORDS + 1):
                window = list(best)
                window[move] += delta
                if 0 <= window[0] < window[1] <= len(spans):
                    options.append((window[0], window[1]))
            best = max(options, key=ratio)
        start, end = spans[best[0]][0], spans[best[1] - 1][1]
        return self._original(start, end), _describe(target.split(), norm[start:end].split())

    def _original(self, start: int, end: int) -> str:
        """Return the original text behind normalised[start:end], whitespace runs made single spaces."""
        _, starts, ends = self._mapping
        return " ".join(self.text[starts[start]:ends[end - 1]].split())

    @cached_property
    def _mapping(self) -> tuple[str, list[int], list[int]]:
        # Built only to quote the original back (misquote, omitted negation): a correct quote is one str.find.
        return _normalise_mapped(self.text)

    @cached_property
    def _word_spans(self) -> list[tuple[int, int]]:
        return [m.span() for m in _TOKEN.finditer(self.normalised)]

    @cached_property
    def _word_starts(self) -> list[int]:
        return [start for start, _ in self._word_spans]

    @cached_property
    def _word_keys(self) -> list[str]:
        return [_key(self.normalised[s:e]) for s, e in self._word_spans]


def _parse(quote: str) -> _Quote:
    """Split a quote into chains of pieces at its omission marks and [insertions]."""
    body = normalise(quote).lstrip("' ")
    # Periods and commas are placed inside closing quotation marks by convention, not by the speaker.
    body = body.rstrip(".,;:' ")
    items: list[tuple[str, str, list[int]]] = []  # ("text", text, caseless offsets) or (gap kind, "", [])
    buffer, caseless, pos = "", [], 0
    for mark in _MARK.finditer(body):
        buffer += body[pos:mark.start()]
        if mark.group("cap"):
            caseless.append(len(buffer))
            buffer += mark.group("cap")
        else:
            items.append(("text", buffer, caseless))
            items.append((_OMIT if mark.group("omit") else _INSERT, "", []))
            buffer, caseless = "", []
        pos = mark.end()
    items.append(("text", buffer + body[pos:], caseless))

    chains: list[list[_Piece]] = []
    gap: str | None = None
    words = 0
    for index, (kind, raw, offsets) in enumerate(items):
        if kind != "text":
            gap = _OMIT if _OMIT in (gap, kind) else kind
            continue
        text = raw.strip(" ")
        if not text:
            continue
        words += len(_WORD.findall(text))
        shift = len(raw) - len(raw.lstrip(" "))
        piece = _Piece(
            text,
            _caseless_pattern(text, [o - shift for o in offsets]),
            _is_word(text[0]) and (index == 0 or raw[0] == " "),
            _is_word(text[-1]) and (index == len(items) - 1 or raw[-1] == " "),
        )
        if not chains or gap == _OMIT:
            chains.append([piece])
        else:
            chains[-1].append(piece)
        gap = None
    return _Quote(tuple(tuple(chain) for chain in chains), words)


def _caseless_pattern(text: str, offsets: list[int]) -> re.Pattern[str] | None:
    if not offsets:
        return None
    parts, pos = [], 0
    for offset in offsets:
        parts.append(re.escape(text[pos:offset]) + "(?i:" + re.escape(text[offset]) + ")")
        pos = offset + 1
    return re.compile("".join(parts) + re.escape(text[pos:]))


def _normalise_mapped(text: str) -> tuple[str, list[int], list[int]]:
    """Normalise like `normalise`, also returning each output character's original start and end."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for segment in _SEGMENT.finditer(text):
        s, e = segment.span()
        raw = segment.group()
        if raw.isascii():
            chars.append(raw.translate(_FOLD))
            starts.extend(range(s, e))
            ends.extend(range(s + 1, e + 1))
            continue
        whole = unicodedata.normalize("NFKC", raw)
        each = [unicodedata.normalize("NFKC", c) for c in raw]
        units = zip(each, range(s, e), range(s + 1, e + 1)) if "".join(each) == whole else [(whole, s, e)]
        for piece, a, b in units:
            piece = piece.translate(_FOLD)
            chars.append(piece)
            starts.extend([a] * len(piece))
            ends.extend([b] * len(piece))
    folded = "".join(chars)
    out: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    pos = 0
    for run in _RUNS.finditer(folded):
        a, b = run.span()
        out.append(folded[pos:a] + _collapse(run))
        out_starts.extend(starts[pos:a] + [starts[a]])
        out_ends.extend(ends[pos:a] + [ends[b - 1]])
        pos = b
    out.append(folded[pos:])
    out_starts.extend(starts[pos:])
    out_ends.extend(ends[pos:])
    norm = "".join(out)
    lo = 1 if norm.startswith(" ") else 0
    hi = max(lo, len(norm) - (1 if norm.endswith(" ") else 0))
    return norm[lo:hi], out_starts[lo:hi], out_ends[lo:hi]


def _collapse(run: re.Match[str]) -> str:
    return "-" if "-" in run.group() else " "


def _is_word(ch: str) -> bool:
    # Only scripts that separate words with spaces: a CJK or Thai quote may start mid-"word".
    return ch.isalnum() and (ch < "\u0590" or "\u1e00" <= ch <= "\u1fff")


def _key(token: str) -> str:
    return "".join(c for c in token.casefold() if c.isalnum())


def _describe(quote_words: list[str], source_words: list[str]) -> str:
    """Say where the quote first departs from the passage, word by word."""
    matcher = SequenceMatcher(None, quote_words, source_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        said, written = " ".join(quote_words[i1:i2]), " ".join(source_words[j1:j2])
        if tag == "replace":
            return f"at word {i1 + 1} the quote has '{said}' where the source has '{written}'"
        if tag == "delete":
            return f"at word {i1 + 1} the quote has '{said}', which the source lacks"
        if tag == "insert":
            return f"at word {i1 + 1} the source has '{written}', which the quote leaves out"
    return ""
