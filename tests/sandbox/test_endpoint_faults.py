"""Per-endpoint persistent 500s (``fail_endpoints``, optionally after ``fail_after`` requests)."""

from __future__ import annotations

import pytest

from tests.fixtures.sandbox import SandboxHandle
from tests.sandbox.helpers import bearer, v1_get, v3_get


def test_fail_endpoints_answer_500_only_there(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(fail_endpoints=["scorecards", "v1/departments"])
    headers = bearer(sandbox)
    for _ in range(3):  # persistent: every request, not every Nth
        assert v3_get(sandbox, "scorecards", headers=headers).status_code == 500
        assert v1_get(sandbox, "departments").status_code == 500
    # the bare name matches both versions, a versioned one only its own
    assert v1_get(sandbox, "scorecards").status_code == 500
    assert v3_get(sandbox, "departments", headers=headers).status_code == 200
    assert v3_get(sandbox, "jobs", headers=headers).status_code == 200
    assert sandbox.stats()["faults"] == {"error": 7}
    sandbox.set_faults()
    assert v3_get(sandbox, "scorecards", headers=headers).status_code == 200


def test_fail_after_serves_the_first_requests(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(fail_endpoints="applications,jobs", fail_after=2)
    headers = bearer(sandbox)
    codes = [v3_get(sandbox, "applications", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 500, 500]
    # counted per endpoint: jobs has its own two good requests
    assert [v3_get(sandbox, "jobs", headers=headers).status_code for _ in range(3)] == [
        200,
        200,
        500,
    ]


def test_fail_endpoints_must_be_a_list(sandbox: SandboxHandle) -> None:
    with pytest.raises(ValueError, match="fail_endpoints"):
        sandbox.set_faults(fail_endpoints=3)
