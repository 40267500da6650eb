"""Batch operations: one batch call each, rows read into the store's answers.

A batch does not raise when a node fails: the client returns a status and a
result code per row. The rows that answered are the answer (a lost node
leaves its rows at -15); :meth:`FailurePath.check_rows` turns the rest into
a failure of the one failure path, naming the node that did not answer
(see docs/reliability.md, scenario (i)).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aerospike import exception as aex

from .capacity import FULL_CODE
from .expiry import DEADLINE_BIN, VALUE_BIN, is_gone, wire_ttl
from .failures import NO_ANSWERS, warn_oversized
from .records import StorePart

Fill = Callable[[str, Any, Any, Any], None]


class Batches(StorePart):
    """``get_many``, ``set_many`` and ``remove_many`` of a store."""

    def get_many(self, keys: Iterable[str], fill: Fill | None = None) -> dict[str, Any]:
        """The values of the keys that are present, in one batch read.

        A list of keys is taken as it is: the callers de-duplicate it first.

        ``fill(key, stored, deadline, meta)`` is called for each entry found
        (the near cache): its bin value, its deadline bin (or ``None``), its metadata.
        """
        if type(keys) is not list:  # the facade hands over its de-duplicated list
            keys = list(keys) if isinstance(keys, dict) else list(dict.fromkeys(keys))
        if not keys:
            return {}
        return self.failures.call("get_many", {}, NO_ANSWERS, self._get_many, (keys, fill))

    def _get_many(self, client: Any, arg: tuple[list[str], Fill | None]) -> dict[str, Any]:
        keys, fill = arg
        result = client.batch_read(self.records.keys(keys))
        now_ms = self.deadlines.clock() * 1000
        codec = self.codec
        head, loads = codec.plain_format, codec.plain_loads
        out: dict[str, Any] = {}
        bad: list[tuple[str, int]] = []
        read: list[tuple[str, Any, Any, Any]] = []
        for key, row in zip(keys, result.batch_records, strict=True):
            record = row.record
            if record is None or row.result:
                if row.result != 2:  # not found is an answer
                    bad.append((key, row.result))
                continue
            bins = record[2]
            deadline = bins.get(DEADLINE_BIN)
            if deadline is not None and deadline <= now_ms:
                continue
            stored = bins.get(VALUE_BIN)
            if fill is not None:
                read.append((key, stored, deadline, record[1]))
            if type(stored) is bytes and stored and stored[0] == head:
                try:  # the common entry, inline; anything odd goes to decode()
                    out[key] = loads(stored[1:])
                    continue
                except Exception:
                    pass
            found, value = codec.decode(key, stored)
            if found:
                out[key] = value
        for key, stored, deadline, meta in read:
            if key in out:  # decoded: worth keeping near
                fill(key, stored, deadline, meta)  # type: ignore[misc]
        # Rows are the answer even when the batch failed: a node that did not
        # answer leaves its rows at -15, the other nodes' rows are real.
        self.failures.check_rows(
            "get_many", result.result, bad, len(keys), out, client=client, reads=True
        )
        return out

    def set_many(
        self, mapping: Mapping[str, Any], ttl: float | None, stored_tags: list[str] | None = None
    ) -> list[str]:
        """Store every item (with the tags) in one batch write; returns the keys that failed."""
        if not mapping:
            return []
        if is_gone(ttl):
            self.remove_many(mapping)
            return []
        items = self.codec.encode_items(mapping)
        keys = list(mapping)
        none: list[str] = []
        job = (items, wire_ttl(ttl), self.deadlines.of(ttl), stored_tags)
        failed, oversized = self.failures.call(
            "set_many", (keys, none), NO_ANSWERS, self._set_many, job
        )
        if oversized:
            for key in oversized:
                warn_oversized(key)
            self.remove_many(oversized)
        return failed

    def _set_many(
        self, client: Any, job: tuple[list[tuple[str, Any]], int, int | None, list[str] | None]
    ) -> tuple[list[str], list[str]]:
        items, wttl, deadline, stored_tags = job
        from aerospike_helpers.batch.records import BatchRecords

        self.records.check_ttl(wttl)
        rows = self.records.write_rows(items, wttl, deadline, stored_tags)
        status = client.batch_write(BatchRecords(rows)).result
        failed: list[str] = []
        oversized: list[str] = []
        bad: list[tuple[str, int]] = []
        for (key, _), row in zip(items, rows, strict=True):
            if row.result != 0:
                failed.append(key)
                if row.result == 13:
                    oversized.append(key)
                else:
                    bad.append((key, row.result))
        refused = [key for key, code in bad if code == FULL_CODE]
        if refused:
            # a full namespace: the old entries must not be served (removes work there)
            with contextlib.suppress(aex.AerospikeError):  # the refusal is what to report
                client.batch_remove(self.records.keys(refused))
        outcome = (failed, oversized)
        self.failures.check_rows("set_many", status, bad, len(items), outcome, client=client)
        return failed, oversized

    def delete_many(self, keys: Iterable[str]) -> list[str]:
        """Remove the keys in one batch; returns those that existed."""
        return self.remove_many(keys)[0]

    def remove_many(self, keys: Iterable[str]) -> tuple[list[str], list[str]]:
        """Remove the keys in one batch; returns ``(existed, failed)``.

        Keys in neither list were absent. A failed row (e.g. key busy) is
        logged; under fail-open, the keys of a node that did not answer are
        failed (every key, if the call itself failed).
        """
        keys = list(dict.fromkeys(keys))
        if not keys:
            return [], []
        none: list[str] = []
        return self.failures.call("delete_many", (none, keys), NO_ANSWERS, self._remove_many, keys)

    def _remove_many(self, client: Any, keys: list[str]) -> tuple[list[str], list[str]]:
        result = client.batch_remove(self.records.keys(keys), self.records.batch_remove_policy)
        existed: list[str] = []
        failed: list[tuple[str, int]] = []
        for key, row in zip(keys, result.batch_records, strict=True):
            if row.result == 0:
                existed.append(key)
            elif row.result != 2 and row.result != 27:  # 27: truncated (Records.removed_since)
                failed.append((key, row.result))
        outcome = (existed, [key for key, _ in failed])
        self.failures.check_rows(
            "delete_many", result.result, failed, len(keys), outcome, client=client
        )
        return outcome
