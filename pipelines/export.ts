/**
 * `deno task export -- --model fmnist@champion --out model.onnx`: write a registered version's
 * ONNX export to a file. A version registered before exports existed is exported now from its
 * tfjs artifact, checked on the whole test split of its dataset and attached first.
 */
import { z } from "zod";
import { initEngine } from "../lib/engine/mod.ts";
import { OnnxEquivalenceError } from "../lib/models/mod.ts";
import type { Ctx } from "../lib/workspace/mod.ts";
import { commandMain, defineCommand, nonEmpty, type Output, stateDirFlag } from "../lib/cli/mod.ts";
import {
  getModelVersion,
  loadOnnxBytes,
  ModelRefSchema,
  RegistryInputError,
  RegistryNotFoundError,
} from "../lib/registry/mod.ts";
import { attachVersionOnnx } from "../lib/train/mod.ts";

const flagsSchema = z.object({
  model: ModelRefSchema.meta({
    description: "NAME@VERSION, NAME@ALIAS or NAME (= NAME@champion), e.g. fmnist@champion",
    arg: "REF",
  }),
  out: nonEmpty().meta({ description: "where to write the .onnx file", arg: "FILE" }),
  ...stateDirFlag,
});

/** Export the model `flags.model` names to `flags.out` and report it. */
async function exportModel(
  ctx: Ctx,
  flags: z.infer<typeof flagsSchema>,
  out: Output,
): Promise<void> {
  const { name, ref } = flags.model;
  const mv = await getModelVersion(ctx, name, ref);
  let attached = false;
  if (!mv.onnxSha256) {
    await initEngine(ctx.settings, ctx.log);
    await attachVersionOnnx(ctx, { name, version: mv.version });
    attached = true;
  }
  const { onnx, bytes } = await loadOnnxBytes(ctx, name, mv.version);
  await Deno.writeFile(flags.out, bytes);
  const summary = {
    model: name,
    version: mv.version,
    out: flags.out,
    sha256: onnx.sha256,
    size: onnx.size,
    opset: onnx.opset,
    exportedNow: attached,
    equivalence: onnx.equivalence,
  };
  out.result(summary, () => {
    const e = onnx.equivalence;
    return (
      `${name} v${mv.version} → ${flags.out} (${onnx.size} bytes, opset ${onnx.opset}, sha256 ` +
      `${onnx.sha256.slice(0, 12)}${attached ? ", exported now" : ""}); equivalent to tfjs ` +
      `on ${e.images} test images: max |Δp| ${e.maxAbsDiff.toExponential(1)}, ` +
      `${e.argmaxMismatches} arg-max mismatches`
    );
  });
}

export const command = defineCommand({
  name: "export",
  summary: 'Write the ONNX export (opset 13, NHWC float input "image" [batch, 28, 28, 1] ' +
    'normalized as the model\'s signature says, softmax output "probabilities" [batch, 10], ' +
    "metadata) of a registered model version.",
  description: "A version without an export gets one first: exported from its tfjs artifact, " +
    "checked against it on the full test split (max |Δp| ≤ 1e-5, identical arg-max) and attached.",
  schema: flagsSchema,
  json: true,
  exitCodes: [[RegistryNotFoundError, 2], [RegistryInputError, 2], [OnnxEquivalenceError, 1]],
  run: async ({ flags, open, out }) => exportModel(await open(), flags, out),
});

/** Run the CLI; returns the exit code (2 usage/unknown model, 1 failure). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
