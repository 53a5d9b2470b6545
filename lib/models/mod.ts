/** Public face of the models stage: architectures (later: baselines, artifacts, signatures). */
export {
  ARCHITECTURES,
  buildModel,
  INPUT_SHAPE,
  modelConfigSchema,
  NUM_CLASSES,
  parseModelConfig,
} from "./architectures.ts";
export type { ModelConfig, ModelConfigInput } from "./architectures.ts";
