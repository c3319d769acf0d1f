"""Check the CI-configuration reader against real repositories' mirrors, when you have them.

Not a test: tests use only the repository and what they build, never a folder of one
machine. Give the folder holding `<owner>+<name>/repo` bare mirrors:

    python scripts/ci_mirrors.py /path/to/mirrors
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from advisor import gitread  # noqa: E402
from advisor.ci import find_checks  # noqa: E402

# repository, trunk, checks that must not be reported, checks that must be
EXPECTED = [
    ("twpayne+chezmoi", "master",
     {"clear-caches", "deploy-website", "release", "lint-macos-15", "test-install-sh (macos-14)"},
     {"check", "test-release", "test-ubuntu-umask022", "test-windows", "govulncheck"}),
    ("pi-hole+pi-hole", "development",
     {"main", "Syncing branches", "stale", "stale_action"},
     {"smoke-tests", "distro-test (debian_12)", "Analyze"}),
    ("pi-hole+pi-hole", "master", {"main"}, {"smoke-tests", "Analyze"}),
    ("ethereum+solidity", "develop",
     {"comment-external-pr", "ci/circleci: c_release_binaries", "ci/circleci: b_ubu_asan",
      "ci/circleci: t_ubu_ossfuzz"},
     {"ci/circleci: b_ubu", "ci/circleci: t_ubu_soltest_all", "ci/circleci: chk_spelling",
      "ci/circleci: t_bytecode_compare"}),
]


def main(mirrors: Path) -> int:
    failed = 0
    for repository, trunk, absent, present in EXPECTED:
        git_dir = mirrors / repository / "repo"
        if not git_dir.is_dir():
            print(f"skip {repository}: no mirror in {mirrors}")
            continue
        files = gitread.ci_files(git_dir, "HEAD")
        found = set(find_checks(files, ("master", "main", "develop", "development"), trunk).checks)
        wrong, missing = absent & found, present - found
        failed += bool(wrong or missing)
        print(f"{'FAIL' if wrong or missing else 'ok'} {repository} ({trunk})"
              + (f": reported {sorted(wrong)}" if wrong else "") + (f": missing {sorted(missing)}" if missing else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
