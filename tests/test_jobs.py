"""The job handle over job_info answers (a real job runs in tests/store/test_patterns_tags.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aerospike_cache.jobs import Job, Progress, bar, follow


class Answers:
    """job_info answers in sequence, as a server reports a job advancing."""

    def __init__(self, *answers: Mapping[str, Any] | None) -> None:
        self.answers = list(answers)
        self.asked = 0

    def __call__(self, job_id: int) -> Mapping[str, Any] | None:
        self.asked += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_progress_reaches_100_and_stops_asking() -> None:
    info = Answers(
        {"status": 1, "progress_pct": 40, "records_read": 4},
        {"status": 2, "progress_pct": 100, "records_read": 10},
    )
    job = Job(7, "delete_pattern('a*')", info)
    assert job.progress() == Progress(40, 4, False)
    assert job.progress() == Progress(100, 10, True)
    asked = info.asked
    assert job.done() and info.asked == asked  # a finished job is not asked again
    assert "done" in repr(job) and "10 records" in repr(job)


def test_completed_status_means_100_percent() -> None:
    job = Job(1, "x", Answers({"status": 2, "progress_pct": 0, "records_read": 3}))
    assert job.progress() == Progress(100, 3, True)


def test_wait_times_out_then_succeeds() -> None:
    info = Answers({"status": 1, "progress_pct": 10, "records_read": 1})
    job = Job(3, "x", info)
    assert job.wait(timeout=0.05) is False
    info.answers = [{"status": 2, "progress_pct": 100, "records_read": 2}]
    assert job.wait(timeout=1) is True
    assert job.progress().records_read == 2


def test_unanswered_reading_keeps_the_last_one() -> None:
    info = Answers({"status": 1, "progress_pct": 50, "records_read": 5}, None)
    job = Job(2, "x", info)
    assert job.progress().percent == 50
    assert job.progress() == Progress(50, 5, False)


def test_a_job_never_started_is_finished_and_empty() -> None:
    job = Job(None, "x", Answers(None))
    assert not job.started
    assert job.done() and job.wait(0) and job.progress() == Progress(0, 0, True)


def test_follow_draws_a_bar_once_the_job_runs_long() -> None:
    info = Answers(
        {"status": 1, "progress_pct": 0, "records_read": 0},
        {"status": 1, "progress_pct": 50, "records_read": 5},
        {"status": 2, "progress_pct": 100, "records_read": 10},
    )
    drawn: list[str] = []
    final = follow(Job(1, "x", info), drawn.append, quiet_for=0.0, interval=0.0)
    assert final == Progress(100, 10, True)
    assert drawn[-1] == "\r" + bar(final) + "\n"
    assert "[###############               ]  50% 5 records" in "".join(drawn)


def test_follow_stays_quiet_for_short_jobs() -> None:
    info = Answers({"status": 2, "progress_pct": 100, "records_read": 3})
    drawn: list[str] = []
    assert follow(Job(1, "x", info), drawn.append).records_read == 3
    assert drawn == []
