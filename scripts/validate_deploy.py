#!/usr/bin/env python3
"""Offline validation of the deployment files (no Docker engine or cluster
here): docker-compose config, Kubernetes schemas (kubernetes-validate), the
structure of the KEDA objects, probes and drain times, that every metric
the alerts and the dashboard use is one the code exports, and what is
exposed: loopback-only infrastructure ports, public Ingress paths only,
NetworkPolicies around Postgres, Kafka and Temporal, no placeholder Secret."""
import glob
import json
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
failures = []


def fail(msg):
    failures.append(msg)


def docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def check_compose():
    r = subprocess.run(["docker-compose", "-f", "docker-compose.yml", "config", "-q"], cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"docker-compose config: {r.stderr.strip()}")
        return
    compose = docs(os.path.join(ROOT, "docker-compose.yml"))[0]
    services = compose["services"]
    for name in ["postgres", "temporal", "temporal-ui", "temporal-search-attributes", "kafka",
                 "kafka-init", "migrate", "gateway", "intake", "worker"]:
        if name not in services:
            fail(f"docker-compose: service {name} missing")
    for name in ["postgres", "temporal", "kafka", "gateway"]:
        if "healthcheck" not in services.get(name, {}):
            fail(f"docker-compose: {name} has no healthcheck")
    for volume in ["postgres-data", "kafka-data"]:
        if volume not in compose.get("volumes", {}):
            fail(f"docker-compose: volume {volume} missing")
    # Infrastructure without authentication never listens beyond loopback.
    for name in ["postgres", "temporal", "temporal-ui", "kafka"]:
        for port in services.get(name, {}).get("ports", []):
            host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
            if host_ip != "127.0.0.1" or (isinstance(port, str) and port.count(":") < 2):
                fail(f"docker-compose: {name} publishes {port} beyond 127.0.0.1")


def check_kubernetes():
    files = [f for f in glob.glob(os.path.join(ROOT, "k8s", "**", "*.yaml"), recursive=True)
             if not f.endswith(("kustomization.yaml", "temporal-values.yaml", "alerts.yaml"))]
    r = subprocess.run(["kubernetes-validate", "--strict", "--quiet", *files], capture_output=True, text=True)
    for line in (r.stdout + r.stderr).splitlines():
        if line.startswith("ERROR") or (line.startswith("WARN") and "ScaledObject" not in line):
            fail(f"kubernetes-validate: {line}")
    if r.returncode not in (0,) and not failures:
        fail(f"kubernetes-validate exited {r.returncode}: {r.stdout} {r.stderr}")
    for kustomization in glob.glob(os.path.join(ROOT, "k8s", "**", "kustomization.yaml"), recursive=True):
        base = os.path.dirname(kustomization)
        for resource in docs(kustomization)[0].get("resources", []):
            if not os.path.exists(os.path.join(base, resource)):
                fail(f"{kustomization}: resource {resource} does not exist")

    base = {}
    for f in glob.glob(os.path.join(ROOT, "k8s", "base", "*.yaml")):
        for d in docs(f):
            base.setdefault(d.get("kind"), {})[d.get("metadata", {}).get("name")] = d
    deployments = base.get("Deployment", {})
    config = base["ConfigMap"]["steward-config"]["data"]
    for name, d in deployments.items():
        spec = d["spec"]["template"]["spec"]
        c = spec["containers"][0]
        if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health":
            fail(f"{name}: liveness probe must be /health")
        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/ready":
            fail(f"{name}: readiness probe must be /ready")
        if "limits" not in c.get("resources", {}) or "requests" not in c.get("resources", {}):
            fail(f"{name}: resource requests and limits required")
        # The in-process drain gives roles 30 s; the pod must get longer.
        if spec.get("terminationGracePeriodSeconds", 30) <= 30:
            fail(f"{name}: terminationGracePeriodSeconds must exceed the 30 s drain")
    for name, so in base.get("ScaledObject", {}).items():
        target = so["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            fail(f"ScaledObject {name}: target {target} is not a Deployment")
        for trigger in so["spec"]["triggers"]:
            meta = trigger.get("metadata", {})
            if trigger["type"] == "temporal":
                for key in ["endpoint", "namespace", "taskQueue", "targetQueueSize", "queueTypes"]:
                    if key not in meta:
                        fail(f"ScaledObject {name}: temporal trigger lacks {key}")
                if meta.get("taskQueue") != config["STEWARD_INTAKE__TASK_QUEUE"]:
                    fail(f"ScaledObject {name}: taskQueue differs from the workers' queue")
            elif trigger["type"] == "kafka":
                for key in ["bootstrapServers", "consumerGroup", "topic", "lagThreshold"]:
                    if key not in meta:
                        fail(f"ScaledObject {name}: kafka trigger lacks {key}")
                if so["spec"].get("maxReplicaCount", 100) > 12:
                    fail(f"ScaledObject {name}: more intake replicas than the topic's 12 partitions")
            else:
                fail(f"ScaledObject {name}: unexpected trigger {trigger['type']}")
    if {"steward-worker", "steward-intake"} - set(base.get("ScaledObject", {})):
        fail("KEDA ScaledObjects for worker and intake are required")
    check_exposure(base)


PUBLIC_PATHS = {"/webhooks", "/support", "/api/support", "/api/tickets"}
STEWARD_PODS = {"steward-gateway", "steward-intake", "steward-worker", "steward-migrate"}


def allowed_pods(policy):
    """Pod names a NetworkPolicy's ingress admits by podSelector, or None
    when a rule admits everyone (no `from`, or an empty selector)."""
    names = set()
    for rule in policy["spec"].get("ingress", []):
        peers = rule.get("from")
        if not peers:
            return None
        for peer in peers:
            pods = peer.get("podSelector")
            if "ipBlock" in peer or (pods is None and peer.get("namespaceSelector") == {}):
                return None
            if pods is None:
                continue
            if pods == {} and "namespaceSelector" not in peer:
                names.add("*same-namespace*")
            names.update(pods.get("matchLabels", {}).values())
            for e in pods.get("matchExpressions", []):
                if e.get("operator") == "In":
                    names.update(e.get("values", []))
    return names


def check_exposure(base):
    """Secrets, Ingress paths and NetworkPolicies (issue: trust)."""
    kustomization = docs(os.path.join(ROOT, "k8s", "base", "kustomization.yaml"))[0]
    for resource in kustomization.get("resources", []):
        for d in docs(os.path.join(ROOT, "k8s", "base", resource)):
            if d.get("kind") == "Secret":
                fail(f"k8s base applies Secret {d['metadata']['name']} ({resource}): "
                     "it would overwrite the real one with placeholders")
    for name, ingress in base.get("Ingress", {}).items():
        for rule in ingress["spec"].get("rules", []):
            for p in rule.get("http", {}).get("paths", []):
                path = p["path"].rstrip("/") or "/"
                if path not in PUBLIC_PATHS or p.get("pathType") not in ("Prefix", "Exact"):
                    fail(f"Ingress {name} exposes {p['path']}: only {sorted(PUBLIC_PATHS)}")
    policies = dict(base.get("NetworkPolicy", {}))
    for f in glob.glob(os.path.join(ROOT, "k8s", "temporal", "*.yaml")):
        for d in docs(f):
            if d.get("kind") == "NetworkPolicy":
                policies[d["metadata"]["name"]] = d
    for service, own in [("postgres", set()), ("kafka", {"kafka", "kafka-topics"}),
                         ("temporal", {"*same-namespace*"})]:
        guarding = [p for p in policies.values()
                    if p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") == service
                    and "Ingress" in p["spec"].get("policyTypes", [])]
        if not guarding:
            fail(f"no NetworkPolicy limits who reaches {service}")
        for p in guarding:
            names = allowed_pods(p)
            if names is None or names - STEWARD_PODS - own:
                fail(f"NetworkPolicy {p['metadata']['name']} lets {names or 'everyone'} reach {service}")
    config = base["ConfigMap"]["steward-config"]["data"]
    if config.get("STEWARD_GATEWAY__TRUST_FORWARDED_FOR") == "true" and \
            not config.get("STEWARD_GATEWAY__TRUSTED_PROXIES"):
        fail("configmap trusts X-Forwarded-For without STEWARD_GATEWAY__TRUSTED_PROXIES")


def check_monitoring():
    code = ""
    for f in glob.glob(os.path.join(ROOT, "*", "src", "**", "*.rs"), recursive=True):
        code += open(f).read()
    exported = set(re.findall(r'"(steward_[a-z_]+)"', code))

    def known(metric):
        base = re.sub(r"_(bucket|sum|count)$", "", metric)
        return base in exported or metric.startswith("temporal_")

    rules = docs(os.path.join(ROOT, "k8s", "monitoring", "alerts.yaml"))[0]
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    dashboard = json.load(open(os.path.join(ROOT, "k8s", "monitoring", "grafana-dashboard.json")))
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    for expr in exprs:
        for metric in re.findall(r"\b((?:steward|temporal)_[a-z_]+)", expr):
            if not known(metric):
                fail(f"monitoring uses {metric}, which the code does not export")


check_compose()
check_kubernetes()
check_monitoring()
if failures:
    print("\n".join(failures))
    sys.exit(1)
print("deployment files valid: docker-compose, Kubernetes manifests, KEDA, monitoring")
