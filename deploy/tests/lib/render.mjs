// Renders kustomize overlays with the machine's kubectl and parses the YAML.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
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

// The sources whose ABSL_FLAGs end up in each binary: its own directory and
// the shared server flags (common/server/server_flags.cc) the services link.
const FLAG_SOURCES = {
  "catalog-service": ["catalog-service", "common/server/server_flags.cc"],
  "search-service": ["search-service", "common/server/server_flags.cc"],
  "reelctl": ["tools/reelctl"],
};

function ccFiles(rel) {
  const full = path.join(REPO, rel);
  if (statSync(full).isFile()) return [full];
  return readdirSync(full, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith(".cc"))
    .map((d) => path.join(d.parentPath ?? d.path, d.name));
}

// The flags a binary defines, name -> type: every ABSL_FLAG(type, name, ...)
// in its sources, and reelctl's CLI11 options (add_option(Names("name"),
// ...) takes a value, add_flag(Names("name"), ...) is a bool; reelctl
// accepts - and _ alike, so names are kept with _).
export function binaryFlags(binary) {
  const sources = FLAG_SOURCES[binary];
  if (!sources) throw new Error(`no flag sources known for ${binary}`);
  const flags = new Map();
  for (const file of sources.flatMap(ccFiles)) {
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/ABSL_FLAG\(\s*([\w:<>]+(?:\s*<[^>]*>)?)\s*,\s*(\w+)\s*,/g)) flags.set(m[2], m[1]);
    for (const m of src.matchAll(/add_(option|flag)\(\s*Names\("([\w-]+)"\)/g)) {
      flags.set(m[2].replaceAll("-", "_"), m[1] === "flag" ? "bool" : "value");
    }
  }
  return flags;
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
// configMapKeyRef against the rendered ConfigMaps; a fieldRef becomes
// <fieldPath>), and its args with $(VAR) expanded.
export function resolveContainer(objects, container) {
  const env = {};
  for (const e of container.env ?? []) {
    if ("value" in e) env[e.name] = e.value;
    else if (e.valueFrom?.configMapKeyRef) {
      const { name, key } = e.valueFrom.configMapKeyRef;
      const cm = find(objects, "ConfigMap", name);
      if (!(key in (cm.data ?? {}))) throw new Error(`ConfigMap ${name} has no key ${key}`);
      env[e.name] = cm.data[key];
    } else if (e.valueFrom?.fieldRef) {
      // Known only on the node (the pod's name, namespace, ...): a stand-in.
      env[e.name] = `<${e.valueFrom.fieldRef.fieldPath}>`;
    } else throw new Error(`env ${e.name}: unsupported source`);
  }
  const expand = (s) => s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, v) => {
    if (!(v in env)) throw new Error(`${container.name}: $(${v}) is not defined in env`);
    return env[v];
  });
  return { env, args: (container.args ?? []).map(expand), command: (container.command ?? []).map(expand) };
}

// Whether a label selector (matchLabels, matchExpressions) selects labels.
export const selects = (selector, labels) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v) &&
  (selector?.matchExpressions ?? []).every((e) =>
    e.operator === "In" ? e.values.includes(labels?.[e.key]) :
    e.operator === "NotIn" ? !e.values.includes(labels?.[e.key]) :
    e.operator === "Exists" ? e.key in (labels ?? {}) :
    e.operator === "DoesNotExist" ? !(e.key in (labels ?? {})) : false);

// Everything that runs pods: the servers (Deployment, StatefulSet,
// DaemonSet) and batch work (Job, CronJob).
export const SERVER_KINDS = ["Deployment", "StatefulSet", "DaemonSet"];
export const BATCH_KINDS = ["Job", "CronJob"];
export function workloads(objects) {
  return objects.filter((o) => [...SERVER_KINDS, ...BATCH_KINDS].includes(o.kind));
}

// A workload's pod template (a CronJob's is inside its jobTemplate).
export function podTemplate(w) {
  return w.kind === "CronJob" ? w.spec.jobTemplate.spec.template : w.spec.template;
}
