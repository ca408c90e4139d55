"""The Kubernetes CronJob recipe: credentials from a Secret, documented settings from a ConfigMap.

(Whether the manifest is valid is the Kubernetes API schema's job: `bin/lint kubernetes`.)"""

from __future__ import annotations

from typing import Any

from tests.deploy.helpers import K8S_MANIFESTS, env_example_variables, yaml_documents


def documents() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in K8S_MANIFESTS:
        for doc in yaml_documents(path):
            found[doc["kind"]] = doc
    return found


def pod_spec() -> dict[str, Any]:
    return documents()["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def test_credentials_come_from_a_secret_and_settings_from_a_config_map() -> None:
    (container,) = pod_spec()["containers"]
    sources = container["envFrom"]
    assert any("secretRef" in s for s in sources)
    config_name = next(s["configMapRef"]["name"] for s in sources if "configMapRef" in s)
    config = documents()["ConfigMap"]
    assert config["metadata"]["name"] == config_name
    assert set(config["data"]) <= env_example_variables()
    assert not any(k for k in config["data"] if "SECRET" in k or "PASSWORD" in k)
