"""Compact, lazily generated tables: the storage layer under `sandbox.data.Organisation`.

A `Table` holds two kinds of rows, both keyed by integer id:

* **base rows**, never stored: row `i` has id `first_id + i` and is produced on demand by a
  generator that builds all rows of one *group* (a candidate, an application, ...) at once. The only
  memory they cost is a few numpy arrays per group (`starts` offsets, and the bounds used to
  prefilter by time or parent id).
* **explicit rows**, stored as dicts: small eagerly built entities (jobs, users, ...), records
  created by `advance`, and base rows modified by `advance` (the overlay).

Queries return `Ids`: the ascending ids matching a set of filters, so that both cursor pagination
(v3, id-descending) and page numbers (v1) are slices of the same sequence.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import numpy as np

Record = dict[str, Any]

TS_FIELDS = ("created_at", "updated_at", "last_activity_at")
OPS = {
    "gte": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "lte": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
}


@dataclass(frozen=True)
class Filters:
    """Normalised query filters (hashable so results can be cached).

    time:   ((field, op, epoch_ms), ...) with field in TS_FIELDS and op in OPS
    ids:    the `ids` filter (None = no filter)
    parents: ((record_field, frozenset(values)), ...), e.g. ("application_id", {1, 2})
    equals: ((record_field, value), ...) exact matches on record fields (status, active, ...)
    """

    time: tuple[tuple[str, str, int], ...] = ()
    ids: frozenset[int] | None = None
    parents: tuple[tuple[str, frozenset[int]], ...] = ()
    equals: tuple[tuple[str, Any], ...] = ()

    def empty(self) -> bool:
        return not (self.time or self.ids is not None or self.parents or self.equals)


def iso_to_ms(value: str) -> int:
    """Parse an ISO-8601 timestamp (Z or offset, optional fraction) to epoch milliseconds."""
    from datetime import datetime

    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def record_matches(rec: Record, flt: Filters) -> bool:
    for fname, op, ms in flt.time:
        value = rec.get(fname)
        if value is None or not OPS[op](iso_to_ms(value), ms):
            return False
    if flt.ids is not None and rec["id"] not in flt.ids:
        return False
    for fname, values in flt.parents:
        value = rec.get(fname)
        if isinstance(value, list):
            if not values.intersection(value):
                return False
        elif value not in values:
            return False
    return all(rec.get(fname) == value for fname, value in flt.equals)


CACHE_ENTRIES = 16  # filtered query results kept per table
CACHE_BYTES = 96 * 2**20


class Ids:
    """An ascending sequence of ids: a base part (range or array) followed by explicit ids."""

    def __init__(self, base: range | np.ndarray, extra: Sequence[int]):
        self.base = base
        self.extra = list(extra)

    def __len__(self) -> int:
        return len(self.base) + len(self.extra)

    @property
    def nbytes(self) -> int:
        base = 0 if isinstance(self.base, range) else self.base.nbytes
        return base + 8 * len(self.extra)

    def position(self, id_: int) -> int:
        """How many ids are strictly smaller than `id_`."""
        if isinstance(self.base, range):
            b = min(max(id_ - self.base.start, 0), len(self.base))
        else:
            b = int(np.searchsorted(self.base, id_, side="left"))
        return b + bisect.bisect_left(self.extra, id_)

    def slice(self, start: int, stop: int) -> list[int]:
        """Ids at positions [start, stop), ascending."""
        nb = len(self.base)
        start, stop = max(start, 0), min(stop, len(self))
        out: list[int] = []
        if start < nb:
            part = self.base[start : min(stop, nb)]
            out.extend(part if isinstance(part, range) else part.tolist())
        if stop > nb:
            out.extend(self.extra[max(start - nb, 0) : stop - nb])
        return out

    def __iter__(self) -> Iterator[int]:
        yield from (int(i) for i in self.base)
        yield from self.extra


@dataclass
class GroupIndex:
    """Per-group arrays of a lazily generated table.

    starts[g]..starts[g+1] are the row indices of group g. `lo_created` / `hi_updated` bound every
    row of the group (row.created_at >= lo_created, row.updated_at <= hi_updated); `parents` maps a
    record field to the group's value of it (shared by all rows of the group). `exact` lists the
    record fields whose per-group array equals the record's own value (1 row per group only), so
    filters on them need no generation.
    """

    starts: np.ndarray
    lo_created: np.ndarray
    hi_updated: np.ndarray
    parents: dict[str, np.ndarray] = field(default_factory=dict)
    exact: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def groups(self) -> int:
        return len(self.starts) - 1


class Table:
    """One entity: lazy base rows + explicit rows, with filtered, cached id queries."""

    def __init__(
        self,
        name: str,
        first_id: int,
        index: GroupIndex | None = None,
        generate: Callable[[int], list[Record]] | None = None,
    ):
        self.name = name
        self.first_id = first_id
        self.index = index
        self.generate = generate
        self.n_base = int(index.starts[-1]) if index is not None else 0
        self.one_row_per_group = index is not None and bool(np.all(np.diff(index.starts) == 1))
        self.explicit: dict[int, Record] = {}  # modified base rows and added rows
        self.added: list[int] = []  # ids of added rows, ascending
        self.deleted: set[int] = set()  # ids deleted through the admin API: never listed again
        self.next_id = first_id + self.n_base
        self.version = 0
        self._cache: OrderedDict[tuple[Filters, int], Ids] = OrderedDict()

    # ---- writes -------------------------------------------------------------------------------
    def add(self, rec: Record) -> Record:
        """Append a new record; assigns the next id (above every existing one)."""
        rec["id"] = self.next_id
        self.next_id += 1
        self.explicit[rec["id"]] = rec
        self.added.append(rec["id"])
        self.version += 1
        return rec

    def put(self, rec: Record) -> None:
        """Store a modified version of an existing record (base or added)."""
        self.explicit[rec["id"]] = rec
        self.version += 1

    def touch(self) -> None:
        self.version += 1

    def delete(self, ids: Iterable[int]) -> list[int]:
        """Delete rows (base or added): gone from every query and read. Returns the ids that
        existed and were not deleted before, ascending."""
        gone = sorted(i for i in set(ids) if i not in self.deleted and self._exists(i))
        self.deleted.update(gone)
        self.version += 1
        return gone

    def _exists(self, id_: int) -> bool:
        return self.is_base(id_) or id_ in self.explicit

    # ---- reads --------------------------------------------------------------------------------
    def is_base(self, id_: int) -> bool:
        return self.first_id <= id_ < self.first_id + self.n_base

    def group_of(self, id_: int) -> int:
        assert self.index is not None
        if self.one_row_per_group:
            return id_ - self.first_id
        starts = self.index.starts
        # the scalar must have the array's dtype, or numpy converts the whole array per call
        row = starts.dtype.type(id_ - self.first_id)
        return int(np.searchsorted(starts, row, side="right")) - 1

    def get_many(self, ids: Iterable[int]) -> list[Record]:
        out: list[Record] = []
        cache: dict[int, list[Record]] = {}
        for id_ in ids:
            rec = self.explicit.get(id_)
            if rec is None:
                g = self.group_of(id_)
                assert self.index is not None and self.generate is not None  # a generated row
                rows = cache.get(g)
                if rows is None:
                    rows = cache[g] = self.generate(g)
                rec = rows[id_ - self.first_id - int(self.index.starts[g])]
            out.append(rec)
        return out

    def get(self, id_: int) -> Record | None:
        if id_ in self.deleted:
            return None
        if id_ in self.explicit:
            return self.explicit[id_]
        if not self.is_base(id_):
            return None
        return self.get_many([id_])[0]

    def group_rows(self, g: int) -> list[Record]:
        """All current rows of base group g (explicit overrides applied, deleted rows left out)."""
        assert self.index is not None and self.generate is not None
        rows = self.generate(g)
        return [self.explicit.get(r["id"], r) for r in rows if r["id"] not in self.deleted]

    def __len__(self) -> int:
        return self.n_base + len(self.added) - len(self.deleted)

    def all_ids(self) -> Ids:
        base = range(self.first_id, self.first_id + self.n_base)
        return self._without_deleted(Ids(base, self.added))

    def _without_deleted(self, ids: Ids) -> Ids:
        if not self.deleted:
            return ids
        gone = np.fromiter(self.deleted, dtype=np.int64, count=len(self.deleted))
        base = (
            ids.base
            if isinstance(ids.base, np.ndarray)
            else np.arange(ids.base.start, ids.base.stop, dtype=np.int64)
        )
        return Ids(base[~np.isin(base, gone)], [i for i in ids.extra if i not in self.deleted])

    def iter_records(self, chunk: int = 1000) -> Iterator[Record]:
        ids = self.all_ids()
        for start in range(0, len(ids), chunk):
            yield from self.get_many(ids.slice(start, start + chunk))

    def query(self, flt: Filters) -> Ids:
        if flt.empty():
            return self.all_ids()
        key = (flt, self.version)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        result = self._without_deleted(Ids(self._query_base(flt), self._query_added(flt)))
        self._cache[key] = result
        # bounded by entries and by bytes: a full window over millions of rows is ~50 MB
        while len(self._cache) > 1 and (
            len(self._cache) > CACHE_ENTRIES
            or sum(ids.nbytes for ids in self._cache.values()) > CACHE_BYTES
        ):
            self._cache.popitem(last=False)
        return result

    def _query_added(self, flt: Filters) -> list[int]:
        return [i for i in self.added if record_matches(self.explicit[i], flt)]

    def _query_base(self, flt: Filters) -> np.ndarray:
        ix = self.index
        if ix is None or self.n_base == 0:
            return np.zeros(0, dtype=np.int64)
        # `mask`: groups that may hold matching rows; `sure`: groups whose rows all match, so
        # they need no generation. Every row satisfies lo_created <= created <= updated <=
        # hi_updated, which decides most groups of a time window from the arrays alone.
        mask = np.ones(ix.groups, dtype=bool)
        sure = np.ones(ix.groups, dtype=bool)
        check_all = bool(flt.equals)
        for fname, op, ms in flt.time:
            exact = ix.exact.get(fname)
            if exact is not None:
                mask &= OPS[op](exact, ms)
                continue
            lower = op in ("gte", "gt")
            mask &= OPS[op](ix.hi_updated if lower else ix.lo_created, ms)
            if fname in ("created_at", "updated_at"):
                sure &= OPS[op](ix.lo_created if lower else ix.hi_updated, ms)
            else:
                check_all = True
        for fname, values in flt.parents:
            arr = ix.parents.get(fname)
            if arr is None:
                check_all = True
                continue
            mask &= np.isin(arr, np.fromiter(values, dtype=np.int64, count=len(values)))
        if check_all:
            sure[:] = False
        starts = ix.starts.astype(np.int64, copy=False)
        if flt.ids is not None:
            rows = np.array(sorted(flt.ids), dtype=np.int64) - self.first_id
            rows = rows[(rows >= 0) & (rows < self.n_base)]
            g_of = np.searchsorted(starts, rows, side="right") - 1
            keep = mask[g_of]
            rows, g_of = rows[keep], g_of[keep]
            certain = rows[sure[g_of]] + self.first_id
            unsure = rows[~sure[g_of]] + self.first_id
        else:
            certain = self._expand(np.flatnonzero(mask & sure), starts)
            unsure = self._expand(np.flatnonzero(mask & ~sure), starts)
        if unsure.size == 0:
            return certain
        # writers keep the `exact` arrays and the group bounds in step with modified rows, so
        # only rows the arrays cannot decide need the generated (or stored) record
        checked = np.array(
            [r["id"] for r in self._records_for(unsure) if record_matches(r, flt)], dtype=np.int64
        )
        return np.sort(np.concatenate((certain, checked)))

    def _expand(self, groups: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Ids of every row of the given groups (ascending)."""
        counts = starts[groups + 1] - starts[groups]
        if self.one_row_per_group:
            return starts[groups] + self.first_id
        total = int(counts.sum())
        offs = np.repeat(starts[groups] - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        return np.arange(total, dtype=np.int64) + offs + self.first_id

    def _records_for(self, ids: np.ndarray) -> Iterator[Record]:
        for start in range(0, ids.size, 2000):
            yield from self.get_many(ids[start : start + 2000].tolist())
