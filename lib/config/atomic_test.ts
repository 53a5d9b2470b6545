import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { atomicWriteFile } from "./mod.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-atomic-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

test("atomicWriteFile writes text and bytes, creates parents, replaces, leaves no temp file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a", "b", "file.json");
    await atomicWriteFile(path, '{"v":1}');
    assert.equal(await Deno.readTextFile(path), '{"v":1}');
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    await atomicWriteFile(path, big);
    assert.deepEqual(await Deno.readFile(path), big);
    await atomicWriteFile(path, "");
    assert.equal(await Deno.readTextFile(path), "");
    assert.deepEqual(await names(join(dir, "a", "b")), ["file.json"]);
  });
});

test("atomicWriteFile: a failed rename keeps the old target and removes the temp file", async () => {
  await withTempDir(async (dir) => {
    // The target is a non-empty directory: rename(2) fails after the temp file was written.
    const target = join(dir, "target");
    await Deno.mkdir(target);
    await Deno.writeTextFile(join(target, "keep"), "old");
    await assert.rejects(atomicWriteFile(target, "new"));
    assert.deepEqual(await names(dir), ["target"]);
    assert.equal(await Deno.readTextFile(join(target, "keep")), "old");
  });
});

test("atomicWriteFile: concurrent readers see the old or the new content, never a mix", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "f.bin");
    const size = 256 * 1024;
    const versions = [1, 2, 3, 4].map((v) => new Uint8Array(size).fill(v));
    await atomicWriteFile(path, versions[0]);
    let writing = true;
    const reader = (async () => {
      let reads = 0;
      while (writing || reads < 3) {
        const got = await Deno.readFile(path);
        assert.equal(got.length, size, "a reader saw a partial file");
        assert.ok(got.every((b) => b === got[0]), "a reader saw mixed versions");
        reads++;
      }
    })();
    for (const v of versions.slice(1)) await atomicWriteFile(path, v);
    writing = false;
    await reader;
    assert.equal((await Deno.readFile(path))[0], 4);
  });
});

const strace = await new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

// CI installs strace (.ci/run); without it this durability check cannot observe syscalls.
test("atomicWriteFile fsyncs the file, then renames, then fsyncs the directory (strace)", {
  skip: !strace,
}, async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "durable.txt");
    const mod = fileURLToPath(new URL("./atomic.ts", import.meta.url));
    const script = join(dir, "write.ts");
    await Deno.writeTextFile(
      script,
      `import { atomicWriteFile } from ${JSON.stringify(mod)};\n` +
        `await atomicWriteFile(${JSON.stringify(target)}, "hello");\n`,
    );
    const out = await new Deno.Command("strace", {
      // -y prints the path behind each fd; only the calls that make a write durable.
      args: [
        "-f",
        "-y",
        "-e",
        "trace=fsync,fdatasync,rename,renameat,renameat2",
        Deno.execPath(),
        "run",
        "-A",
        "--no-config",
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const trace = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, trace.slice(-2000));
    assert.equal(await Deno.readTextFile(target), "hello");
    const lines = trace.split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l) && !/= -1/.test(l));
    const esc = dir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    const fileSync = at(new RegExp(`f(data)?sync\\(\\d+<${esc}/\\.[0-9a-f-]+\\.tmp>\\)`));
    const rename = at(new RegExp(`rename(at2?)?\\(.*${esc}/\\.[0-9a-f-]+\\.tmp.*durable\\.txt`));
    const dirSync = at(new RegExp(`f(data)?sync\\(\\d+<${esc}>\\)`));
    assert.ok(fileSync >= 0, `no fsync of the temp file in:\n${trace.slice(-3000)}`);
    assert.ok(rename > fileSync, "the temp file must be fsynced before the rename");
    assert.ok(dirSync > rename, `no fsync of ${dir} after the rename in:\n${trace.slice(-3000)}`);
  });
});
