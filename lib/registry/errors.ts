/** Errors raised by the registry; each message says what failed and what to do. */

/** No such model, version or alias. */
export class RegistryNotFoundError extends Error {
  override name = "RegistryNotFoundError";
}

/** Invalid input to a registry call (bad name, mismatched predictions…). */
export class RegistryInputError extends Error {
  override name = "RegistryInputError";
}

/** An alias moved concurrently: it no longer points where the caller expected. */
export class AliasConflictError extends Error {
  override name = "AliasConflictError";
}
