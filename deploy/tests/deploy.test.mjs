// node --test suite over every kustomize overlay in deploy/k8s/overlays:
// render, Kubernetes schema, typed (misspelled fields) and policy checks,
// plus negative tests showing each check fails on a broken manifest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { find, K8S, overlays, parseObjects, render, renderYaml } from "./lib/render.mjs";
import { validate } from "./lib/schema.mjs";
import { typeErrors } from "./lib/typed.mjs";
import { check } from "./lib/policy.mjs";

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

// Negative tests: a broken copy of the prod overlay must fail.
const prod = () => render("prod");
const catalog = (objs) => find(objs, "StatefulSet", "reel-catalog");
const search = (objs) => find(objs, "Deployment", "reel-search");

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
  "named port in a grpc probe": [(o) => { catalog(o).spec.template.spec.containers[0].readinessProbe.grpc.port = "grpc"; }, /numeric containerPort/],
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
};
for (const [name, [mutate, expected]] of Object.entries(mutations)) {
  test(`policy check fails on: ${name}`, () => {
    const objs = prod();
    mutate(objs);
    const violations = check(objs);
    assert.ok(violations.some((x) => expected.test(x)), `expected ${expected}, got:\n${violations.join("\n")}`);
  });
}

// The TLS component (deploy/k8s/components/tls) on top of the prod overlay,
// rendered from a throwaway kustomization (kustomize wants relative paths).
function renderProdWithTls() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "reel-tls-"));
  try {
    const k8s = path.relative(dir, K8S);
    writeFileSync(path.join(dir, "kustomization.yaml"), [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      `resources: [${k8s}/overlays/prod]`,
      `components: [${k8s}/components/tls]`, ""].join("\n"));
    return parseObjects(renderYaml(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("prod + components/tls: schema, typed and policy checks pass; Secrets mounted as directories", async () => {
  const objs = renderProdWithTls();
  for (const o of objs) await assert.doesNotReject(validate(o), `${o.kind}/${o.metadata.name}`);
  assert.deepEqual(await typeErrors(objs, "prod-tls"), []);
  assert.deepEqual(check(objs), []);
  const expected = {
    catalog: [catalog(objs), { "/etc/reel/tls": "reel-catalog-tls" }, ["--tls_dir=/etc/reel/tls"], 9090],
    search: [search(objs), { "/etc/reel/tls": "reel-search-tls", "/etc/reel/catalog-tls": "reel-catalog-tls" },
      ["--tls_dir=/etc/reel/tls", "--catalog_tls_dir=/etc/reel/catalog-tls"], 9091],
  };
  for (const [name, [w, mounts, args, port]] of Object.entries(expected)) {
    const pod = w.spec.template.spec;
    const c = pod.containers[0];
    for (const a of args) assert.ok(c.args.includes(a), `${name}: no ${a}`);
    for (const [mountPath, secret] of Object.entries(mounts)) {
      const m = c.volumeMounts.find((x) => x.mountPath === mountPath);
      assert.ok(m, `${name}: nothing mounted at ${mountPath}`);
      assert.equal(m.readOnly, true, `${name}: ${mountPath} not readOnly`);
      assert.equal(m.subPath, undefined, `${name}: ${mountPath} uses subPath`);
      const v = pod.volumes.find((x) => x.name === m.name);
      const secrets = v.secret ? [v.secret.secretName] : v.projected.sources.map((s) => s.secret.name);
      assert.ok(secrets.includes(secret), `${name}: ${mountPath} is not from Secret ${secret}`);
    }
    for (const kind of ["startupProbe", "readinessProbe"]) {
      assert.deepEqual(c[kind].httpGet, { path: "/readyz", port }, `${name}: ${kind}`);
      assert.equal(c[kind].grpc, undefined, `${name}: ${kind} still grpc (the kubelet cannot probe TLS)`);
      assert.ok(c.args.some((a) => a.startsWith("--metrics_listen=")), `${name}: /readyz needs --metrics_listen`);
    }
  }
  // Search never gets the catalog's private key.
  const projected = search(objs).spec.template.spec.volumes.find((v) => v.name === "catalog-tls").projected;
  const fromCatalog = projected.sources.find((s) => s.secret.name === "reel-catalog-tls");
  assert.deepEqual(fromCatalog.secret.items.map((i) => i.key), ["ca.crt"]);
});

test("no overlay, with or without components/tls, probes only a TCP port", () => {
  for (const [name, render] of [["prod", prod], ["prod + tls", renderProdWithTls]]) {
    for (const w of [catalog(render()), search(render())]) {
      for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        assert.equal(w.spec.template.spec.containers[0][kind]?.tcpSocket, undefined, `${name}: ${w.metadata.name} ${kind}`);
      }
    }
  }
  for (const render of [prod, renderProdWithTls]) {
    const objs = render();
    catalog(objs).spec.template.spec.containers[0].startupProbe = { tcpSocket: { port: 50051 } };
    assert.ok(check(objs).some((x) => /startupProbe probes only a TCP port/.test(x)));
  }
});

test("policy check rejects an httpGet probe without TLS, or on another path", () => {
  let objs = prod();
  catalog(objs).spec.template.spec.containers[0].readinessProbe = { httpGet: { path: "/readyz", port: 9090 } };
  assert.ok(check(objs).some((x) => /readinessProbe must be a native grpc probe/.test(x)));
  objs = renderProdWithTls();
  catalog(objs).spec.template.spec.containers[0].readinessProbe = { httpGet: { path: "/metrics", port: 9090 } };
  assert.ok(check(objs).some((x) => /readinessProbe must be a native grpc probe or, with TLS, httpGet/.test(x)));
});
