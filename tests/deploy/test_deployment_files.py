"""The deployment files (deploy/): Kubernetes manifests validated offline against the API's schemas, with
their cross-references resolved; systemd units verified; the Procfile's commands and nginx's configuration
checked. (The Procfile layout itself runs in bench/load_bench.py.)"""

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes release still maintained upstream, and the newest the validator knows.
VERSIONS = ["1.34.0", kubernetes_validate.utils.latest_version()]
NAMESPACED_NOT = {"Namespace", "ClusterRole", "ClusterRoleBinding"}


def _kustomization() -> dict:
    return yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())


EXAMPLES = ["secrets.example.yaml"]  # what the operator creates out of band, so that `apply -k` never overwrites it


def _objects() -> list[dict]:
    """The kustomization's objects and the Secrets the operator creates beside them."""
    return [
        document
        for name in [*_kustomization()["resources"], *EXAMPLES]
        for document in yaml.safe_load_all((KUBERNETES / name).read_text())
        if document
    ]


def _by_kind(kind: str) -> list[dict]:
    return [item for item in _objects() if item["kind"] == kind]


def _named(kind: str, name: str) -> dict:
    return next(item for item in _by_kind(kind) if item["metadata"]["name"] == name)


def _names(kind: str) -> set[tuple[str, str]]:
    return {(item["metadata"].get("namespace", ""), item["metadata"]["name"]) for item in _by_kind(kind)}


def _pod_specs() -> list[tuple[str, dict, dict]]:
    """(namespace, pod spec, pod labels) of every workload."""
    found = []
    for item in _objects():
        namespace = item["metadata"].get("namespace", "")
        template = {
            "Deployment": lambda spec: spec["template"],
            "Job": lambda spec: spec["template"],
            "CronJob": lambda spec: spec["jobTemplate"]["spec"]["template"],
        }.get(item["kind"])
        if template:
            pod = template(item["spec"])
            found.append((namespace, pod["spec"], pod.get("metadata", {}).get("labels", {})))
    return found


def test_the_kustomization_lists_every_manifest():
    listed = set(_kustomization()["resources"])
    on_disk = {path.name for path in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml", *EXAMPLES}
    assert listed == on_disk
    applied = [item for name in listed for item in yaml.safe_load_all((KUBERNETES / name).read_text()) if item]
    assert not [item for item in applied if item["kind"] == "Secret"]  # placeholders would overwrite real ones


@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_is_valid_for_the_kubernetes_api(version):
    for item in _objects():
        kubernetes_validate.validate(item, version, strict=True)  # raises on an unknown or wrong field


def test_every_object_has_a_namespace_that_is_defined():
    namespaces = {name for _, name in _names("Namespace")}
    for item in _objects():
        if item["kind"] not in NAMESPACED_NOT:
            assert item["metadata"].get("namespace") in namespaces, item["metadata"]["name"]


def test_references_between_objects_resolve():
    config_maps, secrets = _names("ConfigMap"), _names("Secret")
    accounts = _names("ServiceAccount") | {(namespace, "default") for _, namespace in _names("Namespace")}
    images = {image["name"] for image in _kustomization()["images"]}
    for namespace, spec, _ in _pod_specs():
        if "serviceAccountName" in spec:
            assert (namespace, spec["serviceAccountName"]) in accounts
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                assert (namespace, volume["configMap"]["name"]) in config_maps
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert (namespace, source["configMapRef"]["name"]) in config_maps
                if "secretRef" in source:
                    assert (namespace, source["secretRef"]["name"]) in secrets
            for variable in container.get("env", []):
                key_ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if key_ref:
                    secret = next(item for item in _by_kind("Secret") if item["metadata"]["name"] == key_ref["name"])
                    assert key_ref["key"] in secret["stringData"]
            # Our images are named by the kustomization; others are pinned to a release.
            assert container["image"] in images or re.search(r":\d+\.\d+\.\d+$", container["image"]), container["image"]
    pods = [(namespace, labels) for namespace, _, labels in _pod_specs()]
    for service in _by_kind("Service"):
        selector = service["spec"].get("selector")
        if selector:  # an ExternalName service has none
            namespace = service["metadata"]["namespace"]
            assert any(ns == namespace and selector.items() <= labels.items() for ns, labels in pods), service
    for deployment in _by_kind("Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    services = _names("Service")
    for ingress in _by_kind("Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert (ingress["metadata"]["namespace"], path["backend"]["service"]["name"]) in services
    for binding in _by_kind("RoleBinding"):
        assert (binding["metadata"]["namespace"], binding["roleRef"]["name"]) in _names("Role")
        for subject in binding["subjects"]:
            assert (subject["namespace"], subject["name"]) in _names("ServiceAccount")


def test_the_settings_name_the_gateway_service_and_a_shared_redis():
    settings = _named("ConfigMap", "panlearn-settings")["data"]
    gateway = _named("Service", "enterprise-gateway")
    port = gateway["spec"]["ports"][0]["port"]
    assert (
        settings["PANLEARN_RUNNER_GATEWAY_URL"]
        == f"http://enterprise-gateway.{gateway['metadata']['namespace']}.svc:{port}"
    )
    assert settings["PANLEARN_RUNNER_BACKEND"] == "gateway" and settings["PANLEARN_TASKS_BACKEND"] == "rq"
    # The gateway's session registry and the cells hub are shared only through Redis (runner/checks.py).
    assert settings["DJANGO_CACHE_URL"].startswith("redis://") and settings["PANLEARN_CELLS_HUB_URL"].startswith(
        "redis://"
    )


def test_the_kernelspec_uses_the_kubernetes_process_proxy():
    config_map = next(
        item for item in _by_kind("ConfigMap") if item["metadata"]["name"] == "python-panlearn-kernelspec"
    )
    spec = json.loads(config_map["data"]["kernel.json"])
    assert spec["metadata"]["process_proxy"]["class_name"].endswith("KubernetesProcessProxy")
    # panlearn asks for this spec, and the gateway offers no other (a stock one would run code in its own pod).
    settings = _named("ConfigMap", "panlearn-settings")["data"]
    mount = _named("Deployment", "enterprise-gateway")["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]
    assert mount["mountPath"].endswith("/" + settings["PANLEARN_RUNNER_GATEWAY_KERNEL"])
    command = _named("Deployment", "enterprise-gateway")["spec"]["template"]["spec"]["containers"][0]["command"]
    assert f"--KernelSpecManager.whitelist={settings['PANLEARN_RUNNER_GATEWAY_KERNEL']}" in command
    assert "{response_address}" in spec["argv"] and "{kernel_id}" in spec["argv"]
    gateway = _named("Deployment", "enterprise-gateway")
    env = {item["name"]: item.get("value") for item in gateway["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["EG_DEFAULT_KERNEL_NAME"] == "python_panlearn" and env["EG_LIST_KERNELS"] == "True"


def test_kernel_pods_talk_to_the_gateway_only():
    policy = next(
        item
        for item in _by_kind("NetworkPolicy")
        if item["spec"]["podSelector"]["matchLabels"] == {"component": "kernel"}
    )
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert [rule["to"][0]["podSelector"]["matchLabels"]["app"] for rule in policy["spec"]["egress"]] == [
        "enterprise-gateway"
    ]


# -- one machine ------------------------------------------------------------------------------------------


def _procfile() -> dict[str, list[str]]:
    lines = (ROOT / "deploy" / "Procfile").read_text().splitlines()
    return {name: shlex.split(command) for name, _, command in (line.partition(": ") for line in lines)
            if name and not name.startswith("#")}  # fmt: skip


def test_the_procfile_runs_two_of_everything_under_respawn():
    processes = _procfile()
    assert sorted(processes) == ["kernels1", "kernels2", "nginx", "web1", "web2", "worker1", "worker2"]
    commands = get_commands()
    for name, argv in processes.items():
        assert os.access(ROOT / argv[0], os.X_OK), argv[0]
        if name != "nginx":
            assert argv[0] == "deploy/respawn.sh"
        if "manage.py" in argv:
            assert argv[argv.index("manage.py") + 1] in commands
        if "-m" in argv:  # python -m runner: the module must have a __main__
            assert importlib.util.find_spec(f"{argv[argv.index('-m') + 1]}.__main__"), argv
    sockets = {argv[-1] for name, argv in processes.items() if name.startswith("kernels")}
    cgroups = {arg for name, argv in processes.items() if name.startswith("kernels") for arg in argv if "CGROUP" in arg}
    assert len(sockets) == 2 and len(cgroups) == 2  # a host per socket and per cgroup
    env = dict(line.split("=", 1) for line in (ROOT / "deploy" / "scale.env.example").read_text().splitlines()
               if line and not line.startswith("#"))  # fmt: skip
    assert {address.split("unix:")[1] for address in env["PANLEARN_RUNNER_HOSTS"].split(",")} == sockets


def test_every_rq_worker_takes_the_grading_queue_first(settings):
    """A worker that names only `default` never grades: each shipped worker names every queue of the RQ
    backend, `grading` first (an RQ worker takes from its queues in the order given)."""
    procfile = [argv for name, argv in _procfile().items() if name.startswith("worker")]
    unit = shlex.split(next(line.split("=", 1)[1] for line in (ROOT / "deploy" / "systemd" / "panlearn-worker@.service")
                                 .read_text().splitlines() if line.startswith("ExecStart=")))  # fmt: skip
    pods = [container["command"] for _namespace, pod, _labels in _pod_specs() for container in pod["containers"]
            if "rqworker" in container.get("command", [])]  # fmt: skip
    commands = [*procfile, unit, *pods]
    assert len(commands) == 4 and settings.RQ_TASK_QUEUES[0] == "grading"
    for argv in commands:
        assert argv[-len(settings.RQ_TASK_QUEUES) :] == settings.RQ_TASK_QUEUES, argv


def test_respawn_starts_a_killed_process_again_and_stops_on_term(tmp_path):
    counter = tmp_path / "starts"
    script = f"echo started >> {counter}; exec sleep 30"
    respawn = subprocess.Popen([ROOT / "deploy" / "respawn.sh", "bash", "-c", script], stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: counter.exists() and counter.read_text().count("started") == 1)
        child = int(subprocess.run(["pgrep", "-P", str(respawn.pid)], capture_output=True, text=True).stdout.split()[0])
        os.kill(child, 9)
        _wait_for(lambda: counter.read_text().count("started") == 2)
    finally:
        respawn.terminate()
    assert respawn.wait(timeout=10) == 0
    assert b"starting it again" in respawn.stderr.read()


def _wait_for(condition, timeout: float = 10) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_nginx_accepts_the_configuration(tmp_path):
    env = {**os.environ, "PANLEARN_NGINX_PREFIX": str(tmp_path), "PANLEARN_WEB1_PORT": "18101",
           "PANLEARN_WEB2_PORT": "18102", "PANLEARN_NGINX_LISTEN": "127.0.0.1:18100"}  # fmt: skip
    result = subprocess.run([ROOT / "deploy" / "nginx" / "run.sh", "--test"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    conf = (tmp_path / "nginx.conf").read_text()
    assert "server 127.0.0.1:18101" in conf and "server 127.0.0.1:18102" in conf and "least_conn" in conf


def test_systemd_units_verify():
    units = sorted(str(path) for path in (ROOT / "deploy" / "systemd").iterdir())
    assert any(unit.endswith("panlearn-kernels@.service") for unit in units)
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (Debian's systemd package) checks the units"
    result = subprocess.run([analyze, "verify", *units], capture_output=True, text=True)
    # The units name the install paths of docs/operator.md, which this checkout is not.
    problems = [
        line for line in result.stderr.splitlines() if "/srv/panlearn/.venv/bin/python is not executable" not in line
    ]
    assert problems == []
