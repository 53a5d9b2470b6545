/**
 * `deno task predict:batch` end to end on the real dataset with a seeded model: an interrupted
 * run resumes (finished chunks are not rewritten), a rerun skips everything, a different job in
 * the same folder is refused, and a folder of images (one corrupt) gives Parquet rows.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import pl from "nodejs-polars";
import { parseSettings } from "../lib/config/mod.ts";
import { gunzip, ingest, readIdx } from "../lib/data/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { predictBatch } from "../lib/inference/mod.ts";
import { garmentPhotoJpeg } from "../lib/inference/photos_testing.ts";
import { registerSeededModel } from "../lib/inference/testing.ts";
import { createLogger } from "../lib/log/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { main } from "./predict_batch.ts";

const SOURCE = "/usr/share/datasets/fashion-mnist";

test("predict:batch: resumable chunks over a dataset split; image folders", async () => {
  await initEngine({ backend: "wasm" });
  const state = await Deno.makeTempDir({ prefix: "fmnist-pb-" });
  const env = { FMNIST_STATE_DIR: state, FMNIST_SOURCE: SOURCE, LOG_LEVEL: "error" };
  const out = join(state, "out");
  try {
    const ctx = await openContext(parseSettings(env), {
      manifestDir: join(state, "manifests"),
      log: createLogger({}, { level: "error", sink: () => {} }),
    });
    try {
      await ingest(ctx);
      await registerSeededModel(ctx, "fmnist", 5, "champion");
      let chunks = 0;
      await assert.rejects(
        predictBatch(ctx, {
          model: "fmnist",
          input: { kind: "dataset", split: "test" },
          outDir: out,
          format: "csv",
          chunkSize: 200,
          limit: 500,
          onChunk: () => {
            if (++chunks === 1) throw new Error("interrupted");
          },
        }),
        /interrupted/,
      );
    } finally {
      await ctx.close();
    }
    const progress = JSON.parse(await Deno.readTextFile(join(out, "progress.json")));
    assert.equal(progress.done.length, 1);
    assert.equal(progress.complete, false);
    const first = await Deno.stat(join(out, "chunk-00000.csv"));

    const args = ["--limit", "500", "--chunk-size", "200", "--format", "csv", "--out", out];
    assert.equal(await main(args, env), 0);
    const after = JSON.parse(await Deno.readTextFile(join(out, "progress.json")));
    assert.equal(after.complete, true);
    assert.deepEqual(after.done.map((d: { rows: number }) => d.rows), [200, 200, 100]);
    assert.equal(
      (await Deno.stat(join(out, "chunk-00000.csv"))).mtime?.getTime(),
      first.mtime?.getTime(),
    );
    const df = pl.concat([0, 1, 2].map((c) => pl.readCSV(join(out, `chunk-0000${c}.csv`))));
    assert.equal(df.height, 500);
    const labels = await readIdx(
      await gunzip(await Deno.readFile(`${SOURCE}/t10k-labels-idx1-ubyte.gz`)),
    );
    assert.deepEqual(
      df.getColumn("true_label").toArray(),
      Array.from(labels.data.subarray(0, 500)),
    );
    const rows = df.toRecords() as Record<string, number>[];
    for (const r of rows.slice(0, 50)) {
      const p = Array.from({ length: 10 }, (_, k) => r[`p${k}`]);
      assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-4);
      assert.equal(r.class_id, p.indexOf(Math.max(...p)));
    }
    // A rerun skips every chunk; another job in the same folder is refused.
    const mtime1 = (await Deno.stat(join(out, "chunk-00001.csv"))).mtime?.getTime();
    assert.equal(await main(args, env), 0);
    assert.equal((await Deno.stat(join(out, "chunk-00001.csv"))).mtime?.getTime(), mtime1);
    assert.equal(await main([...args.slice(0, 4), "--format", "parquet", "--out", out], env), 2);

    // ONNX Runtime and tfjs write the same predictions (the CLI follows FMNIST_INFER_RUNTIME).
    const runs: Record<string, number>[][] = [];
    for (const rt of ["onnx", "tfjs"]) {
      const o = join(state, `rt-${rt}`);
      assert.equal(
        await main(["--limit", "300", "--out", o], { ...env, FMNIST_INFER_RUNTIME: rt }),
        0,
      );
      runs.push(
        pl.readParquet(join(o, "chunk-00000.parquet")).toRecords() as Record<string, number>[],
      );
    }
    assert.equal(runs[0].length, 300);
    runs[0].forEach((r, i) => {
      assert.equal(r.class_id, runs[1][i].class_id);
      for (let k = 0; k < 10; k++) assert.ok(Math.abs(r[`p${k}`] - runs[1][i][`p${k}`]) <= 1e-5);
    });
    assert.equal(
      await main(["--limit", "3", "--out", join(state, "rt-x")], {
        ...env,
        FMNIST_INFER_RUNTIME: "gpu",
      }),
      2,
    );

    // A folder of images: two photos and one corrupt file.
    const dir = join(state, "photos");
    await Deno.mkdir(dir);
    const imgs = readIdx(await gunzip(await Deno.readFile(`${SOURCE}/t10k-images-idx3-ubyte.gz`)));
    for (let i = 0; i < 2; i++) {
      await Deno.writeFile(
        join(dir, `p${i}.jpg`),
        garmentPhotoJpeg(imgs.data.slice(i * 784, (i + 1) * 784), { seed: i }),
      );
    }
    await Deno.writeTextFile(join(dir, "z-broken.png"), "not really a png");
    const out2 = join(state, "out2");
    assert.equal(await main(["--images", dir, "--out", out2], env), 0);
    const pq = pl.readParquet(join(out2, "chunk-00000.parquet"));
    assert.deepEqual(pq.getColumn("id").toArray(), ["p0.jpg", "p1.jpg", "z-broken.png"]);
    const errs = pq.getColumn("error").toArray() as string[];
    assert.equal(errs[0], "");
    assert.match(errs[2], /not a PNG or JPEG/);
    assert.equal(pq.getColumn("class_id").toArray()[2], -1);
    assert.equal(
      await main(["--images", join(state, "nope"), "--out", join(state, "out3")], env),
      1,
    );
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});
