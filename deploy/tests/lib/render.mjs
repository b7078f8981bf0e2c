// Renders kustomize overlays with the machine's kubectl and parses the YAML.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const K8S = path.join(REPO, "deploy/k8s");

export function overlays() {
  return readdirSync(path.join(K8S, "overlays"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

export function renderYaml(dir) {
  return execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 << 20 });
}

export function parseObjects(text) {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw new Error(doc.errors.map(String).join("\n"));
    return doc.toJS();
  }).filter(Boolean);
}

const cache = new Map();
export function render(overlay) {
  if (!cache.has(overlay)) cache.set(overlay, parseObjects(renderYaml(path.join(K8S, "overlays", overlay))));
  return structuredClone(cache.get(overlay));
}

export function find(objects, kind, name) {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`no ${kind}/${name} rendered`);
  return o;
}

// The flags a binary defines: every ABSL_FLAG(type, name, ...) in its main.cc.
export function binaryFlags(service) {
  const src = readFileSync(path.join(REPO, `${service}/main.cc`), "utf8");
  return new Set([...src.matchAll(/ABSL_FLAG\(\s*[\w:<>]+\s*,\s*(\w+)\s*,/g)].map((m) => m[1]));
}

// Go-style duration ("20s", "1m30s", "500ms") in seconds; absl accepts these.
export function durationSeconds(text) {
  const units = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 };
  let total = 0, rest = String(text);
  const re = /^(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)/;
  if (!rest.length) throw new Error("empty duration");
  while (rest.length) {
    const m = re.exec(rest);
    if (!m) throw new Error(`bad duration ${text}`);
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

// The container's env resolved as the kubelet would (literal values and
// configMapKeyRef against the rendered ConfigMaps), and its args with
// $(VAR) expanded.
export function resolveContainer(objects, container) {
  const env = {};
  for (const e of container.env ?? []) {
    if ("value" in e) env[e.name] = e.value;
    else if (e.valueFrom?.configMapKeyRef) {
      const { name, key } = e.valueFrom.configMapKeyRef;
      const cm = find(objects, "ConfigMap", name);
      if (!(key in (cm.data ?? {}))) throw new Error(`ConfigMap ${name} has no key ${key}`);
      env[e.name] = cm.data[key];
    } else throw new Error(`env ${e.name}: unsupported source`);
  }
  const expand = (s) => s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, v) => {
    if (!(v in env)) throw new Error(`${container.name}: $(${v}) is not defined in env`);
    return env[v];
  });
  return { env, args: (container.args ?? []).map(expand), command: (container.command ?? []).map(expand) };
}

export function workloads(objects) {
  return objects.filter((o) => ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind));
}
