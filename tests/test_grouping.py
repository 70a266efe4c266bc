"""The suite's own grouping: tests marked with one xdist_group run on one worker, in order.

Modules such as test_sweep_local.py share one baked project between their tests, each building
on the one before. pytest-xdist's `--dist loadgroup` keeps them together by adding the group to
each test's id; a pytest that keeps it from doing so would split them, silently and flakily.
"""

from __future__ import annotations

import pytest


@pytest.mark.xdist_group("grouping")
def test_a_grouped_test_carries_its_group(request):
    """Under `--dist loadgroup` this test's id ends in @grouping, the key xdist schedules by."""
    if not hasattr(request.config, "workerinput"):
        pytest.skip("the tests run in one process (-n 0): nothing to group")
    assert request.node.nodeid.endswith("@grouping"), (
        f"pytest {pytest.__version__} keeps pytest-xdist from grouping tests: "
        "install the pinned one (bash tools/setup.sh)"
    )
