// Validates rendered objects against the Kubernetes OpenAPI schemas that
// npm's kubernetes-models ships (v4.5: Kubernetes 1.32 APIs).
export async function modelFor(o) {
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : [null, o.apiVersion];
  const spec = group ? `kubernetes-models/${group}/${version}/${o.kind}` : `kubernetes-models/${version}/${o.kind}`;
  let mod;
  try { mod = await import(spec); } catch { throw new Error(`no schema for ${o.apiVersion} ${o.kind}`); }
  return { Model: mod[o.kind], module: spec, iface: `I${o.kind}` };
}

export async function validate(o) {
  const { Model } = await modelFor(o);
  new Model(o).validate();
}
