"""Plain records shared by every stage of the pipeline.

The commit graph is the one structure kept compact (parallel lists and arrays indexed
by an integer commit id) because large repositories have hundreds of thousands of
commits; every later record is a frozen dataclass.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any

SCHEMA_VERSION = 1

# A column of machine integers (8 bytes a value, where a list holds a pointer and a 28-byte int object).
# array is not subscriptable before Python 3.12, so the parameter exists only for the type checker.
if TYPE_CHECKING:
    Numbers = array[int]
else:
    Numbers = array
TIMES, SMALL = "q", "i"  # typecodes: epoch seconds; zone minutes and indexes into `people`


def times() -> Numbers:
    return array(TIMES)


def small_numbers() -> Numbers:
    return array(SMALL)


def picker(order: Sequence[int]) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """What takes a column's values at `order`'s positions, in that order, in one C call (to renumber a
    graph's columns; itemgetter returns a bare value, not a tuple, for one position)."""
    if len(order) == 1:
        only = order[0]
        return lambda values: (values[only],)
    return itemgetter(*order) if order else (lambda values: ())


def picked_numbers(values: Numbers, pick: Callable[[Sequence[Any]], Sequence[Any]]) -> Numbers:
    """The numbers `pick` (a `picker`) takes from `values`, in its order, of the same machine type."""
    return array(values.typecode, pick(values))


@lru_cache(maxsize=512)
def _zone(offset_minutes: int) -> timezone:
    return timezone(timedelta(minutes=offset_minutes))


CLOCK_SKEW_SECONDS = 60  # clocks this far apart are tolerated, not read as skew (history's anomaly count agrees)
STALE_DAYS = 90  # GitHub and GitLab call a branch stale after 3 months without commits (FIELD-NOTES §3)


def is_stale(last_commit_at: datetime, now: datetime, days: int = STALE_DAYS) -> bool:
    """No commit for more than `days` days: the one definition every stage uses."""
    return (now - last_commit_at).total_seconds() > days * 86_400


def human_hours(hours: float | None, days: str = "d") -> str:
    """A duration for people, the one style of every output: hours under 48 h, then days; '-' when unknown."""
    if hours is None:
        return "-"
    if abs(hours) < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} {days}"


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun as people say it: "1 branch", "2 branches" (`plural` when adding -s is wrong)."""
    return f"{number} {noun}" if number == 1 else f"{number} {plural or noun + 's'}"


def human_days(days: float | None) -> str:
    """A duration measured in days, in the style of `human_hours` (so 1.5 days is 36.0 h)."""
    return human_hours(None if days is None else days * 24)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def instant(moment: datetime) -> timedelta:
    """A sort key for aware datetimes: the order of their instants, as comparing them gives it, but
    compared without looking up two zones' offsets each time (sorting 88k episodes by their merge
    times: 2.0 s by the datetimes, 0.3 s by this key)."""
    return moment - _EPOCH


def aware(epoch: int, offset_minutes: int) -> datetime:
    """A git timestamp as an aware datetime in the committer's own zone."""
    if not -1440 < offset_minutes < 1440:
        offset_minutes = 0  # git accepts any offset; Python's timezone only (-24h, 24h)
    return datetime.fromtimestamp(epoch, _zone(offset_minutes))


class RefKind(StrEnum):
    LOCAL = "local"
    REMOTE = "remote"
    TAG = "tag"
    PULL = "pull"  # refs/pull/N/head (GitHub) and refs/merge-requests/N/head (GitLab)
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class Ref:
    name: str  # full ref name, e.g. refs/remotes/origin/develop
    kind: RefKind
    short: str  # branch/tag name without prefix and remote, e.g. develop
    target: int  # commit index in the graph (tags peeled)
    remote: str | None = None
    tag_time: int | None = None  # tagger time of an annotated tag
    tag_offset: int | None = None
    pr: int | None = None


@dataclass(slots=True)
class CommitGraph:
    """Every commit reachable from the repository's refs, by integer index.

    `trailers` holds, for the few commits that have them, the body lines that
    later stages read (cherry-pick and revert trailers, merge-request links);
    whole bodies are not kept, to bound memory.
    """

    shas: list[str] = field(default_factory=list)
    parents: list[tuple[int, ...]] = field(default_factory=list)
    # The per-commit numbers are arrays: on a 1M-commit history, lists of them held 76 MB more.
    author_time: Numbers = field(default_factory=times)
    author_offset: Numbers = field(default_factory=small_numbers)
    commit_time: Numbers = field(default_factory=times)
    commit_offset: Numbers = field(default_factory=small_numbers)
    author: Numbers = field(default_factory=small_numbers)  # index into people
    committer: Numbers = field(default_factory=small_numbers)
    people: list[tuple[str, str]] = field(default_factory=list)  # (name, email), .mailmap applied
    subject: list[str] = field(default_factory=list)
    trailers: dict[int, tuple[str, ...]] = field(default_factory=dict)
    refs: tuple[Ref, ...] = ()
    head_ref: str | None = None  # what HEAD points at (full ref name), None when detached
    head_target: int | None = None
    remote_head: str | None = None  # full ref name refs/remotes/origin/HEAD points at
    shallow: bool = False
    missing_parents: int = 0  # parents absent from the repository (shallow or grafted)

    def __len__(self) -> int:
        return len(self.shas)


class TrunkRule(StrEnum):
    OPTION = "chosen with --trunk"
    REMOTE_HEAD = "the remote's default branch (refs/remotes/origin/HEAD)"
    HEAD = "the repository's HEAD"
    CONVENTIONAL = "the conventional name (main, master, trunk)"
    FAST_FORWARDED = "the line the default branch only fast-forwards to"


@dataclass(frozen=True, slots=True, kw_only=True)
class FastForwarded:
    """The default branch (HEAD's) when it only ever moves by fast-forward to another line, which
    is then the trunk: the numbers that show it, each one a git command away (`proofs.trunk_choice`)."""

    line: str  # the default branch: a release line moved by fast-forward (zigbee2mqtt's master)
    ref: str  # its full ref name
    rule: TrunkRule  # how it was the default branch (HEAD, the remote's HEAD, the conventional name)
    met_at: str  # sha of the newest commit on both first-parent chains: where it was last fast-forwarded to
    met_on: datetime  # that commit's committer date
    own_commits: int  # its first-parent commits since then: no integration among them, all in the trunk
    trunk_commits: int  # the trunk's first-parent commits since then
    trunk_integrations: int  # among them, merges and commits citing a pull request
    passed_back_merges: int  # its merges into the trunk whose merged commit its own first-parent chain passed by


@dataclass(frozen=True, slots=True, kw_only=True)
class Trunk:
    name: str
    ref: str
    rule: TrunkRule
    tip: str
    fast_forwarded: FastForwarded | None = None  # with rule FAST_FORWARDED: the default branch it feeds


class MergeMethod(StrEnum):
    MERGE = "merge"
    SQUASH = "squash"
    REBASE = "rebase"
    FAST_FORWARD = "fast-forward"
    DIRECT = "direct"


class NameOrigin(StrEnum):
    LIVE_REF = "live-ref"
    MERGE_SUBJECT = "merge-subject"
    PULL_REF = "pull-ref"
    UNKNOWN = "unknown"


class EpisodeKind(StrEnum):
    FEATURE = "feature"
    RELEASE = "release"  # a release/* branch merged into a long-lived line
    HOTFIX = "hotfix"
    DIRECT = "direct"  # a commit made straight on the line


@dataclass(frozen=True, slots=True, kw_only=True)
class Episode:
    """One branch's life: from its first commit to its merge into a long-lived line."""

    id: str  # sha of the commit that integrated it (for rebase runs: the last of the run)
    target: str
    source: str | None
    name_origin: NameOrigin
    pr: int | None
    host: str
    method: MergeMethod
    kind: EpisodeKind
    commits: tuple[str, ...]  # the commits the branch brought (not shown in JSON, counted)
    sync_merges: int  # merges from a long-lived line into the branch: not work
    authors: tuple[str, ...]
    author: str  # who made its first commit
    fork_point: str | None
    forked_from: str | None  # the long-lived line the fork point belongs to, when known
    first_commit_at: datetime
    last_commit_at: datetime
    merged_at: datetime
    behind: int | None  # target first-parent commits the branch had not integrated when merged
    deleted: bool  # no live ref carries the branch any more
    bot: bool
    clock_skew: bool  # its earliest commit is dated after the merge: lifetime not trusted
    exact_lifetime: bool  # False for squash merges without the original branch
    lifetime_unknown: bool = False  # a squash merge whose branch git no longer has (no PR ref): no lifetime
    repeat_of: str | None = None  # the same branch merged again into another line (no new work)
    reached_trunk_at: datetime | None = None  # when the change arrived on the trunk (None: not yet)
    released_at: datetime | None = None  # when the first final release containing it was tagged
    release: str | None = None  # that release's tag
    merged_by: str | None = None  # who put it on its line: a merge's author, else its committer (None: a forge)
    # What the merge brought onto its target line (git rev-list --count M^1..M^2), counting commits an
    # earlier episode on another line already claimed: for a branch merged into two lines (a repeat)
    # this is its size there, while `commits` holds only what no line had before (work counted once).
    landed_commits: int | None = None  # None: the same as len(commits)
    landed_first_commit_at: datetime | None = None  # earliest author time of those (None: that of first_commit_at)
    cites_pr: int | None = None  # the pull request its last single-parent commit cites ("Closes #N", "PR-URL: …/pull/N")
    also_citing: tuple[str, ...] = ()  # a rebase run's or fast-forward's other commits that cite one (git log --grep finds them too)

    @property
    def lifetime_seconds(self) -> int | None:
        """Merge time minus first commit time; None when the clocks disagree or the branch is gone."""
        if self.clock_skew or self.lifetime_unknown:
            return None
        # Within the skew tolerated (CLOCK_SKEW_SECONDS) a first commit dated after the merge lived 0 s.
        return max(0, int((self.merged_at - self.first_commit_at).total_seconds()))


class LineMergeKind(StrEnum):
    RELEASE = "release"  # an integration line into the trunk (develop -> master)
    BACK_MERGE = "back-merge"  # the trunk into an integration line (master -> develop)
    PROMOTION = "promotion"  # the trunk into an environment line (main -> production)
    FORWARD = "forward"  # a maintenance line into the trunk (stable -> main)
    SYNC = "sync"  # any other long-lived to long-lived merge


@dataclass(frozen=True, slots=True, kw_only=True)
class LineMerge:
    """A merge of one long-lived line into another (no new branch work of its own)."""

    commit: str
    source: str
    target: str
    kind: LineMergeKind
    merged_at: datetime
    # A release batch, not a work branch: its size and age are those of the commits it brought onto
    # its target (git rev-list M^1..M^2), which earlier episodes on the source line already claimed.
    pr: int | None = None  # the pull request that merged it (a release PR from develop to master)
    commits: int = 0  # commits it brought onto the target line
    first_commit_at: datetime | None = None  # the earliest author time among them (None: it brought none)


@dataclass(frozen=True, slots=True, kw_only=True)
class LongLivedBranch:
    name: str
    live: bool  # a ref holds the line; False for lines rebuilt from merge subjects or merged tags only
    tip: str
    first_commit_at: datetime
    last_commit_at: datetime
    mainline_commits: int  # commits on its own first-parent chain, not on the trunk's
    merges_received: int
    merged_into_trunk: int
    tags: int
    reasons: tuple[str, ...]
    # A chain that starts at tagged commits and never releases again was forked from that release (git's
    # topics forked from maint at v2.26.2): those tags are not its own.
    final_tags: int = 0  # final version tags cut on its own first-parent chain: the releases made from it


class CherryPickDirection(StrEnum):
    TRUNK_TO_BRANCH = "trunk-to-branch"
    BRANCH_TO_TRUNK = "branch-to-trunk"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class CherryPick:
    commit: str
    picked_from: str
    line: str | None
    from_line: str | None
    direction: CherryPickDirection
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Revert:
    commit: str
    reverted: str
    line: str | None
    at: datetime
    reverted_found: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    tag: str
    commit: str
    at: datetime
    line: str | None  # long-lived line the tagged commit sits on, None when on a short branch
    branch: str | None  # the short branch it sits on, when known
    version: tuple[int, ...] | None
    prerelease: bool
    annotated: bool
    new_commits: int  # commits no earlier version tag contains
    shipped: int  # commits no earlier final release contains (0 for pre-releases and re-tags)


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveBranch:
    name: str
    ref: str
    tip: str
    ahead: int  # commits not reachable from the trunk
    behind: int  # trunk first-parent commits the branch does not contain
    forked_at: datetime | None
    last_commit_at: datetime
    authors: tuple[str, ...]
    merged: bool  # everything is already in the trunk: merged but not deleted
    base: str | None = None  # the newest trunk commit the branch contains: the base of a trial merge
    pr: int | None
    long_lived: bool = False  # one of the long-lived lines, not a feature branch
    on_trunk_line: bool = False  # its tip is a commit of the trunk's first-parent chain (moved by fast-forward)
    tip_tags: tuple[str, ...] = ()  # version tags on its tip, of any series (tiny-curl-8_4_0 on curl's tiny-curl-8_4)


@dataclass(frozen=True, slots=True, kw_only=True)
class MergeCheck:
    branch: str
    clean: bool | None  # None when not checked (time budget)
    conflicts: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Anomalies:
    committer_before_author: int
    commit_before_parent: int
    future_dated: int
    epoch_dated: int  # dated before 1980: usually a broken clock or an import
    missing_parents: int


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """Everything reconstructed; episodes are sorted by (merged_at, id), which lookups by window rely on."""

    trunk: Trunk
    long_lived: tuple[LongLivedBranch, ...]
    episodes: tuple[Episode, ...]
    line_merges: tuple[LineMerge, ...]
    cherry_picks: tuple[CherryPick, ...]
    reverts: tuple[Revert, ...]
    releases: tuple[Release, ...]
    live_branches: tuple[LiveBranch, ...]
    anomalies: Anomalies
    commit_count: int
    trunk_commits: int  # first-parent chain length of the trunk
    unreleased_trunk_commits: int | None  # commits in the trunk no final release contains (None: no releases)


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    since: datetime
    until: datetime

    def contains(self, moment: datetime) -> bool:
        return self.since <= moment < self.until


@dataclass(frozen=True, slots=True, kw_only=True)
class Distribution:
    """Nearest-rank percentiles of a sample (None when the sample is empty)."""

    count: int
    p50: float | None
    p90: float | None
    max: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        if not values:
            return cls(count=0, p50=None, p90=None, max=None)
        ordered = sorted(values)
        return cls(count=len(ordered), p50=percentile(ordered, 50), p90=percentile(ordered, 90), max=ordered[-1])


def percentile(ordered: Sequence[float], rank: int) -> float:
    """Nearest-rank percentile: the smallest value with at least rank% of the sample at or below it."""
    index = max(0, -(-rank * len(ordered) // 100) - 1)
    return ordered[index]


@dataclass(frozen=True, slots=True, kw_only=True)
class EpisodeLines:
    added: int
    deleted: int


def _record_shape() -> str:
    """Every record's field names, in order: a cache written by other code has another shape."""
    import dataclasses
    import hashlib

    parts = [
        f"{name}:{','.join(f.name for f in dataclasses.fields(value))}"
        for name, value in sorted(globals().items())
        if isinstance(value, type) and dataclasses.is_dataclass(value)
    ]
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:16]


RECORD_SHAPE = _record_shape()
