/**
 * Errors of the inference stage that callers map to HTTP statuses: not found (404), cannot be
 * served (503), and its transient kind, compute temporarily unavailable (503, retry).
 */

/** The model, version or alias does not exist (HTTP 404). */
export class ModelNotFoundError extends Error {
  override name = "ModelNotFoundError";
}

/** A registered version that cannot be served (not an image classifier, corrupt artifact). */
export class ModelLoadError extends Error {
  override name = "ModelLoadError";
}

/**
 * Compute is temporarily unavailable (an inference worker crashed or is restarting, or the
 * service is shutting down); the request was not computed and may be retried. A
 * {@link ModelLoadError}, so every layer that maps those to HTTP 503 maps this one too.
 */
export class InferenceUnavailableError extends ModelLoadError {
  override name = "InferenceUnavailableError";
}
