// Whether the rendered NetworkPolicies let one pod connect to another, as a
// NetworkPolicy implementation decides it. A pod is { labels, namespace,
// namespaceLabels }; every rendered policy lives in the overlay's namespace,
// so it isolates only pods of that namespace, and a peer without a
// namespaceSelector means that namespace.
import { selects } from "./render.mjs";

function peerSelects(peer, pod, policyNamespace) {
  if (peer.ipBlock) return false;
  const namespaceOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, pod.namespaceLabels)
    : pod.namespace === policyNamespace;
  return namespaceOk && (!peer.podSelector || selects(peer.podSelector, pod.labels));
}

const portAllows = (ports, port, protocol) => !ports?.length || ports.some((p) =>
  (p.protocol ?? "TCP") === protocol &&
  (p.port === undefined || p.port === port || (p.endPort !== undefined && port >= p.port && port <= p.endPort)));

const types = (n) => n.spec.policyTypes ?? ["Ingress", ...(n.spec.egress ? ["Egress"] : [])];

function allowed(objects, direction, subject, other, port, protocol) {
  const field = direction === "Egress" ? "egress" : "ingress";
  const peers = direction === "Egress" ? "to" : "from";
  const applying = objects.filter((o) => o.kind === "NetworkPolicy" && types(o).includes(direction) &&
    (o.metadata.namespace ?? "") === subject.namespace && selects(o.spec.podSelector, subject.labels));
  if (!applying.length) return true; // not isolated in this direction
  return applying.some((n) => (n.spec[field] ?? []).some((rule) =>
    portAllows(rule.ports, port, protocol) &&
    (!rule[peers]?.length || rule[peers].some((peer) => peerSelects(peer, other, n.metadata.namespace ?? "")))));
}

// Both ends agree: the source may send (egress) and the destination may
// receive (ingress) on the destination's port.
export function connectionAllowed(objects, from, to, port, protocol = "TCP") {
  return allowed(objects, "Egress", from, to, port, protocol) && allowed(objects, "Ingress", to, from, port, protocol);
}

// A pod of the overlay's namespace with these labels.
export function ownPod(objects, labels) {
  const ns = objects.find((o) => o.kind === "Namespace");
  const namespace = ns?.metadata.name ?? objects.find((o) => o.metadata?.namespace)?.metadata.namespace ?? "";
  return { labels, namespace, namespaceLabels: { ...(ns?.metadata.labels ?? {}), "kubernetes.io/metadata.name": namespace } };
}

// The cluster's DNS server, as the usual kube-dns/CoreDNS Deployment labels it.
export const KUBE_DNS = {
  labels: { "k8s-app": "kube-dns" }, namespace: "kube-system",
  namespaceLabels: { "kubernetes.io/metadata.name": "kube-system" },
};
