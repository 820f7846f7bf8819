"""Query budgets for admin listings: the count is within a budget and does not grow with rows."""

from __future__ import annotations

from collections.abc import Callable


def assert_listing_budget(client, url: str, *, budget: int, grow: Callable[[], None],
                          assert_max_num_queries) -> None:
    """GET `url` before and after `grow()` adds rows: both answer 200 within `budget` queries,
    and the second costs no more queries than the first."""
    client.get(url)  # warm per-process caches (content types, site root) out of the count
    with assert_max_num_queries(budget) as small:
        assert client.get(url).status_code == 200
    grow()
    with assert_max_num_queries(budget) as large:
        assert client.get(url).status_code == 200
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]
