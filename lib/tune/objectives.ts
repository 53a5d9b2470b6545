/**
 * The objective registry: named objectives that `deno task tune --objective NAME` (and worker
 * processes, which resolve the name stored with the study) can run. Built-ins are the standard
 * test functions plus two exercising int/log/categorical parameters and pruning; other stages
 * add theirs with {@link registerObjective} (e.g. a `cnn` objective that trains a model).
 */
import { TEST_FUNCTIONS } from "./functions.ts";
import type { SearchSpaceInput } from "./space.ts";
import type { Objective } from "./study.ts";
import { TrialPruned } from "./trial.ts";
import type { Direction } from "./types.ts";
import { TuneInputError } from "./errors.ts";

/** A named objective. */
export interface ObjectiveDef {
  name: string;
  /** One line for `--help`. */
  description: string;
  direction: Direction;
  /** Declared search space (stored with the study; needed by the grid sampler). */
  space?: SearchSpaceInput;
  /** Known optimum, when there is one (for progress lines). */
  optimum?: number;
  /** The objective itself. */
  objective: Objective;
}

const registry = new Map<string, ObjectiveDef>();

/**
 * Add an objective to the registry.
 * @throws Error when the name is taken (unless `replace`).
 */
export function registerObjective(def: ObjectiveDef, opts: { replace?: boolean } = {}): void {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(def.name)) {
    throw new Error(`objective name "${def.name}" must be lower-case letters, digits, _ and -`);
  }
  if (registry.has(def.name) && !opts.replace) {
    throw new Error(`an objective named "${def.name}" is already registered`);
  }
  registry.set(def.name, def);
}

/**
 * The registered objective `name`.
 * @throws Error listing the registered names when there is none.
 */
export function getObjective(name: string): ObjectiveDef {
  const def = registry.get(name);
  if (!def) {
    throw new TuneInputError(
      `unknown objective "${name}"; registered: ${[...registry.keys()].sort().join(", ")}`,
    );
  }
  return def;
}

/** Every registered objective, by name. */
export function listObjectives(): ObjectiveDef[] {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name));
}

for (const f of Object.values(TEST_FUNCTIONS)) {
  registerObjective({
    name: f.name,
    description: `${f.name} test function (minimum ${f.minimum})`,
    direction: "minimize",
    space: f.space,
    optimum: f.minimum,
    objective: (trial) => f.fn(trial.suggestSpace() as Record<string, number>),
  });
}

const ACTIVATION_COST: Record<string, number> = { relu: 0, tanh: 0.5, sigmoid: 1 };

registerObjective({
  name: "mixed",
  description: "log-float, int and categorical parameters (minimum 0 at lr=0.01, layers=3, relu)",
  direction: "minimize",
  space: {
    lr: { type: "float", low: 1e-4, high: 1, log: true },
    layers: { type: "int", low: 1, high: 8 },
    activation: { type: "categorical", choices: ["relu", "tanh", "sigmoid"] },
  },
  optimum: 0,
  objective: (trial) => {
    const p = trial.suggestSpace();
    const lr = p.lr as number;
    const layers = p.layers as number;
    return (Math.log10(lr) + 2) ** 2 + (layers - 3) ** 2 / 4 +
      ACTIVATION_COST[p.activation as string];
  },
});

registerObjective({
  name: "curve",
  description:
    "a learning curve over 27 steps reporting intermediate values (exercises the pruners)",
  direction: "minimize",
  space: {
    x: { type: "float", low: -5, high: 5 },
    y: { type: "float", low: -5, high: 5 },
  },
  optimum: 0,
  objective: async (trial) => {
    const p = trial.suggestSpace();
    const final = (p.x as number) ** 2 + (p.y as number) ** 2;
    let value = final;
    for (let step = 0; step < 27; step++) {
      value = final + 10 / (step + 1);
      await trial.report(value, step);
      if (await trial.shouldPrune()) throw new TrialPruned();
    }
    return value;
  },
});
