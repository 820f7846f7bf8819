"""What came back: samples timed by lua/driver.lua, wrk's socket errors, and the figures the
harness prints (req/s, percentiles, errors, ratios). Pure Python, no Django."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SUMMARY_RE = re.compile(r"^LOADTEST_SUMMARY (?P<fields>.*)$", re.MULTILINE)
# p95 under this (ms), with no error, is what the scenario calls "held".
P95_TARGET_MS = 300.0


@dataclass(frozen=True)
class Sample:
    """One response: times in microseconds from the run's common start."""

    thread: int
    kind: str
    status: int
    ok: bool
    scheduled_us: int
    sent_us: int
    done_us: int

    @property
    def latency_ms(self) -> float:
        """From sending the request to the end of the response (the server's share)."""
        return (self.done_us - self.sent_us) / 1000

    @property
    def total_ms(self) -> float:
        """From the moment the request was due to the end of the response: in the open-loop
        scenario this includes waiting for a free connection when responses come late."""
        return (self.done_us - self.scheduled_us) / 1000


def parse_samples(text: str) -> list[Sample]:
    """The lines of samples.tsv; a malformed line is an error (the run cannot be trusted)."""
    samples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 7:
            raise ValueError(f"samples line {number}: expected 7 fields, got {len(fields)}")
        try:
            thread, status, ok, scheduled, sent, done = (int(fields[0]), int(fields[2]),
                                                         int(fields[3]), int(fields[4]),
                                                         int(fields[5]), int(fields[6]))
        except ValueError:
            raise ValueError(f"samples line {number}: not a number") from None
        if ok not in (0, 1) or done < sent:
            raise ValueError(f"samples line {number}: inconsistent values")
        samples.append(Sample(thread, fields[1], status, bool(ok), scheduled, sent, done))
    return samples


@dataclass(frozen=True)
class WrkSummary:
    """wrk's own counts: requests and socket errors (connect, read, write, timeout); `unsent`
    counts planned requests a connection never sent before the run's time was up;
    late_start_ms how long after the common start the last connection was ready."""

    requests: int = 0
    connect: int = 0
    read: int = 0
    write: int = 0
    status: int = 0
    timeout: int = 0
    unsent: int = 0
    late_start_ms: int = 0

    @property
    def socket_errors(self) -> int:
        return self.connect + self.read + self.write + self.timeout


def parse_summary(stdout: str) -> WrkSummary:
    """The LOADTEST_SUMMARY line the script's done() prints."""
    match = SUMMARY_RE.search(stdout)
    if match is None:
        raise ValueError("wrk printed no LOADTEST_SUMMARY line")
    values = {}
    for pair in match.group("fields").split():
        key, _sep, value = pair.partition("=")
        if key in WrkSummary.__dataclass_fields__:
            values[key] = int(value)
    return WrkSummary(**values)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def steady_rate(samples: Sequence[Sample]) -> float:
    """Responses per second while every connection was busy: between the last connection's
    first send and the first connection's last response (a closed-loop run's tail, when some
    connections have finished their share, would understate the rate). Falls back to the
    whole span when that window is too short to mean anything."""
    if not samples:
        return 0.0
    first_sent: dict[int, int] = {}
    last_done: dict[int, int] = {}
    for s in samples:
        first_sent[s.thread] = min(first_sent.get(s.thread, s.sent_us), s.sent_us)
        last_done[s.thread] = max(last_done.get(s.thread, s.done_us), s.done_us)
    start, end = max(first_sent.values()), min(last_done.values())
    span_start, span_end = min(first_sent.values()), max(last_done.values())
    if end - start >= max(500_000, 0.5 * (span_end - span_start)):
        count = sum(1 for s in samples if start < s.done_us <= end)
        return count / ((end - start) / 1e6)
    return len(samples) / max((span_end - span_start) / 1e6, 1e-6)


@dataclass(frozen=True)
class EndpointResult:
    """One endpoint at one concurrency."""

    kind: str
    concurrency: int
    requests: int
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    queries: int | None = None


def endpoint_result(samples: Sequence[Sample], *, kind: str, concurrency: int,
                    summary: WrkSummary | None = None, queries: int | None = None
                    ) -> EndpointResult:
    """Figures of a closed-loop run of one endpoint (latency from send to response)."""
    mine = [s for s in samples if s.kind == kind]
    latencies = [s.latency_ms for s in mine]
    errors = sum(1 for s in mine if not s.ok)
    if summary is not None:
        # Not `unsent`: a start or submit run leaves the rest of its pool when time is up.
        errors += summary.socket_errors
    return EndpointResult(kind, concurrency, len(mine), steady_rate(mine),
                          percentile(latencies, 50), percentile(latencies, 95),
                          percentile(latencies, 99), errors, queries)


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else math.nan


@dataclass(frozen=True)
class PhaseResult:
    """One phase of the open-loop scenario; percentiles from the due time (total_ms)."""

    name: str
    requests: int
    planned: int
    p50: float
    p95: float
    p99: float
    service_p95: float
    errors: int
    kinds: dict

    @property
    def held(self) -> bool:
        return self.errors == 0 and self.requests > 0 and self.p95 < P95_TARGET_MS


def phase_result(samples: Sequence[Sample], *, name: str, planned_kind: str, planned: int,
                 summary: WrkSummary | None = None) -> PhaseResult:
    """A scenario phase: every response counts (a start's chained page too); planned requests
    that were never answered (unsent when time was up, or lost to a socket error) are errors."""
    totals = [s.total_ms for s in samples]
    errors = sum(1 for s in samples if not s.ok)
    if summary is not None:
        errors += summary.socket_errors
    kinds = {}
    for kind in sorted({s.kind for s in samples}):
        values = [s.total_ms for s in samples if s.kind == kind]
        kinds[kind] = {"count": len(values), "p50": percentile(values, 50),
                       "p95": percentile(values, 95), "p99": percentile(values, 99)}
    missing = max(0, planned - sum(1 for s in samples if s.kind == planned_kind))
    return PhaseResult(name, len(samples), planned, percentile(totals, 50),
                       percentile(totals, 95), percentile(totals, 99),
                       percentile([s.latency_ms for s in samples], 95),
                       errors + missing, kinds)


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def endpoints_table(rows: Iterable[tuple[EndpointResult, str, float]]) -> str:
    """Rows of (result, baseline name, ratio) as an aligned text table."""
    lines = [f"{'endpoint':<10} {'conc':>5} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
             f"{'p99 ms':>7} {'errors':>6} {'queries':>7} {'ratio':>6}  baseline"]
    for result, baseline, value in rows:
        queries = "-" if result.queries is None else str(result.queries)
        shown = "-" if math.isnan(value) else f"{value:.2f}"
        lines.append(f"{result.kind:<10} {result.concurrency:>5} {result.rps:>8.1f} "
                     f"{_ms(result.p50):>7} {_ms(result.p95):>7} {_ms(result.p99):>7} "
                     f"{result.errors:>6} {queries:>7} {shown:>6}  {baseline}")
    return "\n".join(lines)


def phases_table(phases: Iterable[PhaseResult]) -> str:
    lines = [f"{'phase':<8} {'requests':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
             f"{'srv p95':>7} {'errors':>6}  held (p95 < {P95_TARGET_MS:.0f} ms, no errors)"]
    for phase in phases:
        kinds = ", ".join(f"{k} n={v['count']} p95={_ms(v['p95'])}"
                          for k, v in phase.kinds.items())
        lines.append(f"{phase.name:<8} {phase.requests:>8} {_ms(phase.p50):>7} "
                     f"{_ms(phase.p95):>7} {_ms(phase.p99):>7} {_ms(phase.service_p95):>7} "
                     f"{phase.errors:>6}  {'yes' if phase.held else 'NO'}  ({kinds})")
    return "\n".join(lines)


FRAME_RE = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")


def _frame(text: str) -> str:
    match = FRAME_RE.match(text.strip())
    if match is None:
        return text.strip()
    file = match.group("file")
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{match.group('function')} ({file})"


def collapsed_top(text: str, *, top: int = 15, own_code: Sequence[str] = ()) -> str:
    """A py-spy `--format raw` (collapsed stacks) recording as two lists: the functions the
    samples were in (own time), and the project's functions by samples under them."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in text.splitlines():
        stack, _sep, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        leaf = _frame(frames[-1])
        own[leaf] = own.get(leaf, 0) + n
        for name in {_frame(f) for f in frames if any(code in f for code in own_code)}:
            inclusive[name] = inclusive.get(name, 0) + n
    if not total:
        return "no samples"
    lines = [f"{total} samples; own time:"]
    for name, n in sorted(own.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"  {100 * n / total:5.1f}%  {name}")
    if inclusive:
        lines.append("project functions, time under them:")
        for name, n in sorted(inclusive.items(), key=lambda item: -item[1])[:top]:
            lines.append(f"  {100 * n / total:5.1f}%  {name}")
    return "\n".join(lines)
