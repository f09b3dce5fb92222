"""The ingest filters as the reader applies them, with the counts of what they dropped: a
record out of scope leaves no row anywhere, so these counts are its only trace (ingest's stats,
then the metrics and the dataset card)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pipeline.sources.filters import Filters, merge_counts

if TYPE_CHECKING:
    from pipeline.config import IngestFilters


@dataclass
class Screen:
    """:class:`Filters` and a count per filter of the records it dropped."""

    filters: Filters = field(default_factory=Filters)
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, params: IngestFilters) -> Screen:
        return cls(Filters.from_params(params))

    @property
    def active(self) -> bool:
        return self.filters.active

    def drops_record(self, url: str | None, fetched_at: datetime | None, size: int | None) -> bool:
        """Whether the filters drop a record from its WARC header (or a plain file from its
        manifest entry and size); a dropped one is counted."""
        return self.active and self._counted(self.filters.check_record(url, fetched_at, size))

    def drops_http(self, status: int | None, content_type: str | None) -> bool:
        """Whether the filters drop a WARC record from its HTTP head; a dropped one is counted."""
        return self.active and self._counted(self.filters.check_http(status, content_type))

    def _counted(self, verdict: str | None) -> bool:
        if verdict is None:
            return False
        self.counts[str(verdict)] += 1
        return True

    def add(self, counts: Mapping[str, int]) -> None:
        """Counts of records a finished part of the run dropped (see :mod:`pipeline.ingest`)."""
        self.counts.update(counts)

    def total(self) -> int:
        return sum(self.counts.values())

    def sorted_counts(self) -> dict[str, int]:
        return merge_counts([self.counts])
