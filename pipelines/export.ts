/**
 * `deno task export -- --model fmnist@champion --out model.onnx`: write a registered version's
 * ONNX export to a file. A version registered before exports existed is exported now from its
 * tfjs artifact, checked on the whole test split of its dataset and attached first.
 */
import { z } from "zod";
import { initEngine } from "../lib/engine/mod.ts";
import { OnnxEquivalenceError } from "../lib/models/mod.ts";
import { type Ctx } from "../lib/workspace/mod.ts";
import { runCommand } from "../lib/pipeline/mod.ts";
import {
  getModelVersion,
  loadOnnxBytes,
  ModelRefSchema,
  RegistryInputError,
  RegistryNotFoundError,
} from "../lib/registry/mod.ts";
import { attachVersionOnnx } from "../lib/train/mod.ts";

const USAGE = `usage: deno task export --model NAME[@VERSION|@ALIAS] --out FILE [--json]

Write the ONNX export (opset 13, NHWC float input "image" [batch, 28, 28, 1] normalized as the
model's signature says, softmax output "probabilities" [batch, 10], metadata) of a registered
model version. A version without an export gets one first: exported from its tfjs artifact,
checked against it on the full test split (max |Δp| ≤ 1e-5, identical arg-max) and attached.

  --model REF        NAME@VERSION, NAME@ALIAS or NAME (= NAME@champion), e.g. fmnist@champion
  --out FILE         where to write the .onnx file
  --json             print a JSON summary (default: one line for people)
  --state-dir DIR    state directory (default FMNIST_STATE_DIR or .fmnist)
  -h, --help         show this help`;

const flagsSchema = z.object({
  model: ModelRefSchema,
  out: z.string().trim().min(1, "must not be empty"),
  json: z.boolean().optional(),
  "state-dir": z.string().trim().min(1).optional(),
  help: z.boolean().optional(),
});

/** Export the model `flags.model` names to `flags.out`; returns the exit code. */
async function exportModel(ctx: Ctx, flags: z.infer<typeof flagsSchema>): Promise<number> {
  const { name, ref } = flags.model;
  try {
    const mv = await getModelVersion(ctx, name, ref);
    let attached = false;
    if (!mv.onnxSha256) {
      await initEngine(ctx.settings);
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
    if (flags.json) {
      console.log(JSON.stringify(summary));
    } else {
      const e = onnx.equivalence;
      console.log(
        `${name} v${mv.version} → ${flags.out} (${onnx.size} bytes, opset ${onnx.opset}, sha256 ` +
          `${onnx.sha256.slice(0, 12)}${attached ? ", exported now" : ""}); equivalent to tfjs ` +
          `on ${e.images} test images: max |Δp| ${e.maxAbsDiff.toExponential(1)}, ` +
          `${e.argmaxMismatches} arg-max mismatches`,
      );
    }
    return 0;
  } catch (err) {
    if (
      err instanceof RegistryNotFoundError || err instanceof RegistryInputError ||
      err instanceof OnnxEquivalenceError
    ) {
      console.error(`export: ${err.message}`);
      return err instanceof OnnxEquivalenceError ? 1 : 2;
    }
    throw err;
  }
}

/** Run the CLI; returns the exit code (2 usage/unknown model, 1 failure). */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  // `deno task export -- --model …` passes the `--` through; it only separates task arguments.
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  return runCommand(
    {
      name: "export",
      usage: USAGE,
      flags: {
        model: { type: "string" },
        out: { type: "string" },
        json: { type: "boolean" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      run: (ctx, flags) => exportModel(ctx, flags),
    },
    args,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
