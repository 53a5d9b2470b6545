/** Test helpers of the A/B stage (see `centroid_models.ts`). */
export { registerCentroidModel } from "./centroid_models.ts";
