-- The ONNX export of a registered model version: content-addressed in the object store, written
-- once per version (after its equivalence check against the tfjs artifact passed) and immutable.
CREATE TABLE IF NOT EXISTS registry_onnx (
  model text NOT NULL,
  version integer NOT NULL,
  onnx_key text NOT NULL,
  sha256 text NOT NULL,
  size bigint NOT NULL,
  opset integer NOT NULL,
  equivalence jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, version),
  FOREIGN KEY (model, version) REFERENCES registry_versions (model, version)
);

CREATE OR REPLACE TRIGGER registry_onnx_immutable BEFORE UPDATE OR DELETE ON registry_onnx
  FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
