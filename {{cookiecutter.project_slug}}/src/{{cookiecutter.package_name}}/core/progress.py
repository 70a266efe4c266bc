"""Progress lines for long stages: how far a count has gone and the time left, every few seconds.

A stage that goes through millions of rows or hundreds of boosting rounds logs a line
such as ``prepare: 3,000,000 of 10,000,000 rows (30%), about 12 s left`` at most once
every ``every`` seconds, and one line when it is done, so a person following the log
sees it move without the log growing with the data.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

EVERY = 5.0  # seconds between two progress lines


class Progress:
    """Count ``unit`` done out of ``total`` and log it at a readable rate."""

    def __init__(self, what: str, total: int, unit: str = "rows", every: float = EVERY) -> None:
        self.what, self.total, self.unit, self.every = what, total, unit, every
        self.done = 0
        self.started = self.last = time.monotonic()

    def update(self, count: int) -> None:
        """Add ``count`` done; log a line if ``every`` seconds passed since the last one."""
        self.done += count
        now = time.monotonic()
        if now - self.last >= self.every and self.done < self.total:
            self.last = now
            log.info("%s", self.line(now))

    def line(self, now: float) -> str:
        """The progress so far, with the time left at the pace so far."""
        share = self.done / self.total if self.total else 1.0
        text = f"{self.what}: {self.done:,} of {self.total:,} {self.unit} ({100 * share:.0f}%)"
        if 0 < share < 1:
            left = (now - self.started) * (1 - share) / share
            text += f", about {duration(left)} left"
        return text

    def finish(self) -> None:
        """Log the count reached and the time it took (when it took long enough to be followed)."""
        took = time.monotonic() - self.started
        if took >= self.every:
            log.info("%s: %s %s in %s", self.what, f"{self.done:,}", self.unit, duration(took))


def duration(seconds: float) -> str:
    """``seconds`` as 8 s, 3 min 20 s or 1 h 05 min."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
