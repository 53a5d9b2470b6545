#!/bin/sh
# Create the buckets of the compose stack in MinIO (idempotent).
set -eu
mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
for b in $BUCKETS; do
  mc mb --ignore-existing "local/$b"
done
