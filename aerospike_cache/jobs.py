"""A handle on a background job the server runs (``wait=False`` invalidation).

The store starts the job (a background query with write operations and a
filter) and hands back a :class:`Job`; the handle polls ``job_info``. A real
node throttles background jobs (``background-query-max-rps``): deleting
10,000 of 100,000 records took about 10 s there, against 0.2 s for the
filtered query the synchronous path runs. Use a job when nobody waits.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

# job_info's status values (aerospike.JOB_STATUS_*).
STATUS_UNDEF = 0
STATUS_IN_PROGRESS = 1
STATUS_COMPLETED = 2


class Progress(NamedTuple):
    """One reading of a job: percent done, records it has changed so far, finished or not.

    ``records_read`` is ``job_info``'s figure: the server's ``recs-succeeded``
    (the records the job deleted or touched), summed over the nodes.
    """

    percent: int
    records_read: int
    done: bool


class Job:
    """A server-side job started by ``delete_pattern``/``invalidate_tags``/``touch_pattern``.

    ``progress()`` asks the server once; ``done()`` is ``progress().done``;
    ``wait(timeout)`` polls until the job is done or the timeout passes.
    A job the store could not start (fail-open during an outage) is a
    finished job that read nothing, with :attr:`started` false.
    """

    def __init__(
        self,
        job_id: int | None,
        what: str,
        info: Callable[[int], Mapping[str, Any] | None],
    ) -> None:
        self.job_id = job_id
        self.what = what
        self._info = info
        self._last = Progress(0, 0, job_id is None)

    def __repr__(self) -> str:
        last = self._last
        state = "done" if last.done else f"{last.percent}%"
        return f"<Job {self.job_id} {self.what}: {state}, {last.records_read} records>"

    @property
    def started(self) -> bool:
        """Whether the server accepted the job."""
        return self.job_id is not None

    def progress(self) -> Progress:
        """Ask the server how far the job is (the last reading if it cannot answer)."""
        if self.job_id is None or self._last.done:
            return self._last
        answer = self._info(self.job_id)
        if answer is None:  # fail-open: the server could not be asked
            return self._last
        done = answer.get("status") == STATUS_COMPLETED
        percent = 100 if done else int(answer.get("progress_pct", 0))
        self._last = Progress(percent, int(answer.get("records_read", 0)), done)
        return self._last

    def done(self) -> bool:
        """Whether the job has finished."""
        return self.progress().done

    def wait(self, timeout: float | None = None, interval: float = 0.05) -> bool:
        """Poll until the job is done (``True``) or ``timeout`` seconds pass (``False``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = interval
        while not self.done():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            pause = delay if deadline is None else min(delay, deadline - time.monotonic())
            time.sleep(max(pause, 0.0))
            delay = min(delay * 2, 1.0)
        return True


def bar(progress: Progress, width: int = 30) -> str:
    """``[#########      ]  60% 1200 records``."""
    filled = progress.percent * width // 100
    return f"[{'#' * filled}{' ' * (width - filled)}] {progress.percent:3d}% " + (
        f"{progress.records_read} records"
    )


def follow(
    job: Job,
    write: Callable[[str], None],
    *,
    quiet_for: float = 1.0,
    interval: float = 0.2,
) -> Progress:
    """Wait for ``job``, drawing a progress bar once it has run longer than ``quiet_for`` s."""
    start = time.monotonic()
    shown = False
    progress = job.progress()
    while not progress.done:
        if time.monotonic() - start >= quiet_for:
            write("\r" + bar(progress))
            shown = True
        time.sleep(interval)
        progress = job.progress()
    if shown:
        write("\r" + bar(progress) + "\n")
    return progress


class Invalidating(Protocol):
    """What the management commands need of a frontend cache."""

    def invalidate_tags(self, *tags: str, wait: bool = True) -> int | Job: ...

    def delete_pattern(self, pattern: str, *, wait: bool = True) -> int | Job: ...


def invalidate(
    cache: Invalidating,
    tags: Sequence[str],
    patterns: Sequence[str],
    *,
    wait: bool,
    write: Callable[[str], None],
) -> int:
    """The ``invalidate`` subcommand of both frameworks: report lines through ``write``.

    ``wait`` runs the fast filtered query; otherwise a background job runs
    on the server and is followed (a bar after a second; interrupting the
    command leaves the job running). Returns the number of entries removed.
    """
    runs: list[tuple[str, Callable[[], int | Job]]] = []
    if tags:
        what = f"tagged {', '.join(map(repr, tags))}"
        runs.append((what, functools.partial(cache.invalidate_tags, *tags, wait=wait)))
    for pattern in patterns:
        runs.append(
            (f"matching {pattern!r}", functools.partial(cache.delete_pattern, pattern, wait=wait))
        )
    total = 0
    for what, run in runs:
        result = run()
        if isinstance(result, Job):
            if result.started:
                write(f"job {result.job_id} started on the server for the entries {what}\n")
            count = follow(result, write).records_read
            write(f"job done: {_entries(count)} {what} removed\n")
        else:
            count = result
            write(f"{_entries(count)} {what} removed\n")
        total += count
    return total


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"
