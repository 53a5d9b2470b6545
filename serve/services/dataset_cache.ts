/** An in-process, size-bounded cache of loaded datasets keyed by concrete version id. */

/**
 * Least-recently-used cache of values loaded asynchronously per key. Concurrent requests for the
 * same key share one load; a failed load is not cached (the next request retries).
 */
export class LoadCache<T> {
  readonly #entries = new Map<string, Promise<T>>();
  #loads = 0;

  /**
   * @param load loads the value of a key (called at most once per cached key).
   * @param capacity how many values to keep (≥ 1); the least recently used one is dropped first.
   */
  constructor(private readonly load: (key: string) => Promise<T>, readonly capacity = 2) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** The value of `key`, loading it on first use. */
  get(key: string): Promise<T> {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    this.#loads++;
    const p = this.load(key);
    this.#entries.set(key, p);
    p.catch(() => {
      if (this.#entries.get(key) === p) this.#entries.delete(key);
    });
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return p;
  }

  /** Keys currently cached, least recently used first. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** How many loads were started (cache misses) since creation. */
  get loads(): number {
    return this.#loads;
  }

  /** Drop every cached value. */
  clear(): void {
    this.#entries.clear();
  }
}
