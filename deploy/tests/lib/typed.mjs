// The typed check: writes each object as a TypeScript object literal typed
// with kubernetes-models' interface for its kind and runs the compiler.
// Object-literal excess-property checks make a misspelled or misplaced field
// (imagePullPolicyy, spec.template.spec.container) an error, which the JSON
// schemas, open to extra properties, let through.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { modelFor } from "./schema.mjs";

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function typeErrors(objects, label) {
  const dir = path.join(HERE, ".typecheck", label);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lines = [];
  for (const [i, o] of objects.entries()) {
    const { module, iface } = await modelFor(o);
    lines.push(`import type { ${iface} as T${i} } from "${module}";`);
    lines.push(`// ${o.kind}/${o.metadata?.name}`);
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(o, null, 1)};`);
  }
  const file = path.join(dir, "objects.ts");
  writeFileSync(file, lines.join("\n") + "\n");
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 : 0;
    return `${path.basename(d.file?.fileName ?? "?")}:${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}
