"""The host-neutral protection policy and its translations into each host's format."""

from __future__ import annotations

from advisor.protection import BranchRule


def test_a_bare_rule_still_blocks_deletion_and_force_pushes() -> None:
    rule = BranchRule(pattern="main", is_trunk=True)
    assert rule.block_deletion and rule.block_force_push
    assert not rule.require_pull_request and rule.required_checks == ()
