// Prints what the kubelet would start for one workload of one overlay, as
// shell-readable lines, for scripts/test-images.sh:
//   node lib/podspec-cli.mjs OVERLAY KIND NAME
// ARG <arg> (one per arg, $(VAR) resolved), USER uid:gid, PORT n,
// PROBE_SERVICE name, GRACE seconds, PRESTOP_SLEEP seconds,
// MOUNT path (one per volumeMount), READONLY_ROOT true|false, DROP_ALL true|false
import { render, find, resolveContainer } from "./render.mjs";

const [overlay, kind, name] = process.argv.slice(2);
const objects = render(overlay);
const w = find(objects, kind, name);
const pod = w.spec.template.spec;
const c = pod.containers[0];
const { args } = resolveContainer(objects, c);
const sc = { ...pod.securityContext, ...c.securityContext };
const out = [];
for (const a of args) out.push(`ARG ${a}`);
out.push(`USER ${sc.runAsUser}:${sc.runAsGroup}`);
out.push(`PORT ${c.ports[0].containerPort}`);
out.push(`PROBE_SERVICE ${c.readinessProbe.grpc.service ?? ""}`);
out.push(`PROBE_PORT ${c.readinessProbe.grpc.port}`);
out.push(`STARTUP_PERIOD ${c.startupProbe.periodSeconds}`);
out.push(`STARTUP_FAILURES ${c.startupProbe.failureThreshold}`);
out.push(`GRACE ${pod.terminationGracePeriodSeconds}`);
out.push(`PRESTOP_SLEEP ${c.lifecycle?.preStop?.sleep?.seconds ?? 0}`);
for (const m of c.volumeMounts ?? []) out.push(`MOUNT ${m.mountPath}`);
out.push(`READONLY_ROOT ${sc.readOnlyRootFilesystem === true}`);
out.push(`DROP_ALL ${JSON.stringify(sc.capabilities?.drop ?? []) === '["ALL"]'}`);
console.log(out.join("\n"));
