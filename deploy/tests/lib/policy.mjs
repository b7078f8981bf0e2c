// Reel's deployment policy: what a platform review of deploy/k8s insists on.
// check(objects) returns the violations of one rendered overlay as strings;
// an empty list means the overlay passes.
import { binaryFlags, durationSeconds, find, resolveContainer, workloads } from "./render.mjs";

const PART_OF = "app.kubernetes.io/part-of";
const MANAGED_BY = "app.kubernetes.io/managed-by";
const NAME = "app.kubernetes.io/name";
const INSTANCE = "app.kubernetes.io/instance";
const COMPONENT = "app.kubernetes.io/component";
const GRACE_MARGIN_SECONDS = 5;
// Which binary a container runs, from its image name.
const BINARY = { "catalog-service": "catalog-service", "search-service": "search-service" };

const selects = (selector, labels) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v) &&
  (selector?.matchExpressions ?? []).every((e) =>
    e.operator === "In" ? e.values.includes(labels?.[e.key]) :
    e.operator === "Exists" ? e.key in (labels ?? {}) : false);
const podLabels = (w) => w.spec.template.metadata?.labels ?? {};
const binaryOf = (c) => Object.keys(BINARY).find((b) => c.image?.split("/").pop().split(":")[0] === b);

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

  const ws = workloads(objects);
  for (const w of ws) {
    const pod = w.spec.template.spec;
    const pl = podLabels(w);
    for (const k of [NAME, INSTANCE, COMPONENT, PART_OF]) if (!pl[k]) add(w, `pod template lacks label ${k}`);
    if (!selects(w.spec.selector, pl)) add(w, "selector does not match its pod template");
    if (pod.automountServiceAccountToken !== false) add(w, "automountServiceAccountToken must be false");
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) add(w, "host namespaces are not allowed");
    const psc = pod.securityContext ?? {};
    const volumes = new Map((pod.volumes ?? []).map((x) => [x.name, x]));
    for (const t of w.spec.volumeClaimTemplates ?? []) {
      volumes.set(t.metadata.name, { name: t.metadata.name, persistentVolumeClaim: {} });
      if (t.metadata?.labels?.["app.kubernetes.io/version"])
        add(w, "volumeClaimTemplates carry app.kubernetes.io/version (immutable: the next release's apply fails)");
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
        if (m.subPath && volumes.get(m.name)?.secret) add(w, `${where}: Secret ${m.name} mounted with subPath (never updated; mount the directory)`);
      }
      const ports = new Set((c.ports ?? []).map((p) => p.containerPort));

      // Probes: native gRPC on a declared numeric port; startup for slow starts.
      // The kubelet's grpc probe speaks plaintext only, so a container serving
      // TLS (--tls_dir, components/tls) probes GET /readyz on its plaintext
      // metrics port instead. A tcpSocket probe only proves a port is bound
      // (a search replica would be Ready before its first snapshot): never.
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

      // Flags are ones the binary really has; $(VAR)s resolve; config via ConfigMap.
      let resolved;
      try { resolved = resolveContainer(objects, c); } catch (e) { add(w, `${where}: ${e.message}`); continue; }
      const binary = binaryOf(c);
      if (!binary) { add(w, `${where}: unknown image ${c.image}`); continue; }
      const flags = binaryFlags(binary);
      const args = new Map();
      for (const a of resolved.args) {
        const m = /^--([A-Za-z_][\w]*)(?:=(.*))?$/.exec(a);
        if (!m) { add(w, `${where}: arg ${a} is not --flag=value`); continue; }
        if (!flags.has(m[1])) add(w, `${where}: ${binary} has no flag --${m[1]}`);
        args.set(m[1], m[2]);
      }
      const listen = args.get("listen") ?? "";
      if (!listen || /^(127\.|localhost|\[::1\])/.test(listen)) add(w, `${where}: --listen must bind the pod IP, not loopback (${listen})`);
      const listenPort = Number(listen.split(":").pop());
      if (!ports.has(listenPort)) add(w, `${where}: --listen port ${listenPort} is not a containerPort`);
      const dataDir = args.get("data_dir");
      const mounts = (c.volumeMounts ?? []).filter((m) => !m.readOnly).map((m) => m.mountPath);
      if (!dataDir || !mounts.some((p) => dataDir === p || dataDir.startsWith(p.replace(/\/$/, "") + "/")))
        add(w, `${where}: --data_dir ${dataDir} is not on a writable volume (the root filesystem is read-only)`);

      // Shutdown: preStop before SIGTERM, grace covers preStop + drain.
      const preStop = c.lifecycle?.preStop;
      if (!preStop) add(w, `${where}: no preStop (endpoints must go before the drain starts)`);
      const sleep = preStop?.sleep?.seconds ?? 0;
      const drain = durationSeconds(args.get("drain_timeout") ?? "20s");
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      if (grace < sleep + drain + GRACE_MARGIN_SECONDS)
        add(w, `${where}: terminationGracePeriodSeconds ${grace} < preStop ${sleep}s + drain ${drain}s + ${GRACE_MARGIN_SECONDS}s`);
      if (w.kind === "StatefulSet") {
        const vct = (w.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name);
        const onPvc = (c.volumeMounts ?? []).some((m) => vct.includes(m.name) && dataDir?.startsWith(m.mountPath));
        if (!onPvc) add(w, `${where}: --data_dir must live on a volumeClaimTemplate`);
      }
    }
  }

  // Services: each selects some workload; a gRPC port with appProtocol.
  const services = objects.filter((o) => o.kind === "Service");
  for (const s of services) {
    if (!ws.some((w) => selects({ matchLabels: s.spec.selector }, podLabels(w)))) add(s, "selects no workload");
    for (const p of s.spec.ports ?? []) if (p.appProtocol !== "grpc") add(s, `port ${p.name} lacks appProtocol: grpc`);
  }
  const pdbFor = (w) => objects.filter((o) => o.kind === "PodDisruptionBudget" && selects(o.spec.selector, podLabels(w)));

  // Catalog: one-writer StatefulSet, headless + client Service, PDB maxUnavailable 1.
  const catalogs = ws.filter((w) => binaryOf(w.spec.template.spec.containers[0]) === "catalog-service");
  if (catalogs.length !== 1) v.push(`expected one catalog workload, found ${catalogs.length}`);
  for (const w of catalogs) {
    if (w.kind !== "StatefulSet") add(w, "the catalog must be a StatefulSet");
    if ((w.spec.replicas ?? 1) !== 1) add(w, "the catalog does not replicate: replicas must be 1");
    if (!(w.spec.volumeClaimTemplates ?? []).length) add(w, "no volumeClaimTemplates for RocksDB");
    const headless = services.find((s) => s.metadata.name === w.spec.serviceName);
    if (!headless || headless.spec.clusterIP !== "None") add(w, `serviceName ${w.spec.serviceName} is not a headless Service`);
    if (!services.some((s) => s.spec.clusterIP !== "None" && selects({ matchLabels: s.spec.selector }, podLabels(w))))
      add(w, "no client (ClusterIP) Service");
    const pdbs = pdbFor(w);
    if (pdbs.length !== 1 || pdbs[0].spec.maxUnavailable !== 1) add(w, "needs exactly one PodDisruptionBudget with maxUnavailable: 1");
  }

  // Search: HPA-owned Deployment (or StatefulSet), PDB, headless Service.
  const searches = ws.filter((w) => binaryOf(w.spec.template.spec.containers[0]) === "search-service");
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
