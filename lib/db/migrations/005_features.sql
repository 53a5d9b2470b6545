-- Feature store (lib/features/store.ts). A feature set is the per-image feature table of one
-- dataset version computed with given params; its Parquet files live in the object store, and
-- every image's features are also rows of image_features so a few images can be fetched by index.
CREATE TABLE IF NOT EXISTS feature_sets (
  id TEXT PRIMARY KEY,
  dataset_version TEXT NOT NULL,
  params JSONB NOT NULL,
  columns JSONB NOT NULL,
  row_count INTEGER NOT NULL,
  images_key TEXT NOT NULL,
  class_stats_key TEXT NOT NULL,
  split_key TEXT NOT NULL,
  meta_key TEXT NOT NULL,
  normalization JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS feature_sets_version_idx ON feature_sets (dataset_version, created_at DESC);

CREATE TABLE IF NOT EXISTS image_features (
  feature_set_id TEXT NOT NULL REFERENCES feature_sets (id) ON DELETE CASCADE,
  split TEXT NOT NULL CHECK (split IN ('train', 'test')),
  image_index INTEGER NOT NULL,
  label SMALLINT NOT NULL,
  subset TEXT NOT NULL CHECK (subset IN ('train', 'val', 'test')),
  mean_intensity DOUBLE PRECISION NOT NULL,
  std_intensity DOUBLE PRECISION NOT NULL,
  ink_ratio DOUBLE PRECISION NOT NULL,
  bbox_top SMALLINT NOT NULL,
  bbox_left SMALLINT NOT NULL,
  bbox_bottom SMALLINT NOT NULL,
  bbox_right SMALLINT NOT NULL,
  bbox_height SMALLINT NOT NULL,
  bbox_width SMALLINT NOT NULL,
  symmetry_h DOUBLE PRECISION NOT NULL,
  centre_y DOUBLE PRECISION NOT NULL,
  centre_x DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (feature_set_id, split, image_index)
);
