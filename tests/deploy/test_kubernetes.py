"""The Kubernetes CronJob recipe: what it promises beyond the API schema (test_static_checks)."""

from __future__ import annotations

from typing import Any

import yaml
from croniter import croniter

from tests.deploy.helpers import K8S_MANIFESTS, dockerfile_stages, env_example_variables


def documents() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in K8S_MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found[doc["kind"]] = doc
    return found


def pod_spec() -> dict[str, Any]:
    return documents()["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def test_runs_never_overlap() -> None:
    spec = documents()["CronJob"]["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert croniter.is_valid(spec["schedule"])
    assert pod_spec()["restartPolicy"] == "Never"


def test_runs_the_image_pipeline_as_its_non_root_user() -> None:
    runtime = dockerfile_stages()[-1]
    uid = runtime.all("USER")[-1].split(":")[0]
    security = pod_spec()["securityContext"]
    assert security["runAsNonRoot"] is True
    assert str(security["runAsUser"]) == uid
    (container,) = pod_spec()["containers"]
    assert container["args"] == ["run"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_writable_paths_are_mounted_under_a_read_only_root() -> None:
    (container,) = pod_spec()["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    home = dockerfile_stages()[-1].env()["HOME"]
    for path in ("/data", home, "/tmp"):
        assert path in mounts and not mounts[path].get("readOnly"), path
    volumes = {v["name"]: v for v in pod_spec()["volumes"]}
    claim = volumes[mounts["/data"]["name"]]["persistentVolumeClaim"]["claimName"]
    assert claim == documents()["PersistentVolumeClaim"]["metadata"]["name"]


def test_credentials_come_from_a_secret_and_settings_from_a_config_map() -> None:
    (container,) = pod_spec()["containers"]
    sources = container["envFrom"]
    assert any("secretRef" in s for s in sources)
    config_name = next(s["configMapRef"]["name"] for s in sources if "configMapRef" in s)
    config = documents()["ConfigMap"]
    assert config["metadata"]["name"] == config_name
    assert set(config["data"]) <= env_example_variables()
    assert not any(k for k in config["data"] if "SECRET" in k or "PASSWORD" in k)


def test_mounted_key_files_are_readable_by_the_pipeline_user_only() -> None:
    # Secret volume files belong to root with group fsGroup: the pipeline (uid = gid = fsGroup)
    # reads them through the group bits; nobody else may.
    fs_group = pod_spec()["securityContext"]["fsGroup"]
    assert fs_group == pod_spec()["securityContext"]["runAsGroup"]
    for volume in pod_spec()["volumes"]:
        if "secret" in volume:
            mode = volume["secret"]["defaultMode"]
            assert mode & 0o040 and not mode & 0o007, oct(mode)
