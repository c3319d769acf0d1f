"""A team moving from Gitflow to trunk-based development, one phase between scans.

Phase A (January to April): features live three days on develop, develop is
merged into master and tagged weekly, an abandoned spike goes stale.
Phase B (April): the spike is deleted; features branch from master and merge
within hours; releases every two days; develop is left alone.
Phase C (May): develop is deleted.
Phase D: five branches are opened and left open (work in progress regresses).

`SCANS` names the moment after each phase a weekly job would scan.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from advisor import pipeline, plandoc, recommend, snapshot
from advisor.history import HistoryOptions
from advisor.scan import Scan
from tests.builders import ALICE, BOB, CAROL, RepoBuilder
from tests.plans import NO_CI

UTC = timezone.utc
SCANS = {
    "A": datetime(2024, 4, 8, 12, tzinfo=UTC),
    "B": datetime(2024, 4, 29, 12, tzinfo=UTC),
    "C": datetime(2024, 5, 13, 12, tzinfo=UTC),
    "D": datetime(2024, 5, 20, 12, tzinfo=UTC),
}
WINDOW_DAYS = 30
PEOPLE = (ALICE, BOB, CAROL)


class Team:
    def __init__(self, path: Path) -> None:
        self.b = RepoBuilder(path, trunk="master")
        self.features = 0
        self.releases = 0
        self.b.commit("Initial commit", at=datetime(2024, 1, 1, 9, tzinfo=UTC))
        self.b.branch("develop")
        self.b.commit("Start develop", branch="develop", at=datetime(2024, 1, 1, 10, tzinfo=UTC))
        self.b.branch("spike/abandoned", "develop")
        self.b.commit("Try something", branch="spike/abandoned", at=datetime(2024, 1, 2, 9, tzinfo=UTC))

    def _feature(self, base: str, start: datetime, commits: int, spacing: timedelta, merge_after: timedelta,
                 into: str, merge: bool = True) -> None:
        self.features += 1
        name = f"feature/{self.features:03d}"
        who = PEOPLE[self.features % 3]
        self.b.branch(name, base)
        for i in range(commits):
            self.b.commit(branch=name, at=start + i * spacing, author=who)
        if merge:
            self.b.merge(name, into, at=start + merge_after, who=who, delete=True)

    def _release(self, at: datetime, major: int) -> None:
        self.releases += 1
        self.b.tag(f"v{major}.{self.releases}.0", "master", annotated=True, at=at)

    def phase_a(self) -> None:
        monday = datetime(2024, 1, 8, 9, tzinfo=UTC)
        while monday < SCANS["A"] - timedelta(days=3):
            for offset in (0, 1):
                self._feature("develop", monday + timedelta(hours=offset), 3, timedelta(hours=24),
                              timedelta(hours=72 + offset), "develop")
            friday = monday + timedelta(days=4)
            self.b.merge("develop", "master", message="Merge branch 'develop'", at=friday)
            self._release(friday + timedelta(minutes=30), 1)
            monday += timedelta(days=7)

    def phase_b(self) -> None:
        self.b.delete_branch("spike/abandoned")
        day = SCANS["A"] + timedelta(hours=21)  # Tuesday 9:00
        while day < SCANS["B"] - timedelta(days=1):
            if day.weekday() < 5:
                self._feature("master", day, 2, timedelta(hours=2), timedelta(hours=4), "master")
                if day.weekday() in (1, 3):
                    self._release(day + timedelta(hours=5), 2)
            day += timedelta(days=1)

    def phase_c(self) -> None:
        self.b.delete_branch("develop")
        day = SCANS["B"] + timedelta(hours=21)
        while day < SCANS["C"] - timedelta(days=1):
            if day.weekday() < 5:
                self._feature("master", day, 2, timedelta(hours=1), timedelta(hours=3), "master")
                if day.weekday() in (1, 3):
                    self._release(day + timedelta(hours=4), 2)
            day += timedelta(days=1)

    def phase_d(self) -> None:
        day = SCANS["C"] + timedelta(hours=21)
        for i in range(5):
            self._feature("master", day + timedelta(hours=i), 1, timedelta(hours=1), timedelta(hours=1), "master",
                          merge=False)
        self._feature("master", day + timedelta(days=1), 2, timedelta(hours=1), timedelta(hours=3), "master")
        self._release(day + timedelta(days=1, hours=4), 2)

    def phase(self, name: str) -> None:
        {"A": self.phase_a, "B": self.phase_b, "C": self.phase_c, "D": self.phase_d}[name]()


def scan_at(path: Path, now: datetime) -> Scan:
    return pipeline.run_scan(pipeline.ScanRequest(
        path=path, now=now, options=HistoryOptions(), since=now - timedelta(days=WINDOW_DAYS),
        merge_check_seconds=0))


def snapshots(path: Path, phases: str = "ABCD") -> list[snapshot.Snapshot]:
    """Grow the team's repository phase by phase and take the snapshot a scan after each would store."""
    team = Team(path)
    taken = []
    prior = recommend.Prior()
    for name in phases:
        team.phase(name)
        scan = scan_at(path, SCANS[name])
        plan = recommend.build_plan(scan, NO_CI, prior)
        # The targets set by the first plan are kept, as the plan folder's plan.json keeps them.
        prior = recommend.Prior(stages=tuple(stage.id for stage in plan.stages),
                                targets={c.id: c.target for stage in plan.stages for c in stage.criteria})
        taken.append(snapshot.from_scan(scan, plan, team_checklists(plan)))
    return taken


def team_checklists(plan: recommend.Plan, *, ticked_by_people: bool = True) -> dict[str, tuple[snapshot.ItemState, ...]]:
    """Each stage's checklist as a plan folder would hold it: the tool's ticks from the measured
    criteria, and (`ticked_by_people`) every other item ticked by the team."""
    boxes = plandoc.checklists(plan, lambda _path: None, {})
    return {ident: tuple(snapshot.ItemState(id=b.id, ticked=b.ticked or ticked_by_people,
                                            by="tool" if b.ticked else "person" if ticked_by_people else "")
                         for b in stage) for ident, stage in boxes.items()}
