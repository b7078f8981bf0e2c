// node --test suite over every kustomize overlay in deploy/k8s/overlays (and
// the restore Job in deploy/k8s/restore): render, Kubernetes schema, typed
// (misspelled fields) and policy checks, what prod must contain (TLS,
// authorization, backups), plus negative tests showing each check fails on a
// broken manifest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { find, K8S, overlays, parseObjects, podTemplate, render, renderYaml, resolveContainer } from "./lib/render.mjs";
import { validate } from "./lib/schema.mjs";
import { typeErrors } from "./lib/typed.mjs";
import { check } from "./lib/policy.mjs";
import { evaluate, parse as parsePolicy, protoServices } from "./lib/authz.mjs";
import { connectionAllowed, KUBE_DNS, ownPod } from "./lib/netpol.mjs";

const OVERLAYS = overlays();

test("the overlays dev and prod exist", () => {
  for (const o of ["dev", "prod"]) assert.ok(OVERLAYS.includes(o), `overlay ${o} missing`);
});

for (const overlay of OVERLAYS) {
  test(`${overlay}: renders with kubectl kustomize`, () => {
    const objects = render(overlay);
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of ["Namespace", "StatefulSet", "Deployment", "Service", "PodDisruptionBudget",
      "HorizontalPodAutoscaler", "NetworkPolicy", "ConfigMap", "ServiceAccount"]) assert.ok(kinds.has(k), `no ${k}`);
    for (const o of objects) if (o.kind !== "Namespace") assert.ok(o.metadata.namespace, `${o.kind}/${o.metadata.name} has no namespace`);
  });

  test(`${overlay}: every object validates against the Kubernetes schemas`, async () => {
    for (const o of render(overlay)) {
      await assert.doesNotReject(validate(o), `${o.kind}/${o.metadata.name}`);
    }
  });

  test(`${overlay}: every object type-checks against kubernetes-models' interfaces`, async () => {
    assert.deepEqual(await typeErrors(render(overlay), overlay), []);
  });

  test(`${overlay}: passes the policy checks`, () => {
    assert.deepEqual(check(render(overlay)), []);
  });
}

const prod = () => render("prod");
const dev = () => render("dev");
const catalog = (objs) => find(objs, "StatefulSet", "reel-catalog");
const search = (objs) => find(objs, "Deployment", "reel-search");
const backupJob = (objs) => find(objs, "CronJob", "reel-catalog-backup");
const backupPod = (objs) => podTemplate(backupJob(objs)).spec;
const configMap = (objs, prefix) => objs.find((x) => x.kind === "ConfigMap" && x.metadata.name.startsWith(prefix));

// A throwaway kustomization (kustomize wants relative paths) over one of
// deploy/k8s's directories, with components and patches added.
function renderWith(resource, { components = [], patches = [] } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "reel-k8s-"));
  try {
    const k8s = path.relative(dir, K8S);
    writeFileSync(path.join(dir, "kustomization.yaml"), JSON.stringify({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: [`${k8s}/${resource}`],
      components: components.map((c) => `${k8s}/components/${c}`),
      patches,
    }, null, 1));
    return parseObjects(renderYaml(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const restore = () => parseObjects(renderYaml(path.join(K8S, "restore")));

// Negative tests: a broken copy of an overlay (prod unless named) must fail.
test("schema check rejects a wrongly typed field", async () => {
  const objs = prod();
  catalog(objs).spec.replicas = "one";
  await assert.rejects(validate(catalog(objs)), /replicas must be integer/);
});

test("typed check rejects a misspelled field the schema lets through", async () => {
  const objs = prod();
  const c = catalog(objs).spec.template.spec.containers[0];
  c.imagePullPolicyy = c.imagePullPolicy; delete c.imagePullPolicy;
  await assert.doesNotReject(validate(catalog(objs)), "the JSON schema is open to extra properties");
  const errors = await typeErrors([catalog(objs)], "negative");
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0], /imagePullPolicyy/);
});

const mutations = {
  "writable root filesystem": [(o) => { catalog(o).spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false; }, /readOnlyRootFilesystem/],
  "capabilities not dropped": [(o) => { delete search(o).spec.template.spec.containers[0].securityContext.capabilities; }, /drop ALL/],
  "root user": [(o) => { search(o).spec.template.spec.containers[0].securityContext.runAsUser = 0; }, /numeric non-root uid/],
  "no seccomp profile": [(o) => { delete catalog(o).spec.template.spec.securityContext.seccompProfile; delete catalog(o).spec.template.spec.containers[0].securityContext.seccompProfile; }, /seccompProfile/],
  "no memory limit": [(o) => { delete search(o).spec.template.spec.containers[0].resources.limits.memory; }, /no memory limit/],
  "missing app.kubernetes.io label": [(o) => { delete find(o, "Service", "reel-catalog").metadata.labels["app.kubernetes.io/name"]; }, /missing labels/],
  "grace shorter than preStop + drain": [(o) => { catalog(o).spec.template.spec.terminationGracePeriodSeconds = 20; }, /terminationGracePeriodSeconds 20/],
  "drain raised in the ConfigMap but not the grace": [(o) => { o.find((x) => x.kind === "ConfigMap" && x.metadata.name.startsWith("reel-search-config")).data.drain_timeout = "60s"; }, /drain 60s/],
  "no preStop": [(o) => { delete search(o).spec.template.spec.containers[0].lifecycle; }, /no preStop/],
  "named port in a grpc probe": [(o) => { catalog(o).spec.template.spec.containers[0].readinessProbe.grpc.port = "grpc"; }, /grpc port must be a numeric containerPort/, dev],
  "named port in a /readyz probe": [(o) => { catalog(o).spec.template.spec.containers[0].readinessProbe.httpGet.port = "metrics"; }, /httpGet port must be a numeric containerPort/],
  "tcpSocket readiness instead of grpc": [(o) => { search(o).spec.template.spec.containers[0].readinessProbe = { tcpSocket: { port: 50052 } }; }, /probes only a TCP port/],
  "liveness probe on the database": [(o) => { catalog(o).spec.template.spec.containers[0].livenessProbe = { grpc: { port: 50051 } }; }, /livenessProbe/],
  "two catalog replicas": [(o) => { catalog(o).spec.replicas = 2; }, /replicas must be 1/],
  "catalog PDB minAvailable": [(o) => { const p = find(o, "PodDisruptionBudget", "reel-catalog"); delete p.spec.maxUnavailable; p.spec.minAvailable = 1; }, /maxUnavailable: 1/],
  "a flag the binary does not have": [(o) => { catalog(o).spec.template.spec.containers[0].args.push("--max_conection_age=30s"); }, /no flag --max_conection_age/],
  "an undefined $(VAR)": [(o) => { search(o).spec.template.spec.containers[0].args.push("--log_level=$(REEL_LOGLEVEL)"); }, /REEL_LOGLEVEL/],
  "a ConfigMap key that does not exist": [(o) => { search(o).spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef.key = "listen_address"; }, /no key listen_address/],
  "listening on loopback": [(o) => { o.find((x) => x.kind === "ConfigMap" && x.metadata.name.startsWith("reel-catalog-config")).data.listen = "127.0.0.1:50051"; }, /loopback/],
  "data_dir on the read-only root": [(o) => { o.find((x) => x.kind === "ConfigMap" && x.metadata.name.startsWith("reel-search-config")).data.data_dir = "/data/search"; }, /not on a writable volume/],
  "replicas set beside the HPA": [(o) => { search(o).spec.replicas = 3; }, /HPA owns the count/],
  "no HPA": [(o) => { o.splice(o.findIndex((x) => x.kind === "HorizontalPodAutoscaler"), 1); }, /no HorizontalPodAutoscaler/],
  "no headless search Service": [(o) => { find(o, "Service", "reel-search").spec.clusterIP = "10.0.0.1"; }, /headless Service for client-side round_robin/],
  "no default deny": [(o) => { o.splice(o.findIndex((x) => x.metadata.name === "reel-default-deny"), 1); }, /default-deny/],
  "catalog open to every pod": [(o) => { find(o, "NetworkPolicy", "reel-catalog-ingress").spec.ingress[0].from.push({ podSelector: {} }); }, /neither search nor a labelled client/],
  "Secret mounted with subPath": [(o) => { const p = search(o).spec.template.spec; p.volumes.push({ name: "tls", secret: { secretName: "reel-tls" } }); p.containers[0].volumeMounts.push({ name: "tls", mountPath: "/etc/reel/tls/tls.crt", subPath: "tls.crt", readOnly: true }); }, /subPath/],
  "version label on volumeClaimTemplates": [(o) => { catalog(o).spec.volumeClaimTemplates[0].metadata.labels["app.kubernetes.io/version"] = "0.2.0"; }, /immutable/],
  "unpinned image": [(o) => { search(o).spec.template.spec.containers[0].image = "reel/search-service:latest"; }, /pinned/],
  // Authorization (components/authz).
  "--require_authz without a policy": [(o) => { const a = catalog(o).spec.template.spec.containers[0].args; a.splice(a.findIndex((x) => x.startsWith("--authz_policy=")), 1); }, /--require_authz without --authz_policy/],
  "--require_authz without TLS": [(o) => { const a = search(o).spec.template.spec.containers[0].args; a.splice(a.indexOf("--tls_dir=/etc/reel/tls"), 1); }, /--require_authz without --tls_dir/],
  "a policy that does not parse": [(o) => { find(o, "ConfigMap", "reel-catalog-authz").data["policy.json"] = "{\"name\": \"x\", \"allow_rules\": [}"; }, /reel-catalog-authz\/policy.json: \(file\): is not valid JSON/],
  "a policy field Reel does not enforce": [(o) => { const cm = find(o, "ConfigMap", "reel-search-authz"); const p = JSON.parse(cm.data["policy.json"]); p.allow_rules[1].request.headers = [{ key: "x-admin", values: ["1"] }]; cm.data["policy.json"] = JSON.stringify(p); }, /allow_rules\[1\]\.request\.headers: is not supported/],
  "a * inside a pattern (the servers refuse the policy)": [(o) => { const cm = find(o, "ConfigMap", "reel-catalog-authz"); cm.data["policy.json"] = cm.data["policy.json"].replace('"*/sa/reel-writer"', '"spiffe://reel/ns/*/sa/reel-writer"'); }, /allow_rules\[1\]\.source\.principals\[0\]: "spiffe:\/\/reel\/ns\/\*\/sa\/reel-writer" has a '\*' inside/],
  "a * at both ends of a pattern": [(o) => { const cm = find(o, "ConfigMap", "reel-search-authz"); cm.data["policy.json"] = cm.data["policy.json"].replace('"/grpc.health.v1.Health/*"', '"*Health*"'); }, /"\*Health\*" has a '\*' at both ends/],
  "a misspelt method in the policy": [(o) => { const cm = find(o, "ConfigMap", "reel-catalog-authz"); cm.data["policy.json"] = cm.data["policy.json"].replace("/ListFilms", "/ListFilm"); }, /path \/reel\.catalog\.v1\.CatalogService\/ListFilm matches no method/],
  "the policy ConfigMap mounted with subPath": [(o) => { const m = catalog(o).spec.template.spec.containers[0].volumeMounts.find((x) => x.name === "authz"); m.mountPath = "/etc/reel/authz/policy.json"; m.subPath = "policy.json"; }, /ConfigMap authz mounted with subPath/],
  "the policy path off its mount": [(o) => { const a = search(o).spec.template.spec.containers[0].args; a[a.findIndex((x) => x.startsWith("--authz_policy="))] = "--authz_policy=/etc/reel/policy.json"; }, /--authz_policy \/etc\/reel\/policy.json is not on a mounted volume/],
  "a policy key the ConfigMap lacks": [(o) => { const a = search(o).spec.template.spec.containers[0].args; a[a.findIndex((x) => x.startsWith("--authz_policy="))] = "--authz_policy=/etc/reel/authz/authz.json"; }, /reel-search-authz has no key for authz.json/],
  "a bool flag given a bare non-bool": [(o) => { catalog(o).spec.template.spec.containers[0].args.push("--authz_refresh_interval"); }, /--authz_refresh_interval needs a value/],
  "--no prefix on a non-bool flag": [(o) => { catalog(o).spec.template.spec.containers[0].args.push("--nolog_level"); }, /no flag --nolog_level/],
  // Backups (components/backup): the catalog side.
  "backups on the data volume": [(o) => { const a = catalog(o).spec.template.spec.containers[0].args; a[a.indexOf("--backup_dir=/var/lib/reel/backup")] = "--backup_dir=/var/lib/reel/backups"; }, /--backup_dir \/var\/lib\/reel\/backups is on the same volume \(data\)/],
  "backups on an emptyDir": [(o) => { const p = catalog(o).spec.template.spec; p.volumes.push({ name: "scratch", emptyDir: {} }); p.containers[0].volumeMounts.find((m) => m.name === "backup").name = "scratch"; }, /--backup_dir \/var\/lib\/reel\/backup must live on a volumeClaimTemplate/],
  // The backup CronJob: every pod rule holds for it, plus its own.
  "backup job: concurrent runs allowed": [(o) => { backupJob(o).spec.concurrencyPolicy = "Allow"; }, /CronJob\/reel-catalog-backup: concurrencyPolicy must be Forbid/],
  "backup job: no deadline": [(o) => { delete backupJob(o).spec.jobTemplate.spec.activeDeadlineSeconds; }, /CronJob\/reel-catalog-backup: no activeDeadlineSeconds/],
  "backup job: no starting deadline": [(o) => { delete backupJob(o).spec.startingDeadlineSeconds; }, /CronJob\/reel-catalog-backup: no startingDeadlineSeconds/],
  "backup job: implicit backoffLimit": [(o) => { delete backupJob(o).spec.jobTemplate.spec.backoffLimit; }, /CronJob\/reel-catalog-backup: backoffLimit must be set/],
  "backup job: runs as root": [(o) => { backupPod(o).securityContext.runAsUser = 0; backupPod(o).containers[0].securityContext.runAsUser = 0; }, /CronJob\/reel-catalog-backup: container backup: runAsUser must be a numeric non-root uid/],
  "backup job: writable root filesystem": [(o) => { backupPod(o).containers[0].securityContext.readOnlyRootFilesystem = false; }, /CronJob\/reel-catalog-backup: container backup: readOnlyRootFilesystem/],
  "backup job: no memory limit": [(o) => { delete backupPod(o).containers[0].resources.limits.memory; }, /CronJob\/reel-catalog-backup: container backup: no memory limit/],
  "backup job: API token mounted": [(o) => { backupPod(o).automountServiceAccountToken = true; }, /CronJob\/reel-catalog-backup: automountServiceAccountToken must be false/],
  "backup job: admin certificate via subPath": [(o) => { const m = backupPod(o).containers[0].volumeMounts[0]; m.mountPath = "/etc/reel/admin-tls/tls.crt"; m.subPath = "tls.crt"; }, /CronJob\/reel-catalog-backup: container backup: Secret admin-tls mounted with subPath/],
  "backup job: --tls_dir not mounted": [(o) => { const a = backupPod(o).containers[0].args; a[a.indexOf("--tls_dir=/etc/reel/admin-tls")] = "--tls_dir=/etc/reel/tls"; }, /--tls_dir \/etc\/reel\/tls is not on a mounted volume/],
  "backup job: a flag reelctl does not have": [(o) => { const a = backupPod(o).containers[0].args; a[a.indexOf("--keep_latest=7")] = "--keep_lastest=7"; }, /reelctl has no flag --keep_lastest/],
  "backup job: reelctl from the search image": [(o) => { backupPod(o).containers[0].image = "registry.example.com/reel/search-service:0.1.0"; }, /does not ship \/usr\/local\/bin\/reelctl/],
  "backup job: not a labelled catalog client": [(o) => { delete podTemplate(backupJob(o)).metadata.labels["reel-catalog-client"]; }, /do not let it reach StatefulSet\/reel-catalog port 50051/],
  "backup job: dials a Service that does not exist": [(o) => { const a = backupPod(o).containers[0].args; a[a.indexOf("--catalog=reel-catalog:50051")] = "--catalog=catalog:50051"; }, /no Service catalog/],
  "backup job: pods carry the catalog's labels": [(o) => { Object.assign(podTemplate(backupJob(o)).metadata.labels, { "app.kubernetes.io/name": "catalog" }); }, /CronJob\/reel-catalog-backup: Service reel-catalog selects its pods/],
};
for (const [name, [mutate, expected, overlay = prod]] of Object.entries(mutations)) {
  test(`policy check fails on: ${name}`, () => {
    const objs = overlay();
    assert.deepEqual(check(objs), [], "the unmutated overlay passes");
    mutate(objs);
    const violations = check(objs);
    assert.ok(violations.some((x) => expected.test(x)), `expected ${expected}, got:\n${violations.join("\n")}`);
  });
}

// A container's args as the kubelet passes them ($(VAR)s resolved).
const argsOf = (objs, w, i = 0) => resolveContainer(objs, podTemplate(w).spec.containers[i]).args;
// What a container has mounted at mountPath, and the volume behind it.
function mounted(w, mountPath, container = 0) {
  const pod = podTemplate(w).spec;
  const m = (pod.containers[container].volumeMounts ?? []).find((x) => x.mountPath === mountPath);
  assert.ok(m, `${w.metadata.name}: nothing mounted at ${mountPath}`);
  assert.equal(m.subPath, undefined, `${w.metadata.name}: ${mountPath} uses subPath`);
  const claim = (w.spec.volumeClaimTemplates ?? []).find((t) => t.metadata.name === m.name);
  return { mount: m, volume: pod.volumes?.find((x) => x.name === m.name), claim };
}

test("prod: mutual TLS on both services, Secrets mounted as directories, probes on /readyz", async () => {
  const objs = prod();
  const expected = {
    catalog: [catalog(objs), { "/etc/reel/tls": "reel-catalog-tls" }, ["--tls_dir=/etc/reel/tls"], 9090],
    search: [search(objs), { "/etc/reel/tls": "reel-search-tls", "/etc/reel/catalog-tls": "reel-catalog-tls" },
      ["--tls_dir=/etc/reel/tls", "--catalog_tls_dir=/etc/reel/catalog-tls"], 9091],
  };
  for (const [name, [w, mounts, args, port]] of Object.entries(expected)) {
    const c = w.spec.template.spec.containers[0];
    for (const a of args) assert.ok(c.args.includes(a), `${name}: no ${a}`);
    for (const [mountPath, secret] of Object.entries(mounts)) {
      const { mount, volume } = mounted(w, mountPath);
      assert.equal(mount.readOnly, true, `${name}: ${mountPath} not readOnly`);
      const secrets = volume.secret ? [volume.secret.secretName] : volume.projected.sources.map((s) => s.secret.name);
      assert.ok(secrets.includes(secret), `${name}: ${mountPath} is not from Secret ${secret}`);
    }
    for (const kind of ["startupProbe", "readinessProbe"]) {
      assert.deepEqual(c[kind].httpGet, { path: "/readyz", port }, `${name}: ${kind}`);
      assert.equal(c[kind].grpc, undefined, `${name}: ${kind} still grpc (the kubelet cannot probe TLS)`);
    }
    // /readyz and /metrics on the pod IP, not loopback: the kubelet probes
    // and Prometheus scrapes from outside the pod.
    const listen = argsOf(objs, w).find((a) => a.startsWith("--metrics_listen="));
    assert.equal(listen, `--metrics_listen=0.0.0.0:${port}`, `${name}: metrics must listen on the pod IP`);
  }
  // Search never gets the catalog's private key.
  const projected = search(objs).spec.template.spec.volumes.find((v) => v.name === "catalog-tls").projected;
  const fromCatalog = projected.sources.find((s) => s.secret.name === "reel-catalog-tls");
  assert.deepEqual(fromCatalog.secret.items.map((i) => i.key), ["ca.crt"]);
});

test("prod: both services enforce their policy ConfigMap (--authz_policy, --require_authz) and serve no reflection", () => {
  const objs = prod();
  for (const [w, cm] of [[catalog(objs), "reel-catalog-authz"], [search(objs), "reel-search-authz"]]) {
    const args = argsOf(objs, w);
    for (const a of ["--authz_policy=/etc/reel/authz/policy.json", "--require_authz", "--noreflection"])
      assert.ok(args.includes(a), `${w.metadata.name}: no ${a}`);
    assert.ok(!args.includes("--reflection") && !args.includes("--reflection=true"), `${w.metadata.name}: reflection re-enabled`);
    const { mount, volume } = mounted(w, "/etc/reel/authz");
    assert.equal(mount.readOnly, true);
    assert.equal(volume.configMap?.name, cm, `${w.metadata.name}: /etc/reel/authz is not ConfigMap ${cm}`);
    // A fixed name: edits apply in place (re-read by the server), not as a
    // new pod template that restarts the catalog.
    assert.ok(find(objs, "ConfigMap", cm).data["policy.json"], `${cm} has no policy.json`);
  }
});

test("dev: plaintext, no policy, reflection kept (grpcurl works)", () => {
  const objs = dev();
  for (const w of [catalog(objs), search(objs)]) {
    const args = argsOf(objs, w);
    for (const prefix of ["--tls_dir", "--authz_policy", "--require_authz", "--noreflection", "--backup_dir"])
      assert.ok(!args.some((a) => a.startsWith(prefix)), `${w.metadata.name}: dev has ${prefix}`);
  }
  assert.ok(!dev().some((o) => o.kind === "CronJob"), "dev has no backup job (no admin certificate)");
});

test("the policies give each identity exactly its role, in any namespace", () => {
  const objs = prod();
  const services = protoServices();
  const methods = (service) => { assert.ok(services.has(service), `no ${service} in proto/`); return services.get(service); };
  const catalogMethods = methods("reel.catalog.v1.CatalogService");
  const adminMethods = methods("reel.admin.v1.AdminService");
  const searchMethods = methods("reel.search.v1.SearchService");
  const health = methods("grpc.health.v1.Health");
  const reflection = methods("grpc.reflection.v1alpha.ServerReflection");
  assert.deepEqual(adminMethods.map((m) => m.split("/").pop()).sort(), ["CreateBackup", "ListBackups", "VerifyBackup"]);
  const cat = (m) => `/reel.catalog.v1.CatalogService/${m}`;
  const id = (sa, ns = "reel") => `spiffe://reel/ns/${ns}/sa/${sa}`;
  // identity -> methods allowed, per server; everything else is denied.
  const roles = {
    "reel-catalog-authz": {
      served: [...catalogMethods, ...adminMethods, ...health, ...reflection],
      allowed: {
        "reel-writer": [...catalogMethods, ...health],
        "reel-search": [cat("GetFilm"), cat("ListFilms"), cat("WatchFilms"), ...health],
        "reel-admin": [...adminMethods, ...health],
        "reel-web": health,
        "nobody": health,
      },
    },
    "reel-search-authz": {
      served: [...searchMethods, ...health, ...reflection],
      allowed: {
        "reel-web": ["/reel.search.v1.SearchService/SearchScenes", "/reel.search.v1.SearchService/GetIndexStatus", ...health],
        "reel-writer": health, "reel-search": health, "reel-admin": health, "nobody": health,
      },
    },
  };
  for (const [cm, { served, allowed }] of Object.entries(roles)) {
    const policy = parsePolicy(find(objs, "ConfigMap", cm).data["policy.json"]);
    for (const [sa, expected] of Object.entries(allowed)) {
      for (const ns of ["reel", "reel-staging"]) {
        const got = served.filter((m) => evaluate(policy, [id(sa, ns), `CN=${sa}`], m).allowed);
        assert.deepEqual(got.sort(), [...expected].sort(), `${cm}: ${id(sa, ns)}`);
      }
    }
    // A look-alike name, a bare CN, a DNS name or no certificate at all:
    // health only. Reflection: nobody.
    for (const names of [["spiffe://reel/ns/reel/sa/reel-writer-2"], ["spiffe://reel/ns/reel/sa/reel-web/x"],
      ["spiffe://reel/ns/reel/sa/xreel-writer"], ["CN=reel-writer"], ["reel-writer"], ["reel-search.reel.svc"], []]) {
      const got = served.filter((m) => evaluate(policy, names, m).allowed);
      assert.deepEqual(got.sort(), [...health].sort(), `${cm}: ${JSON.stringify(names)}`);
    }
    // What "*/sa/NAME" does not check, by design: the trust domain. The CA
    // in ca.crt vouches for every identity (deploy/README.md).
    assert.ok(evaluate(policy, ["spiffe://elsewhere/ns/x/sa/reel-web"], "/grpc.health.v1.Health/Check").allowed);
  }
});

test("components/authz without components/tls fails the policy check (the servers would not start)", () => {
  const objs = renderWith("overlays/dev", { components: ["authz"] });
  const v = check(objs);
  assert.ok(v.some((x) => /StatefulSet\/reel-catalog: .*--require_authz without --tls_dir/.test(x)), v.join("\n"));
  assert.ok(v.some((x) => /Deployment\/reel-search: .*--require_authz without --tls_dir/.test(x)), v.join("\n"));
});

test("components/tls alone (dev + tls) still renders and passes", async () => {
  const objs = renderWith("overlays/dev", { components: ["tls"] });
  for (const o of objs) await assert.doesNotReject(validate(o), `${o.kind}/${o.metadata.name}`);
  assert.deepEqual(await typeErrors(objs, "dev-tls"), []);
  assert.deepEqual(check(objs), []);
});

test("prod: the catalog keeps backups on a volume of its own", () => {
  const objs = prod();
  const w = catalog(objs);
  assert.ok(argsOf(objs, w).includes("--backup_dir=/var/lib/reel/backup"));
  const { claim, mount } = mounted(w, "/var/lib/reel/backup");
  assert.equal(claim?.metadata.name, "backup", "/var/lib/reel/backup is not the volumeClaimTemplate backup");
  assert.notEqual(mount.readOnly, true);
  assert.deepEqual(w.spec.volumeClaimTemplates.map((t) => t.metadata.name), ["data", "backup"]);
  assert.equal(w.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "50Gi");
  assert.equal(w.spec.volumeClaimTemplates[1].spec.resources.requests.storage, "100Gi");
  assert.equal(mounted(w, "/var/lib/reel").claim?.metadata.name, "data");
});

test("prod: a daily CronJob takes the backup as reel-admin, with the admin certificate", () => {
  const objs = prod();
  const cj = backupJob(objs);
  const pod = podTemplate(cj).spec;
  assert.equal(cj.spec.concurrencyPolicy, "Forbid");
  assert.match(cj.spec.schedule, /^\d+ \d+ \* \* \*$/, "daily");
  assert.ok(cj.spec.jobTemplate.spec.activeDeadlineSeconds > 0);
  assert.equal(pod.serviceAccountName, "reel-admin");
  assert.equal(find(objs, "ServiceAccount", "reel-admin").automountServiceAccountToken, false);
  const c = pod.containers[0];
  assert.deepEqual(c.command, ["/usr/local/bin/reelctl"]);
  assert.equal(c.image, catalog(objs).spec.template.spec.containers[0].image, "reelctl ships in the catalog image");
  const args = argsOf(objs, cj);
  assert.deepEqual(args.slice(0, 2), ["admin", "backup"]);
  for (const a of ["--catalog=reel-catalog:50051", "--tls_dir=/etc/reel/admin-tls", "--keep_latest=7"]) assert.ok(args.includes(a), `no ${a}`);
  const { mount, volume } = mounted(cj, "/etc/reel/admin-tls");
  assert.equal(mount.readOnly, true);
  assert.equal(volume.secret?.secretName, "reel-admin-tls");
  // Its pod reaches the catalog's gRPC port and DNS, and nothing else.
  const me = ownPod(objs, podTemplate(cj).metadata.labels);
  const catalogPod = ownPod(objs, catalog(objs).spec.template.metadata.labels);
  const searchPod = ownPod(objs, search(objs).spec.template.metadata.labels);
  assert.ok(connectionAllowed(objs, me, catalogPod, 50051));
  assert.ok(connectionAllowed(objs, me, KUBE_DNS, 53, "UDP"));
  assert.ok(!connectionAllowed(objs, me, catalogPod, 9090), "the backup job has no business on the metrics port");
  assert.ok(!connectionAllowed(objs, me, searchPod, 50052));
  // ... and the catalog's policy lets the admin identity do it.
  const policy = parsePolicy(find(objs, "ConfigMap", "reel-catalog-authz").data["policy.json"]);
  assert.ok(evaluate(policy, ["spiffe://reel/ns/reel/sa/reel-admin"], "/reel.admin.v1.AdminService/CreateBackup").allowed);
});

test("the NetworkPolicy model: default deny isolates an unlabelled pod", () => {
  const objs = prod();
  const stranger = ownPod(objs, { "app.kubernetes.io/name": "stranger" });
  const catalogPod = ownPod(objs, catalog(objs).spec.template.metadata.labels);
  assert.ok(!connectionAllowed(objs, stranger, catalogPod, 50051));
  assert.ok(!connectionAllowed(objs, stranger, KUBE_DNS, 53, "UDP"));
  const searchPod = ownPod(objs, search(objs).spec.template.metadata.labels);
  assert.ok(connectionAllowed(objs, searchPod, catalogPod, 50051));
  const scraper = { labels: {}, namespace: "monitoring", namespaceLabels: { "reel-metrics-scraper": "true" } };
  assert.ok(connectionAllowed(objs, scraper, catalogPod, 9090));
  assert.ok(!connectionAllowed(objs, scraper, catalogPod, 50051));
});

test("restore: one Job, in prod's namespace, with prod's catalog image, on the StatefulSet's PVCs", async () => {
  const objs = restore();
  assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`), ["Job/reel-catalog-restore"]);
  for (const o of objs) await assert.doesNotReject(validate(o), `${o.kind}/${o.metadata.name}`);
  assert.deepEqual(await typeErrors(objs, "restore"), []);
  assert.deepEqual(check(objs), []);
  const job = objs[0];
  const p = prod();
  const sts = catalog(p);
  assert.equal(job.metadata.namespace, find(p, "Namespace", job.metadata.namespace).metadata.name);
  const pod = job.spec.template.spec;
  for (const c of [...pod.initContainers, ...pod.containers])
    assert.equal(c.image, sts.spec.template.spec.containers[0].image, `${c.name}: not prod's catalog image`);
  // PVC names a StatefulSet gives its claims: <template>-<statefulset>-0.
  const claim = (template) => `${template}-${sts.metadata.name}-0`;
  assert.equal(mounted(job, "/var/lib/reel").volume.persistentVolumeClaim.claimName, claim("data"));
  const backup = mounted(job, "/var/lib/reel/backup");
  assert.equal(backup.volume.persistentVolumeClaim.claimName, claim("backup"));
  assert.equal(backup.mount.readOnly, true, "a restore must not change the backups");
  // The same paths as the catalog's own flags.
  const catalogArgs = argsOf(p, sts);
  const args = argsOf(objs, job);
  assert.ok(catalogArgs.includes(args.find((a) => a.startsWith("--data_dir="))), "restore into the catalog's --data_dir");
  assert.ok(catalogArgs.includes(args.find((a) => a.startsWith("--restore_from=")).replace("--restore_from=", "--backup_dir=")));
  // The old data dir is moved aside (not deleted) before the restore.
  const [prepare, moveAside] = pod.initContainers;
  assert.deepEqual([prepare.command, prepare.args], [["/bin/mkdir"], ["-p", "/var/lib/reel/catalog"]]);
  assert.deepEqual(resolveContainer(objs, moveAside).command, ["/bin/mv"]);
  assert.deepEqual(resolveContainer(objs, moveAside).args, ["-T", "/var/lib/reel/catalog", "/var/lib/reel/catalog.before-restore-<metadata.name>"]);
  // Its pods are nobody's backend and reach nothing.
  const me = ownPod(p, job.spec.template.metadata.labels);
  assert.ok(!connectionAllowed([...p, ...objs], me, ownPod(p, sts.spec.template.metadata.labels), 50051));
  assert.equal(job.spec.backoffLimit, 0);
});

test("restore: a chosen backup id renders as --restore_backup_id", () => {
  const objs = renderWith("restore", { patches: [{ target: { kind: "Job", name: "reel-catalog-restore" },
    patch: "- {op: add, path: /spec/template/spec/containers/0/args/-, value: --restore_backup_id=3}" }] });
  assert.deepEqual(check(objs), []);
  assert.ok(objs[0].spec.template.spec.containers[0].args.includes("--restore_backup_id=3"));
});

test("policy check: a restore Job that looks like the catalog is caught", () => {
  const p = prod();
  const job = restore()[0];
  job.spec.template.metadata.labels["app.kubernetes.io/name"] = "catalog";
  const v = check([...p, job]);
  assert.ok(v.some((x) => /Job\/reel-catalog-restore: Service reel-catalog selects its pods/.test(x)), v.join("\n"));
  assert.ok(v.some((x) => /Job\/reel-catalog-restore: PodDisruptionBudget reel-catalog selects its pods/.test(x)), v.join("\n"));
  const broken = restore();
  delete broken[0].spec.activeDeadlineSeconds;
  broken[0].spec.template.spec.volumes.find((x) => x.name === "data").persistentVolumeClaim.readOnly = true;
  broken[0].spec.template.spec.containers[0].volumeMounts[0].readOnly = true;
  const w = check(broken);
  assert.ok(w.some((x) => /no activeDeadlineSeconds/.test(x)), w.join("\n"));
  assert.ok(w.some((x) => /--data_dir \/var\/lib\/reel\/catalog is on read-only mount/.test(x)), w.join("\n"));
});

test("no overlay probes only a TCP port", () => {
  for (const [name, render] of [["dev", dev], ["prod", prod]]) {
    for (const w of [catalog(render()), search(render())]) {
      for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        assert.equal(w.spec.template.spec.containers[0][kind]?.tcpSocket, undefined, `${name}: ${w.metadata.name} ${kind}`);
      }
    }
  }
  for (const render of [dev, prod]) {
    const objs = render();
    catalog(objs).spec.template.spec.containers[0].startupProbe = { tcpSocket: { port: 50051 } };
    assert.ok(check(objs).some((x) => /startupProbe probes only a TCP port/.test(x)));
  }
});

test("policy check rejects an httpGet probe without TLS, or on another path", () => {
  let objs = dev();
  catalog(objs).spec.template.spec.containers[0].readinessProbe = { httpGet: { path: "/readyz", port: 9090 } };
  assert.ok(check(objs).some((x) => /readinessProbe must be a native grpc probe/.test(x)));
  objs = prod();
  catalog(objs).spec.template.spec.containers[0].readinessProbe = { httpGet: { path: "/metrics", port: 9090 } };
  assert.ok(check(objs).some((x) => /readinessProbe must be a native grpc probe or, with TLS, httpGet/.test(x)));
});
