/**
 * Test fixture: one tuning worker process on a shared Postgres schema.
 * Usage: worker.ts URL SCHEMA STUDY N_TRIALS MODE(slow|hang) STALE_AFTER_MS
 * `slow` runs the quadratic with a short sleep; `hang` prints "claimed N" and never returns.
 */
import { openPostgres } from "../../db/mod.ts";
import { getObjective, loadStudy } from "../mod.ts";

const [url, schema, name, nTrials, mode, staleAfter] = Deno.args;
const db = openPostgres(url, { searchPath: schema });
const study = await loadStudy(db, name);
const quad = getObjective("quadratic");
await study.optimize(async (trial) => {
  if (mode === "hang") {
    trial.suggestSpace();
    console.log(`claimed ${trial.number}`);
    await new Promise(() => {}); // the heartbeat interval keeps the process alive until killed
  }
  await new Promise((r) => setTimeout(r, 5 + Math.random() * 15));
  return await quad.objective(trial);
}, {
  nTrials: Number(nTrials),
  staleAfterMs: Number(staleAfter),
  heartbeatMs: 50,
  onTrialFinished: (t) => console.log(`finished ${t.number} ${t.state}`),
});
await db.close();
