/** Per-class statistics of the feature table (polars group-by). */
import pl from "nodejs-polars";

/**
 * One row per (split, label): image count, mean and std of mean intensity, and the mean of
 * ink ratio, bounding-box height/width, symmetry and vertical centre; sorted by split, label.
 */
export function classStats(features: pl.DataFrame): pl.DataFrame {
  return features
    .groupBy(["split", "label"])
    .agg(
      pl.col("image_index").count().alias("count"),
      pl.col("mean_intensity").mean().alias("mean_intensity"),
      pl.col("mean_intensity").std().alias("mean_intensity_std"),
      pl.col("std_intensity").mean().alias("std_intensity"),
      pl.col("ink_ratio").mean().alias("ink_ratio"),
      pl.col("bbox_height").mean().alias("bbox_height"),
      pl.col("bbox_width").mean().alias("bbox_width"),
      pl.col("symmetry_h").mean().alias("symmetry_h"),
      pl.col("centre_y").mean().alias("centre_y"),
    )
    .sort(["split", "label"]);
}
