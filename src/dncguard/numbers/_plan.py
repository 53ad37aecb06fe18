"""The numbering plan dncguard accepts, derived from phonenumbers' metadata: which area codes
and exchanges are valid, in which region; E.164 formatting."""

from __future__ import annotations

import functools
from typing import Final

import numpy as np
import numpy.typing as npt
import phonenumbers
from phonenumbers import phonenumberutil as _pnu

from dncguard.errors import ArgumentTypeError, InvalidNumberError

#: ISO 3166 codes of the NANP members whose numbers dncguard accepts: the US, its territories
#: in the plan, and Canada (docs/defaults.md#jurisdiction-follows-the-number).
ACCEPTED_REGIONS: Final = frozenset({"US", "PR", "VI", "GU", "MP", "AS", "CA"})

# phonenumbers refuses longer input outright (NumberParseException TOO_LONG).
_MAX_INPUT_CHARS: Final = 250
# A second "number" of this many digits in an extension or after "/x" is a phone number.
_TWO_NUMBER_DIGITS: Final = 7

# ---------------------------------------------------------------------------------------------
# The numbering plan, derived from phonenumbers' metadata.
# ---------------------------------------------------------------------------------------------

_FULL: Final = 0x3FF  # digit-set bitmask of \d
_TYPES: Final = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)

_Node = int | tuple[str, list[list[tuple["_Node", int, int]]]]


def _parse_pattern(p: str) -> _Node:
    """Parse the digit-only regex subset phonenumbers' NANP metadata uses into a small tree.

    A node is a digit bitmask (``1 << d`` per digit) or ``("alt", branches)``; a branch is a list
    of ``(node, min_repeat, max_repeat)``. Anything outside the subset raises, so a metadata
    update that needs more is noticed, not misread.
    """
    pos = 0

    def alternation() -> _Node:
        nonlocal pos
        branches = [sequence()]
        while pos < len(p) and p[pos] == "|":
            pos += 1
            branches.append(sequence())
        return ("alt", branches)

    def sequence() -> list[tuple[_Node, int, int]]:
        nonlocal pos
        items: list[tuple[_Node, int, int]] = []
        while pos < len(p) and p[pos] not in "|)":
            node = atom()
            lo = hi = 1
            if pos < len(p) and p[pos] == "?":
                lo, hi, pos = 0, 1, pos + 1
            elif pos < len(p) and p[pos] == "{":
                end = p.index("}", pos)
                a, comma, b = p[pos + 1 : end].partition(",")
                lo = int(a)
                hi = int(b) if comma else lo
                pos = end + 1
            items.append((node, lo, hi))
        return items

    def atom() -> _Node:
        nonlocal pos
        c = p[pos]
        if p.startswith("(?:", pos):
            pos += 3
            node = alternation()
            if p[pos : pos + 1] != ")":
                raise ValueError(f"unbalanced group in {p!r}")
            pos += 1
            return node
        if c == "[":
            end = p.index("]", pos)
            body, pos = p[pos + 1 : end], end + 1
            mask, i = 0, 0
            while i < len(body):
                if body.startswith("\\d", i):
                    mask, i = mask | _FULL, i + 2
                elif i + 2 < len(body) and body[i + 1] == "-":
                    for d in range(int(body[i]), int(body[i + 2]) + 1):
                        mask |= 1 << d
                    i += 3
                else:
                    mask, i = mask | 1 << int(body[i]), i + 1
            return mask
        if p.startswith("\\d", pos):
            pos += 2
            return _FULL
        if c.isdigit():
            pos += 1
            return 1 << int(c)
        raise ValueError(f"unsupported syntax at {pos} in metadata pattern {p!r}")

    node = alternation()
    if pos != len(p):
        raise ValueError(f"unsupported syntax at {pos} in metadata pattern {p!r}")
    return node


def _expand(node: _Node, limit: int) -> list[tuple[int, ...]]:
    """Every sequence of digit masks (at most ``limit`` long) the pattern tree matches."""
    if isinstance(node, int):
        return [(node,)]
    out: list[tuple[int, ...]] = []
    for items in node[1]:
        seqs: list[tuple[int, ...]] = [()]
        for sub_node, lo, hi in items:
            sub = _expand(sub_node, limit)
            new: list[tuple[int, ...]] = []
            reps = seqs
            for k in range(hi + 1):
                if k >= lo:
                    new.extend(reps)
                if k < hi:
                    reps = [r + x for r in reps for x in sub if len(r) + len(x) <= limit]
            seqs = new
        out.extend(seqs)
    return out


class _PlanBuilder:
    """Turns metadata patterns into boolean tables over the 1,000,000 six-digit prefixes."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, bool], npt.NDArray[np.bool_]] = {}
        self._digits = [np.array([d for d in range(10) if m >> d & 1], dtype=np.intp) for m in range(1024)]

    def table(self, pattern: str, *, prefix: bool) -> npt.NDArray[np.bool_]:
        """Prefixes whose every 10-digit number matches (``prefix``: whose digits start a match).

        Raises ``RuntimeError`` when the pattern constrains digits after the sixth, which a
        six-digit table cannot express.
        """
        key = (pattern, prefix)
        if key not in self._cache:
            table = np.zeros((10,) * 6, dtype=bool)
            for seq in _expand(_parse_pattern(pattern), 10):
                if not prefix and len(seq) != 10:
                    continue
                if any(m != _FULL for m in seq[6:]):
                    raise RuntimeError(
                        f"phonenumbers {phonenumbers.__version__} metadata pattern {pattern!r} depends on "
                        "more than the first 6 digits; dncguard.numbers needs updating for it"
                    )
                full = seq[:6] + (_FULL,) * (6 - len(seq))
                table[np.ix_(*(self._digits[m] for m in full))] = True
            self._cache[key] = table.reshape(-1)
        return self._cache[key]

    def desc(self, desc: phonenumbers.PhoneNumberDesc | None) -> npt.NDArray[np.bool_] | None:
        """Prefixes of the 10-digit numbers a number-type description matches, or None."""
        if desc is None or desc.national_number_pattern is None:
            return None
        if desc.possible_length and 10 not in desc.possible_length:
            return None
        return self.table(desc.national_number_pattern, prefix=False)


class _Plan:
    """The NANP as phonenumbers knows it, per 6-digit prefix (area code and exchange).

    ``region[p]`` is 1 + the index into ``regions`` of the region ``region_code_for_number``
    gives every number with prefix ``p`` (0: none); ``valid[p]`` says whether every such number
    is a valid number of an accepted region. Both follow phonenumbers' own algorithm: the
    regions of country code 1 are tried in order; one with ``leading_digits`` claims the
    numbers starting with them, one without claims the numbers valid for it.
    """

    def __init__(self) -> None:
        builder = _PlanBuilder()
        self.regions: tuple[str, ...] = tuple(_pnu.COUNTRY_CODE_TO_REGION_CODE[1])
        region = np.zeros(10**6, dtype=np.uint8)
        valid = np.zeros(10**6, dtype=bool)
        for i, code in enumerate(self.regions, 1):
            md = phonenumbers.PhoneMetadata.metadata_for_region(code)
            if md is None:
                continue
            if md.leading_digits and code not in ACCEPTED_REGIONS:
                # Refused whatever its validity: only which numbers it claims matters.
                region[builder.table(md.leading_digits, prefix=True) & (region == 0)] = i
                continue
            general = builder.desc(md.general_desc)
            if general is None:
                continue
            ok = np.zeros(10**6, dtype=bool)
            for name in _TYPES:
                t = builder.desc(getattr(md, name))
                if t is not None:
                    ok |= t
            ok &= general
            claims = builder.table(md.leading_digits, prefix=True) if md.leading_digits else ok
            take = claims & (region == 0)
            region[take] = i
            if code in ACCEPTED_REGIONS:
                valid |= take & ok
        self.region = region
        self.valid = valid
        self.valid_bytes = valid.tobytes()  # for single lookups: indexing bytes is fastest
        self.valid_bits = np.packbits(valid, bitorder="little")  # 125 KB: stays in cache for bulk
        self.valid_area: npt.NDArray[np.bool_] = np.asarray(valid.reshape(1000, 1000).any(axis=1))
        self.country_codes = frozenset(_pnu.COUNTRY_CODE_TO_REGION_CODE)


@functools.cache
def _plan() -> _Plan:
    return _Plan()


def is_valid_prefix(prefix: int) -> bool:
    """Whether the 6-digit prefix (area code and exchange, e.g. ``212555``) holds valid numbers.

    True exactly when every number ``prefix * 10_000 + line`` is a valid US or Canadian number.

    >>> is_valid_prefix(212555), is_valid_prefix(212123)
    (True, False)
    """
    return 0 <= prefix < 10**6 and bool(_plan().valid[prefix])


def is_valid_area_code(area_code: int) -> bool:
    """Whether the 3-digit area code holds any valid US or Canadian number.

    >>> is_valid_area_code(212), is_valid_area_code(416), is_valid_area_code(876), is_valid_area_code(456)
    (True, True, False, False)
    """
    try:
        return 200 <= area_code < 1000 and bool(_plan().valid_area[area_code])
    except (TypeError, IndexError):
        kind = type(area_code).__name__
        raise ArgumentTypeError(f"area_code={area_code!r}: expected an int such as 212, not {kind}") from None


@functools.lru_cache(maxsize=1024)  # a few hundred area codes: the bincount once each
def _area_code_region(area_code: int) -> str | None:
    """The NANP member (ISO 3166 code) phonenumbers places most numbers of an area code in.

    For error messages only ("area code 876 is in JM"); :mod:`dncguard.geography` is the public
    answer to where an area code is. None for an area code not in service.

    >>> _area_code_region(212), _area_code_region(787), _area_code_region(876), _area_code_region(456)
    ('US', 'PR', 'JM', None)
    """
    if not 200 <= area_code < 1000:
        return None
    plan = _plan()
    block = plan.region[area_code * 1000 : (area_code + 1) * 1000]
    counts = np.bincount(block, minlength=len(plan.regions) + 1)
    counts[0] = 0
    best = int(counts.argmax())
    return plan.regions[best - 1] if counts[best] else None


def format_e164(n: int) -> str:
    """The E.164 spelling of a 10-digit national number: ``+1`` and the ten digits.

    >>> format_e164(2125550143)
    '+12125550143'
    >>> format_e164(212555014)
    Traceback (most recent call last):
    ...
    dncguard.errors.InvalidNumberError: 212555014 is not a US or Canadian phone number: expected a 10-digit...
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 2_000_000_000 <= n < 10**10:
        raise InvalidNumberError(n, "expected a 10-digit national number from parse_number()")
    return f"+1{int(n)}"
