#!/usr/bin/env python3
"""Checks deploy/: renders each kustomize overlay and checks what it deploys.

    python3 tests/deploy/test_deploy.py --dateline build/dateline --source-dir .

For each overlay in deploy/k8s/overlays/ it renders the manifests, then:
  - materialises the container's view of its ConfigMaps (the mounts of the
    Deployment) in a temporary directory, sets the container's environment
    (secrets get placeholder values) and runs `dateline check` on the config
    the container is started with: it must pass;
  - compares the probes (paths, port) with what the binary says it serves
    for that config (`dateline check` prints http.listen and the paths);
  - checks the pod runs as non-root with a read-only root filesystem, no
    privilege escalation, resources set, the Service and the
    PodDisruptionBudget select the pods, every rule file is in the rules
    ConfigMap, and overlay specifics (dev: 1 replica; prod: several,
    anti-affinity, SASL credentials from a Secret).
It also checks the systemd unit (systemd-analyze verify when available) and
the Dockerfile (multi-stage, slim, numeric non-root USER matching the
manifests); no Docker engine runs here, so the image is not built.

Renderer, first that works: $DL_KUSTOMIZE; `kustomize` on PATH;
<source>/.cache/go/bin/kustomize; `go install sigs.k8s.io/kustomize/kustomize/v5`
into <source>/.cache/go (the Go module proxy); `kubectl kustomize`; else a
Python renderer of the subset of kustomize that deploy/ uses (needs PyYAML;
DL_DEPLOY_RENDERER=python forces it). The output says which one ran.
"""

import argparse
import copy
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import check, summary  # noqa: E402

KUSTOMIZE_MODULE = "sigs.k8s.io/kustomize/kustomize/v5"
KUSTOMIZE_VERSION = "v5.5.0"


def log(msg):
    print("[test_deploy] " + msg, flush=True)


# ---------------------------------------------------------------- renderers

def try_kustomize(exe):
    try:
        r = subprocess.run([exe, "version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    return r.stdout.strip() or "unknown version"


def find_renderer(src):
    """Returns (description, render(path) -> yaml text)."""
    def kustomize(exe):
        return lambda path: run_render([exe, "build", path])

    if os.environ.get("DL_DEPLOY_RENDERER") == "python":
        return "python fallback renderer (DL_DEPLOY_RENDERER=python)", python_render
    cands = []
    if os.environ.get("DL_KUSTOMIZE"):
        cands.append(os.environ["DL_KUSTOMIZE"])
    if shutil.which("kustomize"):
        cands.append(shutil.which("kustomize"))
    cache_bin = os.path.join(src, ".cache", "go", "bin", "kustomize")
    cands.append(cache_bin)
    for exe in cands:
        if os.path.exists(exe) and (ver := try_kustomize(exe)):
            if exe == cache_bin and ver == "(devel)":
                ver = "%s@%s, installed by go install earlier" % (KUSTOMIZE_MODULE, KUSTOMIZE_VERSION)
            return "kustomize %s (%s)" % (ver, exe), kustomize(exe)

    go = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
    if go:
        log("installing %s@%s with go into .cache/go (first run only)" % (KUSTOMIZE_MODULE, KUSTOMIZE_VERSION))
        cache = os.path.join(src, ".cache", "go")
        env = dict(os.environ, GOBIN=os.path.join(cache, "bin"), GOPATH=os.path.join(cache, "path"),
                   GOMODCACHE=os.path.join(cache, "mod"), GOFLAGS="-modcacherw")
        try:
            r = subprocess.run([go, "install", "%s@%s" % (KUSTOMIZE_MODULE, KUSTOMIZE_VERSION)],
                               capture_output=True, text=True, env=env, timeout=900)
            if r.returncode != 0:
                log("go install failed: " + r.stderr[-500:])
        except subprocess.TimeoutExpired:
            log("go install timed out")
        if os.path.exists(cache_bin) and (ver := try_kustomize(cache_bin)):
            return "kustomize %s@%s (%s, just installed with go install)" % (
                KUSTOMIZE_MODULE, KUSTOMIZE_VERSION, cache_bin), kustomize(cache_bin)

    kubectl = shutil.which("kubectl")
    if kubectl:
        try:
            r = subprocess.run([kubectl, "kustomize", "--help"], capture_output=True, timeout=30)
            if r.returncode == 0:
                return "kubectl kustomize (%s)" % kubectl, lambda path: run_render([kubectl, "kustomize", path])
        except (OSError, subprocess.TimeoutExpired):
            pass

    return "python fallback renderer (kustomize could not be fetched)", python_render


def run_render(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


# A renderer of the kustomize subset used by deploy/ and config/: resources
# (files and directories), configMapGenerator (files; behavior create/replace)
# with the content-hash name suffix, namespace, replicas, images, labels
# (includeSelectors), and strategic-merge patches (lists merged by name).

def _yaml():
    import yaml  # noqa: PLC0415 (only the fallback needs PyYAML)
    return yaml


def _merge(base, patch):
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = _merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(patch, list) and all(
            isinstance(x, dict) and "name" in x for x in base + patch):
        out = [copy.deepcopy(x) for x in base]
        for item in patch:
            for i, old in enumerate(out):
                if old["name"] == item["name"]:
                    out[i] = _merge(old, item)
                    break
            else:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(patch)


def _cm_hash(cm):
    enc = json.dumps({"kind": "ConfigMap", "name": cm["metadata"]["name"], "data": cm.get("data", {})},
                     sort_keys=True)
    return hashlib.sha256(enc.encode()).hexdigest()[:10]


def _build(path):
    yaml = _yaml()
    with open(os.path.join(path, "kustomization.yaml")) as f:
        k = yaml.safe_load(f)
    docs, generated = [], {}
    for res in k.get("resources", []):
        rp = os.path.normpath(os.path.join(path, res))
        if os.path.isdir(rp):
            sub, subgen = _build(rp)
            docs += sub
            generated.update(subgen)
        else:
            with open(rp) as f:
                docs += [d for d in yaml.safe_load_all(f) if d]
    for gen in k.get("configMapGenerator", []):
        data = {}
        for fspec in gen.get("files", []):
            key, _, fp = fspec.partition("=") if "=" in fspec else (os.path.basename(fspec), "", fspec)
            with open(os.path.join(path, fp)) as f:
                data[key] = f.read()
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": gen["name"]}, "data": data}
        if gen.get("behavior") in ("replace", "merge"):
            docs = [d for d in docs if not (d["kind"] == "ConfigMap" and d["metadata"]["name"] == gen["name"])]
        docs.append(cm)
        generated[gen["name"]] = cm
    for p in k.get("patches", []):
        if "path" in p:
            with open(os.path.join(path, p["path"])) as f:
                patch = yaml.safe_load(f)
        else:
            patch = yaml.safe_load(p["patch"])
        for i, d in enumerate(docs):
            if d["kind"] == patch["kind"] and d["metadata"]["name"] == patch["metadata"]["name"]:
                docs[i] = _merge(d, patch)
    for r in k.get("replicas", []):
        for d in docs:
            if d["kind"] == "Deployment" and d["metadata"]["name"] == r["name"]:
                d["spec"]["replicas"] = r["count"]
    for img in k.get("images", []):
        for d in docs:
            if d["kind"] == "Deployment":
                for c in d["spec"]["template"]["spec"]["containers"]:
                    name, _, tag = c["image"].partition(":")
                    if name == img["name"]:
                        c["image"] = "%s:%s" % (img.get("newName", name), img.get("newTag", tag or "latest"))
    for lab in k.get("labels", []):
        pairs = lab["pairs"]
        for d in docs:
            d["metadata"].setdefault("labels", {}).update(pairs)
            if lab.get("includeSelectors"):
                spec = d.get("spec", {})
                if d["kind"] == "Deployment":
                    spec["selector"].setdefault("matchLabels", {}).update(pairs)
                    spec["template"].setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
                elif d["kind"] == "Service":
                    spec.setdefault("selector", {}).update(pairs)
                elif d["kind"] == "PodDisruptionBudget":
                    spec["selector"].setdefault("matchLabels", {}).update(pairs)
    if k.get("namespace"):
        for d in docs:
            d["metadata"]["namespace"] = k["namespace"]
    return docs, generated


def python_render(path):
    yaml = _yaml()
    docs, generated = _build(path)
    # Name suffixes, and the Deployment's references to them.
    names = {}
    for name, cm in generated.items():
        final = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == name]
        if final:
            names[name] = "%s-%s" % (name, _cm_hash(final[-1]))
            final[-1]["metadata"]["name"] = names[name]
    for d in docs:
        if d["kind"] == "Deployment":
            for v in d["spec"]["template"]["spec"].get("volumes", []):
                if "configMap" in v and v["configMap"]["name"] in names:
                    v["configMap"]["name"] = names[v["configMap"]["name"]]
    return yaml.safe_dump_all(docs, sort_keys=False)


# ---------------------------------------------------------------- checks

def load_docs(text):
    try:
        import yaml  # noqa: PLC0415
        return [d for d in yaml.safe_load_all(text) if d]
    except ImportError:
        sys.exit("test_deploy: PyYAML is needed to read the rendered manifests (pip install pyyaml)")


def dockerfile_user(src):
    with open(os.path.join(src, "deploy", "Dockerfile")) as f:
        text = f.read()
    froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M | re.I)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    exposes = re.findall(r"^EXPOSE\s+(\d+)", text, re.M)
    return text, froms, users, exposes


def tracked_rules(src):
    try:
        r = subprocess.run(["git", "-C", src, "ls-files", "config/rules/en/*.yaml"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode == 0 and r.stdout.strip():
            return sorted(os.path.basename(p) for p in r.stdout.split())
    except OSError:
        pass
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(src, "config/rules/en/*.yaml")))


def port_of(container, port):
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    return None


def check_overlay(name, docs, a, docker_uid, docker_port):
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    deps = by_kind.get("Deployment", [])
    if not check(len(deps) == 1, "%s: one Deployment (got %d)" % (name, len(deps))):
        return
    dep = deps[0]
    pod = dep["spec"]["template"]
    spec = pod["spec"]
    pod_labels = pod["metadata"].get("labels", {})
    c = spec["containers"][0]
    psc, csc = spec.get("securityContext", {}), c.get("securityContext", {})

    # Non-root, read-only root filesystem, no escalation.
    uid = csc.get("runAsUser", psc.get("runAsUser"))
    check(csc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, "%s: runAsNonRoot" % name)
    check(isinstance(uid, int) and uid != 0, "%s: runAsUser is a non-zero uid (%r)" % (name, uid))
    check(uid == docker_uid, "%s: runAsUser %r matches the Dockerfile USER %r" % (name, uid, docker_uid))
    check(csc.get("readOnlyRootFilesystem") is True, "%s: readOnlyRootFilesystem" % name)
    check(csc.get("allowPrivilegeEscalation") is False, "%s: allowPrivilegeEscalation false" % name)
    check("ALL" in csc.get("capabilities", {}).get("drop", []), "%s: capabilities drop ALL" % name)
    res = c.get("resources", {})
    check(res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory")
          and res.get("limits", {}).get("memory"), "%s: resources requests and limits" % name)

    # The container's files: ConfigMaps at their mount paths.
    cms = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    for n, cm in cms.items():
        size = sum(len(k) + len(v.encode()) for k, v in cm.get("data", {}).items())
        # Kubernetes (etcd) refuses a ConfigMap over 1 MiB.
        check(size < 1000000, "%s: ConfigMap %s holds %d bytes (< 1 MiB)" % (name, n, size))
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    root = tempfile.mkdtemp(prefix="dl-deploy-%s-" % name)
    try:
        for m in c.get("volumeMounts", []):
            v = vols.get(m["name"], {})
            if "configMap" not in v:
                continue
            cm = cms.get(v["configMap"]["name"])
            if not check(cm is not None, "%s: ConfigMap %s of volume %s is rendered" % (
                    name, v["configMap"]["name"], m["name"])):
                continue
            dest = root + m["mountPath"]
            if m.get("subPath"):
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "w") as f:
                    f.write(cm["data"][m["subPath"]])
            else:
                os.makedirs(dest, exist_ok=True)
                for key, val in cm.get("data", {}).items():
                    with open(os.path.join(dest, key), "w") as f:
                        f.write(val)

        # Every rule file of the repository is deployed.
        rules_cm = [d for n, d in cms.items() if n.startswith("dateline-rules-en")]
        if check(len(rules_cm) == 1, "%s: one rules ConfigMap" % name):
            have = sorted(rules_cm[0].get("data", {}))
            want = tracked_rules(a.source_dir)
            check(have == want, "%s: rules ConfigMap has %s, repository has %s "
                  "(list every config/rules/en/*.yaml in config/kustomization.yaml)" % (name, have, want))

        # The environment: literal values; secrets as placeholders; paths
        # under the container root.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATELINE_", "KAFKA_"))}
        for e in c.get("env", []):
            if "value" in e:
                val = str(e["value"])
                env[e["name"]] = root + val if val.startswith("/etc/dateline") else val
            else:
                env[e["name"]] = "placeholder-" + e["name"].lower()
        args = c.get("args", [])
        check(args[:2] == ["run", "-c"], "%s: container runs `dateline run -c CONFIG` (%r)" % (name, args))
        cfg = root + args[2] if len(args) > 2 else ""
        r = subprocess.run([a.dateline, "check", cfg], capture_output=True, text=True, env=env, timeout=120)
        out = (r.stdout + r.stderr).replace(root, "")
        check(r.returncode == 0, "%s: dateline check of the deployed config: exit %d: %s" % (
            name, r.returncode, out.strip()))
        m = re.search(r"http\.listen (\S+) serves (\S+) (\S+) (\S+)", r.stdout)
        if check(m is not None, "%s: the deployed config enables the HTTP endpoint (%s)" % (name, out.strip())):
            listen, metrics_path, healthz_path, ready_path = m.groups()
            port = int(listen.rsplit(":", 1)[1])
            host = listen.rsplit(":", 1)[0]
            check(host in ("0.0.0.0", "[::]", "::"),
                  "%s: http.listen %s is reachable from the kubelet (bind every interface)" % (name, listen))
            lp, rp = c.get("livenessProbe", {}), c.get("readinessProbe", {})
            check(lp.get("httpGet", {}).get("path") == healthz_path,
                  "%s: livenessProbe path %r is the binary's %r" % (name, lp.get("httpGet", {}).get("path"), healthz_path))
            check(rp.get("httpGet", {}).get("path") == ready_path,
                  "%s: readinessProbe path %r is the binary's %r" % (name, rp.get("httpGet", {}).get("path"), ready_path))
            for what, probe in (("liveness", lp), ("readiness", rp), ("startup", c.get("startupProbe"))):
                if probe:
                    pp = port_of(c, probe.get("httpGet", {}).get("port"))
                    check(pp == port, "%s: %sProbe port %r is http.listen's %d" % (name, what, pp, port))
            check(docker_port == port, "%s: Dockerfile EXPOSE %r is http.listen's %d" % (name, docker_port, port))
            ann = pod["metadata"].get("annotations", {})
            check(ann.get("prometheus.io/port") == str(port) and ann.get("prometheus.io/path") == metrics_path,
                  "%s: prometheus.io annotations point at %d%s" % (name, port, metrics_path))
            svcs = by_kind.get("Service", [])
            if check(len(svcs) == 1, "%s: one Service" % name):
                sp = svcs[0]["spec"]
                check(sp.get("selector") and all(pod_labels.get(k) == v for k, v in sp["selector"].items()),
                      "%s: Service selects the pods" % name)
                tp = [port_of(c, p.get("targetPort")) for p in sp.get("ports", [])]
                check(port in tp, "%s: Service targets port %d (%r)" % (name, port, tp))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    pdbs = by_kind.get("PodDisruptionBudget", [])
    if check(len(pdbs) == 1, "%s: one PodDisruptionBudget" % name):
        sel = pdbs[0]["spec"].get("selector", {}).get("matchLabels", {})
        check(sel and all(pod_labels.get(k) == v for k, v in sel.items()), "%s: PDB selects the pods" % name)
    replicas = dep["spec"].get("replicas", 1)
    grace = spec.get("terminationGracePeriodSeconds", 30)
    check(grace >= 15, "%s: terminationGracePeriodSeconds %d leaves room for the orderly stop" % (name, grace))
    if name == "dev":
        check(replicas == 1, "dev: 1 replica (got %r)" % replicas)
    if name == "prod":
        check(replicas >= 2, "prod: several replicas (got %r)" % replicas)
        check("podAntiAffinity" in spec.get("affinity", {}), "prod: pod anti-affinity")
        secret_env = [e["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})]
        check(any("SASL" in n for n in secret_env), "prod: SASL credentials from a Secret (%r)" % secret_env)
        mounts = {m["name"] for m in c.get("volumeMounts", [])}
        secret_vols = {v["name"] for v in spec.get("volumes", []) if "secret" in v}
        check(mounts & secret_vols, "prod: TLS material mounted from a Secret")
        cm_text = "".join(d.get("data", {}).get("dateline.yaml", "") for d in by_kind.get("ConfigMap", []))
        check("SASL_SSL" in cm_text and "${KAFKA_SASL_PASSWORD}" in cm_text,
              "prod: the config uses SASL_SSL with the password from the environment")


def runtime_packages(text):
    """Packages the Dockerfile's last stage installs with apt-get."""
    last = re.split(r"^FROM\s", text, flags=re.M)[-1]
    m = re.search(r"apt-get install[^\n]*?((?:\\\n|[^&\n])*)", last)
    return set(re.findall(r"\b([a-z0-9][a-z0-9.+-]+[0-9a-z])\b", m.group(1))) if m else set()


def check_docker_libs(a, text):
    """Every shared library the binary links directly comes from a Debian
    package that the runtime stage installs (the image is not built here)."""
    if not (shutil.which("readelf") and shutil.which("ldd") and shutil.which("dpkg")):
        log("readelf/ldd/dpkg missing: runtime libraries of the image not checked")
        return
    r = subprocess.run(["readelf", "-d", a.dateline], capture_output=True, text=True, timeout=30)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", r.stdout)
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(
        ["ldd", a.dateline], capture_output=True, text=True, timeout=30).stdout, re.M))
    have = runtime_packages(text)
    for so in needed:
        if re.match(r"lib(c|m|pthread|dl|rt|gcc_s|asan|ubsan)\.so", so) or so.startswith("ld-linux"):
            continue
        path = paths.get(so)
        if not path:
            check(False, "Dockerfile: %s is not found by ldd" % so)
            continue
        r = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            r = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, timeout=30)
        pkg = r.stdout.split(":")[0].strip() if r.returncode == 0 else None
        check(pkg in have, "Dockerfile: the runtime stage installs %s (for %s; installs %s)" % (
            pkg, so, sorted(have)))


def check_systemd(a):
    unit = os.path.join(a.source_dir, "deploy", "systemd", "dateline.service")
    with open(unit) as f:
        text = f.read()
    for opt in ("NoNewPrivileges=yes", "ProtectSystem=strict", "DynamicUser=yes", "PrivateTmp=yes",
                "CapabilityBoundingSet=", "ExecReload=/bin/kill -HUP $MAINPID"):
        check(opt in text, "systemd: %s" % opt)
    if not shutil.which("systemd-analyze"):
        log("systemd-analyze not found: unit not verified")
        return
    with tempfile.TemporaryDirectory() as d:
        copy_path = os.path.join(d, "dateline.service")
        with open(copy_path, "w") as f:
            f.write(text.replace("/usr/local/bin/dateline", os.path.abspath(a.dateline)))
        r = subprocess.run(["systemd-analyze", "verify", copy_path], capture_output=True, text=True, timeout=60)
        problems = [ln for ln in (r.stdout + r.stderr).splitlines() if "dateline.service" in ln]
        check(not problems, "systemd: systemd-analyze verify: %s" % problems)
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes", copy_path],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout + r.stderr)
        if m:
            log("systemd-analyze security: exposure %s" % m.group(1))
            check(float(m.group(1)) <= 3.0, "systemd: exposure level %s <= 3.0" % m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dateline", required=True)
    ap.add_argument("--source-dir", required=True)
    a = ap.parse_args()

    text, froms, users, exposes = dockerfile_user(a.source_dir)
    check(len(froms) >= 2, "Dockerfile: multi-stage (%d FROM)" % len(froms))
    check(all("slim" in f[0] for f in froms), "Dockerfile: every stage on a Debian slim image (%r)" % froms)
    check("COPY --from=" in text, "Dockerfile: the runtime stage copies the build output")
    docker_uid = None
    if check(len(users) >= 1, "Dockerfile: sets USER"):
        u = users[-1].split(":")[0]
        check(u.isdigit() and int(u) != 0, "Dockerfile: USER %s is a numeric non-root uid" % users[-1])
        docker_uid = int(u) if u.isdigit() else None
    docker_port = int(exposes[-1]) if exposes else None
    check_docker_libs(a, text)
    log("Dockerfile checked statically (no Docker engine here: not built)")

    desc, render = find_renderer(a.source_dir)
    log("renderer: " + desc)
    overlays = sorted(os.path.basename(p) for p in glob.glob(os.path.join(a.source_dir, "deploy/k8s/overlays/*")))
    check({"dev", "prod"} <= set(overlays), "overlays dev and prod exist (%r)" % overlays)
    for name in overlays:
        path = os.path.join(a.source_dir, "deploy", "k8s", "overlays", name)
        try:
            docs = load_docs(render(path))
        except Exception as e:  # noqa: BLE001
            check(False, "%s: render failed: %s" % (name, e))
            continue
        log("%s: %d objects: %s" % (name, len(docs), ", ".join(sorted({d["kind"] for d in docs}))))
        check_overlay(name, docs, a, docker_uid, docker_port)

    check_systemd(a)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
