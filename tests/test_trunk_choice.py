"""The trunk is where work lands: a default branch only ever fast-forwarded to another line is a
release line, not the trunk (zigbee2mqtt's `master`, fast-forwarded to `dev` at each release).
Every repository here is built by git itself."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from typer.testing import CliRunner

from advisor import cli, gitread, history, proofs
from advisor.model import History, TrunkRule
from tests.builders import git_cli

NOW = datetime(2024, 4, 1, tzinfo=timezone.utc)
DAY0 = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)
runner = CliRunner()


class _Git:
    """A repository grown by git, one pinned hour per command that writes."""

    def __init__(self, path: Path, trunk: str) -> None:
        path.mkdir(parents=True)
        self.path, self.clock, self.prs, self.changes = path, DAY0, 0, 0
        self.run("init", "-q", "-b", trunk)

    def run(self, *args: str) -> str:
        self.clock += timedelta(hours=1)
        return git_cli(self.path, *args, at=self.clock)

    def commit(self, message: str) -> None:
        self.changes += 1
        name = f"change-{self.changes}.txt"  # a file each: merges never conflict
        (self.path / name).write_text(f"{message}\n")
        self.run("add", name)
        self.run("commit", "-q", "-m", message)

    def pull_request(self, into: str) -> None:
        """A feature branch of one commit, merged into `into` by a pull request merge."""
        self.prs += 1
        self.run("checkout", "-q", "-b", f"feature-{self.prs}", into)
        self.commit(f"feature {self.prs}")
        self.run("checkout", "-q", into)
        self.run("merge", "-q", "--no-ff", f"feature-{self.prs}", "-m",
                 f"Merge pull request #{self.prs} from bob/feature-{self.prs}")
        self.run("branch", "-q", "-D", f"feature-{self.prs}")

    def days(self, days: int) -> None:
        self.clock += timedelta(days=days)

    def count(self, *args: str) -> int:
        return int(git_cli(self.path, "rev-list", "--count", *args).strip())


def fast_forwarded_master(path: Path) -> _Git:
    """Work lands on dev by pull requests; at each release master is fast-forwarded to dev's
    tagged tip; now and then a maintainer commits to master directly, and dev merges it back
    ("Merge branch 'master' into dev"), so master's next fast-forward passes that merge."""
    repo = _Git(path, "master")
    repo.commit("initial")
    repo.run("checkout", "-q", "-b", "dev")
    for release in range(1, 4):
        for _ in range(3):
            repo.pull_request("dev")
            repo.days(2)
        repo.run("tag", f"v1.{release}.0", "dev")
        repo.run("checkout", "-q", "master")
        repo.run("merge", "-q", "--ff-only", "dev")
        repo.commit(f"chore: CI settings {release}")  # on the default branch, where the workflows run
        repo.run("checkout", "-q", "dev")
        repo.run("merge", "-q", "--no-ff", "--no-edit", "master")
        repo.days(3)
    for _ in range(3):  # the next release's work, not yet on master
        repo.pull_request("dev")
        repo.days(1)
    repo.run("checkout", "-q", "master")
    repo.commit("chore: a hotfix on master")
    repo.run("checkout", "-q", "dev")
    repo.run("merge", "-q", "--no-ff", "--no-edit", "master")
    repo.run("checkout", "-q", "master")  # HEAD names master, as on the host
    return repo


def reconstruct(path: Path) -> History:
    return history.reconstruct(gitread.load(path), history.HistoryOptions(), NOW)


def test_a_default_branch_only_fast_forwarded_to_dev_is_not_the_trunk(tmp_path: Path) -> None:
    repo = fast_forwarded_master(tmp_path / "repo")
    assert repo.count("dev..master") == 0 and repo.count("master..dev") > 0
    found = reconstruct(repo.path)
    assert (found.trunk.name, found.trunk.rule) == ("dev", TrunkRule.FAST_FORWARDED)
    fed = found.trunk.fast_forwarded
    assert fed is not None and (fed.line, fed.rule) == ("master", TrunkRule.HEAD)
    # Since they last met: master's one hotfix, dev's three pull requests and the merge-back.
    assert fed.met_at == git_cli(repo.path, "rev-parse", "v1.3.0^{commit}").strip()
    assert (fed.own_commits, fed.trunk_commits, fed.trunk_integrations) == (2, 5, 5)
    assert fed.passed_back_merges == 2  # the first two merge-backs, both on master's chain now
    lines = {line.name: line for line in found.long_lived}
    assert "fast-forward" in lines["master"].reasons[0]
    assert not any(b.name == "master" for b in found.live_branches if not b.long_lived)
    # --trunk still wins, and names the rule it used.
    chosen = history.reconstruct(gitread.load(repo.path), history.HistoryOptions(trunk="master"), NOW)
    assert (chosen.trunk.name, chosen.trunk.rule, chosen.trunk.fast_forwarded) == ("master", TrunkRule.OPTION, None)


def test_scan_names_the_trunk_says_why_and_the_commands_give_its_numbers(tmp_path: Path) -> None:
    repo = fast_forwarded_master(tmp_path / "repo")
    result = runner.invoke(cli.app, ["scan", str(repo.path), "--no-cache", "--no-history", "--explain",
                                     "--since", "2023-06-01", "--until", "2024-04-01"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Trunk: dev  (the line the default branch only fast-forwards to;" in out
    assert "master (the repository's HEAD) only moves by fast-forward to dev:" in out
    assert "Model: gitflow" in out
    assert "Finish or delete `dev`" not in out
    # Every command printed under the trunk gives the number printed beside it.
    found = reconstruct(repo.path)
    reproduced = [proof for proof in proofs.trunk_choice(found) if proof.terms]
    assert len(reproduced) == 4
    for proof in reproduced:
        total = 0
        for item in proof.terms:
            assert f"$ {item.command}" in out
            done = subprocess.run(["bash", "-c", item.command], cwd=repo.path, capture_output=True, text=True,
                                  check=False)
            total += item.sign * int(done.stdout.strip())
        assert total == proof.value, proof.what
    document = json.loads(runner.invoke(cli.app, ["scan", str(repo.path), "--no-cache", "--no-history",
                                                  "--format", "json"]).stdout)
    assert document["history"]["trunk"]["fast_forwarded"]["line"] == "master"


def test_a_trunk_fast_forwarding_a_release_line_keeps_its_place(tmp_path: Path) -> None:
    """main is the trunk; `release` is fast-forwarded to it at each release and lags behind."""
    repo = _Git(tmp_path / "repo", "main")
    repo.commit("initial")
    repo.run("branch", "release")
    for release in range(1, 4):
        for _ in range(3):
            repo.pull_request("main")
            repo.days(2)
        repo.run("tag", f"v1.{release}.0")
        repo.run("checkout", "-q", "release")
        repo.run("merge", "-q", "--ff-only", "main")
        repo.run("checkout", "-q", "main")
    repo.pull_request("main")
    found = reconstruct(repo.path)
    assert (found.trunk.name, found.trunk.rule, found.trunk.fast_forwarded) == ("main", TrunkRule.HEAD, None)
    # HEAD on the release line: the line it is fast-forwarded to has no merge into it that proves so.
    repo.run("checkout", "-q", "release")
    assert reconstruct(repo.path).trunk.name == "release"


def test_a_line_rebuilt_on_top_of_the_trunk_is_no_trunk(tmp_path: Path) -> None:
    """git.git's `seen`: the trunk's tip with topic merges on top; ahead, never fast-forwarded to."""
    repo = _Git(tmp_path / "repo", "main")
    repo.commit("initial")
    for _ in range(4):
        repo.pull_request("main")
        repo.days(2)
    repo.run("checkout", "-q", "-b", "seen")
    for _ in range(3):
        repo.pull_request("seen")
    repo.run("merge", "-q", "--no-ff", "-m", "Merge branch 'main' into seen", "main")
    repo.run("checkout", "-q", "main")
    found = reconstruct(repo.path)
    assert (found.trunk.name, found.trunk.rule, found.trunk.fast_forwarded) == ("main", TrunkRule.HEAD, None)


def test_a_repository_of_one_line_has_it_for_trunk(tmp_path: Path) -> None:
    repo = _Git(tmp_path / "repo", "main")
    repo.commit("initial")
    repo.pull_request("main")
    found = reconstruct(repo.path)
    assert (found.trunk.name, found.trunk.rule, found.trunk.fast_forwarded) == ("main", TrunkRule.HEAD, None)
    result = runner.invoke(cli.app, ["scan", str(repo.path), "--no-cache", "--no-history"])
    assert "Trunk: main  (the repository's HEAD;" in result.stdout
    assert "only moves by fast-forward" not in result.stdout


def test_the_hotfix_not_yet_merged_back_keeps_the_default_branch(tmp_path: Path) -> None:
    """A commit of master's own that dev lacks: master is not fed only by dev now."""
    repo = fast_forwarded_master(tmp_path / "repo")
    repo.commit("chore: another hotfix, not merged back")
    assert repo.count("dev..master") == 1
    assert reconstruct(repo.path).trunk.name == "master"


def test_the_plan_keeps_dev_and_retires_the_fast_forwarded_master(tmp_path: Path) -> None:
    repo = fast_forwarded_master(tmp_path / "repo")
    out = tmp_path / "plan"
    result = runner.invoke(cli.app, ["plan", str(repo.path), "--out", str(out), "--no-cache", "-q",
                                     "--since", "2023-06-01", "--until", "2024-04-01"])
    assert result.exit_code == 0, result.stderr
    stages = "\n".join(path.read_text() for path in sorted((out / "stages").glob("*.md")))
    assert "(trunk `dev` at" in (out / "README.md").read_text()
    assert "`dev` (" not in stages  # never a branch to land or close: it is the trunk
    assert "Tag releases on `dev` instead of fast-forwarding `master` to it" in stages
    readme = (out / "README.md").read_text()
    now = readme.split("Now:", 1)[1].split("```", 2)[1]  # the current branch flow's Mermaid block
    assert '-->|"fast-forward"| n_master' in now and '-->|"release merge"|' not in now
    assert 'n_dev["dev"] -->|"tag"| n_release_tags' in now  # the tags are dev's, not master's
