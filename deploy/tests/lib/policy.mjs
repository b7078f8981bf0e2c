// Reel's deployment policy: what a platform review of deploy/k8s insists on.
// check(objects) returns the violations of one rendered overlay (or any
// rendered kustomization) as strings; an empty list means it passes.
import path from "node:path";
import { binaryFlags, durationSeconds, podTemplate, resolveContainer, selects, SERVER_KINDS, workloads } from "./render.mjs";
import { parse as parsePolicy, matchesPattern, servedMethods } from "./authz.mjs";
import { connectionAllowed, KUBE_DNS, ownPod } from "./netpol.mjs";

const PART_OF = "app.kubernetes.io/part-of";
const MANAGED_BY = "app.kubernetes.io/managed-by";
const NAME = "app.kubernetes.io/name";
const INSTANCE = "app.kubernetes.io/instance";
const COMPONENT = "app.kubernetes.io/component";
const GRACE_MARGIN_SECONDS = 5;
// What each image runs by default (its ENTRYPOINT) and what else it ships
// that a container may name in `command`: Reel's programs in
// /usr/local/bin, and the Debian base's coreutils in /bin (the restore Job
// uses mkdir and mv; there is no shell script anywhere).
const IMAGES = {
  "catalog-service": { entrypoint: "catalog-service", ships: ["/usr/local/bin/catalog-service", "/usr/local/bin/reelctl", "/bin/mkdir", "/bin/mv"] },
  "search-service": { entrypoint: "search-service", ships: ["/usr/local/bin/search-service", "/bin/mkdir", "/bin/mv"] },
};
const SERVERS = ["catalog-service", "search-service"];
// Flags naming a file or folder, which must be on a mounted volume (the root
// filesystem is read-only and holds none of them); the first group must be
// writable.
const WRITABLE_PATH_FLAGS = ["data_dir", "backup_dir"];
const PATH_FLAGS = [...WRITABLE_PATH_FLAGS, "restore_from", "tls_dir", "catalog_tls_dir", "authz_policy"];

const podLabels = (w) => podTemplate(w).metadata?.labels ?? {};
const imageOf = (c) => c.image?.split("/").pop().split(/[:@]/)[0];
const programOf = (c) => c.command?.length ? path.basename(c.command[0]) : IMAGES[imageOf(c)]?.entrypoint;
// The binary a server workload runs: its first container's program.
const binaryOf = (c) => SERVERS.find((b) => b === programOf(c));
// The volumeMount a path lives on: the one with the longest mountPath that
// contains it.
const mountFor = (c, p) => (c.volumeMounts ?? [])
  .filter((m) => p === m.mountPath || p?.startsWith(m.mountPath.replace(/\/$/, "") + "/"))
  .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];

export function check(objects) {
  const v = [];
  const add = (o, msg) => v.push(`${o.kind}/${o.metadata?.name}: ${msg}`);

  // Labels on everything.
  for (const o of objects) {
    const l = o.metadata?.labels ?? {};
    if (l[PART_OF] !== "reel") add(o, `missing label ${PART_OF}=reel`);
    if (!l[MANAGED_BY]) add(o, `missing label ${MANAGED_BY}`);
    if (!["Namespace", "ConfigMap", "NetworkPolicy"].includes(o.kind) && !o.metadata?.name?.endsWith("default-deny") &&
        !o.metadata?.name?.includes("clients") && (!l[NAME] || !l[INSTANCE]))
      add(o, `missing labels ${NAME} and ${INSTANCE}`);
  }

  const services = objects.filter((o) => o.kind === "Service");
  const pdbs = objects.filter((o) => o.kind === "PodDisruptionBudget");
  const ws = workloads(objects);
  const servers = ws.filter((w) => SERVER_KINDS.includes(w.kind));
  for (const w of ws) {
    const server = SERVER_KINDS.includes(w.kind);
    const pod = podTemplate(w).spec;
    const pl = podLabels(w);
    for (const k of [NAME, INSTANCE, COMPONENT, PART_OF]) if (!pl[k]) add(w, `pod template lacks label ${k}`);
    if (server && !selects(w.spec.selector, pl)) add(w, "selector does not match its pod template");
    if (pod.automountServiceAccountToken !== false) add(w, "automountServiceAccountToken must be false");
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) add(w, "host namespaces are not allowed");
    const psc = pod.securityContext ?? {};
    const volumes = new Map((pod.volumes ?? []).map((x) => [x.name, x]));
    const claimTemplates = new Set();
    for (const t of w.spec.volumeClaimTemplates ?? []) {
      volumes.set(t.metadata.name, { name: t.metadata.name, persistentVolumeClaim: {} });
      claimTemplates.add(t.metadata.name);
      if (t.metadata?.labels?.["app.kubernetes.io/version"])
        add(w, "volumeClaimTemplates carry app.kubernetes.io/version (immutable: the next release's apply fails)");
    }

    // Batch work: bounded in time and retries, never overlapping itself, and
    // never mistaken for a server (a Service or PDB selecting a Job's pods
    // would send it traffic or count it against the servers' budget).
    if (!server) {
      const job = w.kind === "CronJob" ? w.spec.jobTemplate.spec : w.spec;
      if (w.kind === "CronJob") {
        if (w.spec.concurrencyPolicy !== "Forbid") add(w, "concurrencyPolicy must be Forbid (a run must not start while the last one is still going)");
        if (!(w.spec.startingDeadlineSeconds > 0)) add(w, "no startingDeadlineSeconds (late runs start at any time, and after 100 missed runs the CronJob stops)");
      }
      if (!(job.activeDeadlineSeconds > 0)) add(w, "no activeDeadlineSeconds (a hung run would hold its pod forever)");
      if (!Number.isInteger(job.backoffLimit)) add(w, "backoffLimit must be set explicitly");
      if (!["Never", "OnFailure"].includes(pod.restartPolicy)) add(w, "restartPolicy must be Never or OnFailure");
      for (const s of services) if (selects({ matchLabels: s.spec.selector }, pl)) add(w, `Service ${s.metadata.name} selects its pods`);
      for (const p of pdbs) if (selects(p.spec.selector, pl)) add(w, `PodDisruptionBudget ${p.metadata.name} selects its pods`);
    }

    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const sc = { ...psc, ...c.securityContext };
      const where = `container ${c.name}`;
      if (sc.runAsNonRoot !== true) add(w, `${where}: runAsNonRoot must be true`);
      if (!Number.isInteger(sc.runAsUser) || sc.runAsUser === 0) add(w, `${where}: runAsUser must be a numeric non-root uid`);
      if (c.securityContext?.readOnlyRootFilesystem !== true) add(w, `${where}: readOnlyRootFilesystem must be true`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) add(w, `${where}: allowPrivilegeEscalation must be false`);
      if (c.securityContext?.privileged) add(w, `${where}: privileged`);
      if (!(c.securityContext?.capabilities?.drop ?? []).includes("ALL")) add(w, `${where}: capabilities must drop ALL`);
      if ((c.securityContext?.capabilities?.add ?? []).length) add(w, `${where}: adds capabilities`);
      if ((sc.seccompProfile?.type ?? "") !== "RuntimeDefault") add(w, `${where}: seccompProfile must be RuntimeDefault`);
      const r = c.resources ?? {};
      for (const k of ["cpu", "memory"]) {
        if (!r.requests?.[k]) add(w, `${where}: no ${k} request`);
        if (!r.limits?.[k]) add(w, `${where}: no ${k} limit`);
      }
      if (!c.image || c.image.endsWith(":latest") || !/:[^/]+$|@sha256:/.test(c.image)) add(w, `${where}: image must be pinned by tag or digest (${c.image})`);
      for (const m of c.volumeMounts ?? []) {
        if (!volumes.has(m.name)) add(w, `${where}: mounts unknown volume ${m.name}`);
        const vol = volumes.get(m.name);
        if (m.subPath && (vol?.secret || vol?.configMap || vol?.projected))
          add(w, `${where}: ${vol.secret ? "Secret" : vol.configMap ? "ConfigMap" : "projected volume"} ${m.name} mounted with subPath (never updated; mount the directory)`);
      }
      const ports = new Set((c.ports ?? []).map((p) => p.containerPort));

      // What runs: the image's entrypoint, or a program the image ships.
      const image = IMAGES[imageOf(c)];
      if (!image) { add(w, `${where}: unknown image ${c.image}`); continue; }
      if (c.command?.length && !image.ships.includes(c.command[0]))
        add(w, `${where}: image ${imageOf(c)} does not ship ${c.command[0]} (it has ${image.ships.join(", ")})`);
      const program = programOf(c);

      // Probes (servers): native gRPC on a declared numeric port; startup
      // for slow starts. The kubelet's grpc probe speaks plaintext only, so a
      // container serving TLS (--tls_dir, components/tls) probes GET /readyz
      // on its plaintext metrics port instead. A tcpSocket probe only proves
      // a port is bound (a search replica would be Ready before its first
      // snapshot): never. Batch containers run to completion: no probes.
      if (server) {
        const servesTls = (c.args ?? []).some((a) => a.startsWith("--tls_dir="));
        for (const kind of ["readinessProbe", "startupProbe"]) {
          const p = c[kind];
          if (!p) { add(w, `${where}: no ${kind}`); continue; }
          if (p.tcpSocket) { add(w, `${where}: ${kind} probes only a TCP port (use grpc, or with TLS httpGet /readyz)`); continue; }
          const http = servesTls && p.httpGet?.path === "/readyz" ? p.httpGet : undefined;
          const probe = p.grpc ?? http;
          if (!probe) add(w, `${where}: ${kind} must be a native grpc probe${servesTls ? " or, with TLS, httpGet /readyz on the metrics port" : ""}`);
          else if (!Number.isInteger(probe.port) || !ports.has(probe.port)) add(w, `${where}: ${kind} ${p.grpc ? "grpc" : "httpGet"} port must be a numeric containerPort`);
        }
        if (w.kind === "StatefulSet" && c.livenessProbe) add(w, `${where}: a livenessProbe could kill the database mid-recovery`);
      }

      // Flags are ones the program really has; $(VAR)s resolve; config via
      // ConfigMap. Base-image utilities (mkdir, mv) take their own options.
      let resolved;
      try { resolved = resolveContainer(objects, c); } catch (e) { add(w, `${where}: ${e.message}`); continue; }
      if (!["catalog-service", "search-service", "reelctl"].includes(program)) continue;
      const flags = binaryFlags(program);
      const args = new Map();
      for (const a of resolved.args) {
        // reelctl takes its command words (admin backup, films list) as
        // positional arguments, and accepts - for _ in flag names.
        if (program === "reelctl" && !a.startsWith("-")) continue;
        const m = /^--([A-Za-z_][\w-]*)(?:=(.*))?$/.exec(a);
        if (!m) { add(w, `${where}: arg ${a} is not --flag=value`); continue; }
        let name = program === "reelctl" ? m[1].replaceAll("-", "_") : m[1];
        let value = m[2];
        if (!flags.has(name) && value === undefined && name.startsWith("no") && flags.get(name.slice(2)) === "bool") {
          name = name.slice(2); value = "false";
        }
        if (!flags.has(name)) { add(w, `${where}: ${program} has no flag --${name}`); continue; }
        if (value === undefined) {
          if (flags.get(name) !== "bool") add(w, `${where}: --${name} needs a value (--${name}=...)`);
          value = "true";
        }
        args.set(name, value);
      }

      // Files and folders the flags name are on volumes, writable where the
      // program writes.
      for (const flag of PATH_FLAGS) {
        const p = args.get(flag);
        if (p === undefined || p === "") continue;
        const m = mountFor(c, p);
        if (!m) add(w, `${where}: --${flag} ${p} is not on a mounted volume (the root filesystem is read-only)`);
        else if (WRITABLE_PATH_FLAGS.includes(flag) && m.readOnly) add(w, `${where}: --${flag} ${p} is on read-only mount ${m.mountPath}`);
      }
      if (SERVERS.includes(program)) {
        const dataDir = args.get("data_dir");
        const dataMount = mountFor(c, dataDir);
        if (!dataDir || !dataMount || dataMount.readOnly)
          add(w, `${where}: --data_dir ${dataDir} is not on a writable volume (the root filesystem is read-only)`);
      }

      if (program === "reelctl") checkClientReach(objects, w, c, args, add);
      if (!server) continue;

      const listen = args.get("listen") ?? "";
      if (!listen || /^(127\.|localhost|\[::1\])/.test(listen)) add(w, `${where}: --listen must bind the pod IP, not loopback (${listen})`);
      const listenPort = Number(listen.split(":").pop());
      if (!ports.has(listenPort)) add(w, `${where}: --listen port ${listenPort} is not a containerPort`);

      // Shutdown: preStop before SIGTERM, grace covers preStop + drain.
      const preStop = c.lifecycle?.preStop;
      if (!preStop) add(w, `${where}: no preStop (endpoints must go before the drain starts)`);
      const sleep = preStop?.sleep?.seconds ?? 0;
      const drain = durationSeconds(args.get("drain_timeout") ?? "20s");
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      if (grace < sleep + drain + GRACE_MARGIN_SECONDS)
        add(w, `${where}: terminationGracePeriodSeconds ${grace} < preStop ${sleep}s + drain ${drain}s + ${GRACE_MARGIN_SECONDS}s`);
      if (w.kind === "StatefulSet") {
        const dataMount = mountFor(c, args.get("data_dir"));
        if (!dataMount || !claimTemplates.has(dataMount.name)) add(w, `${where}: --data_dir must live on a volumeClaimTemplate`);
        // Backups on a volume of their own: whatever loses or corrupts the
        // data volume must not take the backups with it.
        const backupDir = args.get("backup_dir");
        if (backupDir) {
          const backupMount = mountFor(c, backupDir);
          if (!backupMount || !claimTemplates.has(backupMount.name)) add(w, `${where}: --backup_dir ${backupDir} must live on a volumeClaimTemplate`);
          else if (backupMount.name === dataMount?.name) add(w, `${where}: --backup_dir ${backupDir} is on the same volume (${backupMount.name}) as --data_dir`);
        }
      }
      checkAuthz(objects, w, c, args, volumes, program, add);
    }
  }

  // Services: each selects some server; a gRPC port with appProtocol.
  for (const s of services) {
    if (!servers.some((w) => selects({ matchLabels: s.spec.selector }, podLabels(w)))) add(s, "selects no workload");
    for (const p of s.spec.ports ?? []) if (p.appProtocol !== "grpc") add(s, `port ${p.name} lacks appProtocol: grpc`);
  }
  const pdbFor = (w) => pdbs.filter((o) => selects(o.spec.selector, podLabels(w)));

  // The rest is about the servers of a whole overlay; a kustomization of
  // batch work only (deploy/k8s/restore) has none.
  if (!servers.length) {
    for (const o of objects) if (o.kind === "ServiceAccount" && o.automountServiceAccountToken !== false)
      add(o, "automountServiceAccountToken must be false");
    return v;
  }

  // Catalog: one-writer StatefulSet, headless + client Service, PDB maxUnavailable 1.
  const catalogs = servers.filter((w) => binaryOf(w.spec.template.spec.containers[0]) === "catalog-service");
  if (catalogs.length !== 1) v.push(`expected one catalog workload, found ${catalogs.length}`);
  for (const w of catalogs) {
    if (w.kind !== "StatefulSet") add(w, "the catalog must be a StatefulSet");
    if ((w.spec.replicas ?? 1) !== 1) add(w, "the catalog does not replicate: replicas must be 1");
    if (!(w.spec.volumeClaimTemplates ?? []).length) add(w, "no volumeClaimTemplates for RocksDB");
    const headless = services.find((s) => s.metadata.name === w.spec.serviceName);
    if (!headless || headless.spec.clusterIP !== "None") add(w, `serviceName ${w.spec.serviceName} is not a headless Service`);
    if (!services.some((s) => s.spec.clusterIP !== "None" && selects({ matchLabels: s.spec.selector }, podLabels(w))))
      add(w, "no client (ClusterIP) Service");
    const own = pdbFor(w);
    if (own.length !== 1 || own[0].spec.maxUnavailable !== 1) add(w, "needs exactly one PodDisruptionBudget with maxUnavailable: 1");
  }

  // Search: HPA-owned Deployment (or StatefulSet), PDB, headless Service.
  const searches = servers.filter((w) => binaryOf(w.spec.template.spec.containers[0]) === "search-service");
  if (searches.length !== 1) v.push(`expected one search workload, found ${searches.length}`);
  for (const w of searches) {
    const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler" &&
      o.spec.scaleTargetRef.kind === w.kind && o.spec.scaleTargetRef.name === w.metadata.name);
    if (!hpa) add(w, "no HorizontalPodAutoscaler");
    else {
      if ("replicas" in w.spec) add(w, "spec.replicas is set although the HPA owns the count (every apply would reset it)");
      if (!(hpa.spec.minReplicas >= 1 && hpa.spec.maxReplicas >= hpa.spec.minReplicas)) add(hpa, "bad replica bounds");
    }
    if (!pdbFor(w).length) add(w, "no PodDisruptionBudget");
    if (!services.some((s) => s.spec.clusterIP === "None" && selects({ matchLabels: s.spec.selector }, podLabels(w))))
      add(w, "no headless Service for client-side round_robin");
  }

  // NetworkPolicy: default deny both ways; the catalog's gRPC port reachable
  // only from search and from labelled clients.
  const nps = objects.filter((o) => o.kind === "NetworkPolicy");
  const deny = nps.find((n) => Object.keys(n.spec.podSelector ?? {}).length === 0 &&
    ["Ingress", "Egress"].every((t) => n.spec.policyTypes?.includes(t)) && !n.spec.ingress?.length && !n.spec.egress?.length);
  if (!deny) v.push("no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)");
  const searchLabels = searches[0] ? podLabels(searches[0]) : {};
  for (const w of catalogs) {
    const applying = nps.filter((n) => selects(n.spec.podSelector, podLabels(w)) && n.spec.policyTypes?.includes("Ingress"));
    if (!applying.length) add(w, "no ingress NetworkPolicy selects the catalog");
    // The metrics port may admit a scraper; every other port (gRPC) only
    // search and labelled clients.
    const metricsPorts = new Set((w.spec.template.spec.containers ?? []).flatMap((c) =>
      (c.ports ?? []).filter((p) => p.name === "metrics").map((p) => p.containerPort)));
    for (const n of applying) for (const rule of n.spec.ingress ?? []) {
      if (rule.ports?.length && rule.ports.every((p) => metricsPorts.has(p.port))) continue;
      if (!rule.from?.length) { add(n, "an ingress rule without `from` admits everyone to the catalog"); continue; }
      for (const peer of rule.from) {
        const ok = (peer.podSelector && !peer.namespaceSelector && selects(peer.podSelector, searchLabels) &&
                    Object.keys(peer.podSelector.matchLabels ?? {}).length > 0) ||
                   peer.podSelector?.matchLabels?.["reel-catalog-client"] === "true";
        if (!ok) add(n, `catalog ingress peer ${JSON.stringify(peer)} is neither search nor a labelled client`);
      }
    }
  }
  for (const o of objects) if (o.kind === "ServiceAccount" && o.automountServiceAccountToken !== false)
    add(o, "automountServiceAccountToken must be false");
  return v;
}

// A client (reelctl) in a Job or CronJob must be able to reach what it
// dials: --catalog / --search name a Service and port; the NetworkPolicies
// must let the pod out to the Service's pods on the target port, let those
// pods admit it, and let it ask DNS for the name.
function checkClientReach(objects, w, c, args, add) {
  const where = `container ${c.name}`;
  const me = ownPod(objects, podLabels(w));
  for (const flag of ["catalog", "search"]) {
    const address = args.get(flag);
    if (!address) continue;
    const m = /^(?:dns:\/\/\/)?([^:/]+):(\d+)$/.exec(address);
    if (!m) { add(w, `${where}: --${flag}=${address} is not HOST:PORT`); continue; }
    const host = m[1].split(".")[0], port = Number(m[2]);
    const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === host);
    if (!svc) { add(w, `${where}: --${flag}=${address}: no Service ${host}`); continue; }
    const sp = (svc.spec.ports ?? []).find((p) => p.port === port);
    if (!sp) { add(w, `${where}: --${flag}=${address}: Service ${host} has no port ${port}`); continue; }
    const backends = workloads(objects).filter((x) => SERVER_KINDS.includes(x.kind) && selects({ matchLabels: svc.spec.selector }, podLabels(x)));
    if (!backends.length) add(w, `${where}: --${flag}=${address}: Service ${host} selects no server`);
    for (const b of backends) {
      const target = sp.targetPort ?? sp.port;
      const cp = podTemplate(b).spec.containers.flatMap((x) => x.ports ?? []).find((p) => p.name === target || p.containerPort === target);
      if (!cp) { add(w, `${where}: Service ${host} port ${port} targets ${target}, which ${b.metadata.name} does not declare`); continue; }
      if (!connectionAllowed(objects, me, ownPod(objects, podLabels(b)), cp.containerPort))
        add(w, `${where}: the NetworkPolicies do not let it reach ${b.kind}/${b.metadata.name} port ${cp.containerPort} (--${flag}=${address})`);
    }
    if (!connectionAllowed(objects, me, KUBE_DNS, 53, "UDP"))
      add(w, `${where}: the NetworkPolicies do not let it resolve ${host} (no DNS egress)`);
  }
}

// Authorization as the server will see it at start-up: --require_authz
// needs mutual TLS and a policy; the policy file comes from a ConfigMap
// mounted as a directory, parses, and names only methods the server serves
// (a misspelt path would silently deny a role).
function checkAuthz(objects, w, c, args, volumes, program, add) {
  const where = `container ${c.name}`;
  const file = args.get("authz_policy");
  const tls = args.get("tls_dir");
  if (args.get("require_authz") === "true" && (!tls || !file))
    add(w, `${where}: --require_authz without ${!tls ? "--tls_dir" : "--authz_policy"} (the server refuses to start)`);
  if (!file) return;
  if (!tls) add(w, `${where}: --authz_policy without --tls_dir (no client identities; the server refuses to start)`);
  const m = mountFor(c, file);
  if (!m || m.subPath) return; // reported with the path flags and the mounts
  const source = volumes.get(m.name)?.configMap;
  if (!source) { add(w, `${where}: --authz_policy ${file} is not in a mounted ConfigMap`); return; }
  const rel = path.posix.relative(m.mountPath, file);
  const key = source.items ? source.items.find((i) => i.path === rel)?.key : rel;
  const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === source.name);
  if (!cm) { add(w, `${where}: --authz_policy: ConfigMap ${source.name} is not rendered`); return; }
  const text = key === undefined ? undefined : cm.data?.[key];
  if (text === undefined) { add(w, `${where}: --authz_policy: ConfigMap ${source.name} has no key for ${rel}`); return; }
  let policy;
  try { policy = parsePolicy(text); } catch (e) { add(w, `${where}: authorization policy ${source.name}/${key}: ${e.message}`); return; }
  const methods = servedMethods(program);
  for (const rule of [...policy.deny_rules, ...policy.allow_rules]) for (const p of rule.paths ?? [])
    if (!methods.some((method) => matchesPattern(p, method))) add(w, `${where}: authorization policy rule ${rule.name}: path ${p} matches no method ${program} serves`);
}
