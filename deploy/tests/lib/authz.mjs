// Reel's authorization policies as the servers read them (common/authz):
// parse() accepts exactly what AuthzPolicy::Parse accepts and reports the
// first problem the same way; evaluate() decides a call like
// AuthzPolicy::Evaluate. Also the gRPC methods each binary serves, read from
// the .proto files, to check a policy against.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO } from "./render.mjs";

const onlyKeys = (o, where, allowed) => {
  if (o === null || typeof o !== "object" || Array.isArray(o)) throw new Error(`${where}: must be an object`);
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new Error(`${where}.${k}: is not supported (Reel enforces names, principals and paths only)`);
};
const strings = (o, key, where) => {
  const v = o[key];
  if (!Array.isArray(v) || !v.length) throw new Error(`${where}.${key}: must be a non-empty array of strings`);
  v.forEach((s, i) => {
    if (typeof s !== "string" || !s) throw new Error(`${where}.${key}[${i}]: must be a non-empty string`);
    const problem = patternProblem(s);
    if (problem) throw new Error(`${where}.${key}[${i}]: ${problem}`);
  });
  return v;
};

// A pattern is exact, "*", "prefix*" or "*suffix". A '*' anywhere else
// would be a literal in gRPC's format, a rule matching nothing, so the
// servers reject it at load (AuthzPolicy::Parse), and so does this.
export function patternProblem(pattern) {
  const star = pattern.indexOf("*", 1);
  if (pattern !== "*" && star >= 0 && star !== pattern.length - 1)
    return `"${pattern}" has a '*' inside; a pattern is exact, "*", "prefix*" or "*suffix" (e.g. "*/sa/reel-writer")`;
  if (pattern.length > 1 && pattern.startsWith("*") && pattern.endsWith("*"))
    return `"${pattern}" has a '*' at both ends; a pattern is exact, "*", "prefix*" or "*suffix"`;
  return undefined;
}
export function matchesPattern(pattern, value) {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

// The policy, or an Error naming the JSON path of the first problem.
export function parse(text) {
  let json;
  try { json = JSON.parse(text); } catch { throw new Error("(file): is not valid JSON"); }
  onlyKeys(json, "(top)", ["name", "allow_rules", "deny_rules"]);
  if (typeof json.name !== "string" || !json.name) throw new Error("name: is required (a non-empty string)");
  if (!("allow_rules" in json)) throw new Error("allow_rules: is required");
  const policy = { name: json.name, deny_rules: [], allow_rules: [] };
  for (const list of ["deny_rules", "allow_rules"]) {
    if (!(list in json)) continue;
    if (!Array.isArray(json[list])) throw new Error(`${list}: must be an array`);
    json[list].forEach((item, i) => {
      const where = `${list}[${i}]`;
      onlyKeys(item, where, ["name", "source", "request"]);
      if (typeof item.name !== "string" || !item.name) throw new Error(`${where}.name: is required`);
      const rule = { name: item.name, principals: undefined, paths: undefined };
      if ("source" in item) {
        onlyKeys(item.source, `${where}.source`, ["principals"]);
        if ("principals" in item.source) rule.principals = strings(item.source, "principals", `${where}.source`);
      }
      if ("request" in item) {
        onlyKeys(item.request, `${where}.request`, ["paths"]);
        if ("paths" in item.request) rule.paths = strings(item.request, "paths", `${where}.request`);
      }
      policy[list].push(rule);
    });
  }
  return policy;
}

const matches = (rule, identities, method) =>
  (!rule.principals || rule.principals.some((p) => identities.some((id) => matchesPattern(p, id)))) &&
  (!rule.paths || rule.paths.some((p) => matchesPattern(p, method)));

// { allowed, rule } for a caller known by `identities` calling `method`
// ("/package.Service/Method"): deny rules first, then allow rules.
export function evaluate(policy, identities, method) {
  for (const rule of policy.deny_rules) if (matches(rule, identities, method)) return { allowed: false, rule: rule.name };
  for (const rule of policy.allow_rules) if (matches(rule, identities, method)) return { allowed: true, rule: rule.name };
  return { allowed: false, rule: "" };
}

// Every method of every service in proto/, as "/package.Service/Method",
// keyed by "package.Service"; plus gRPC's health and reflection services,
// which both servers add.
export function protoServices() {
  const services = new Map([
    ["grpc.health.v1.Health", ["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"]],
    ["grpc.reflection.v1alpha.ServerReflection", ["/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"]],
  ]);
  const root = path.join(REPO, "proto");
  for (const d of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!d.isFile() || !d.name.endsWith(".proto")) continue;
    const src = readFileSync(path.join(d.parentPath ?? d.path, d.name), "utf8").replace(/\/\/.*$/gm, "");
    const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(src)?.[1];
    for (const s of src.matchAll(/\bservice\s+(\w+)\s*\{([\s\S]*?)\n\}/g)) {
      const full = pkg ? `${pkg}.${s[1]}` : s[1];
      services.set(full, [...s[2].matchAll(/\brpc\s+(\w+)\s*\(/g)].map((m) => `/${full}/${m[1]}`));
    }
  }
  return services;
}

// The services each server binary registers (besides health and reflection).
export const SERVES = {
  "catalog-service": ["reel.catalog.v1.CatalogService", "reel.admin.v1.AdminService"],
  "search-service": ["reel.search.v1.SearchService"],
};

// Every method path `binary` serves (reflection included: a policy may name
// it even where --noreflection turns it off).
export function servedMethods(binary) {
  const all = protoServices();
  return [...SERVES[binary], "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"].flatMap((s) => {
    if (!all.has(s)) throw new Error(`no service ${s} in proto/`);
    return all.get(s);
  });
}
