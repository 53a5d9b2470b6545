/**
 * Micro-batching: concurrent requests for the same model version are queued and run as one
 * tensor batch. A batch is started when `maxBatch` instances are waiting or `maxWaitMs` after the
 * oldest waiting request arrived, while fewer than `maxInFlight` batches run (1 in process; one
 * or more per inference worker; what waits is then split over the free slots); requests that
 * arrive meanwhile join the next batch, so batches grow with concurrency.
 */

/**
 * Runs one batch: `count` packed inputs in, `count × outputSize` values out, synchronously or
 * not. `inputs` may be a view of a caller's buffer: copy it before transferring it elsewhere.
 */
export type BatchRunner = (
  inputs: Float32Array,
  count: number,
) => Float32Array | Promise<Float32Array>;

/** Options of {@link MicroBatcher}. */
export interface BatcherOptions {
  /** Largest batch in instances (default 64). A bigger request is split across batches. */
  maxBatch?: number;
  /** Longest a request waits for company before its batch starts, in ms (default 2). */
  maxWaitMs?: number;
  /** Values per input instance (e.g. 784). */
  inputSize: number;
  /** Values per output instance (e.g. 10 classes). */
  outputSize: number;
  /** Batches allowed to run at once (default 1); > 1 only pays with an async runner. */
  maxInFlight?: number;
  /**
   * With several batches allowed, waiting instances are split over the free slots, but into
   * batches of at least this many (default 8: smaller ones cost more per instance).
   */
  minSplit?: number;
  /** Called after every batch with its size and duration in seconds (metrics). */
  onBatch?: (size: number, seconds: number) => void;
  /**
   * Called once per request when its first instances start computing, with the seconds it
   * waited in the queue (batching delay plus time waiting for a free worker slot).
   */
  onQueueWait?: (seconds: number) => void;
}

/** Validated batching limits. */
export interface BatchLimits {
  maxBatch: number;
  maxWaitMs: number;
}

/** Check batching limits. @throws RangeError naming the bad value. */
export function checkBatchLimits(o: { maxBatch?: number; maxWaitMs?: number }): BatchLimits {
  const maxBatch = o.maxBatch ?? 64;
  const maxWaitMs = o.maxWaitMs ?? 2;
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 4096) {
    throw new RangeError(`maxBatch must be an integer in 1..4096, got ${maxBatch}`);
  }
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0 || maxWaitMs > 1000) {
    throw new RangeError(`maxWaitMs must be in 0..1000 ms, got ${maxWaitMs}`);
  }
  return { maxBatch, maxWaitMs };
}

interface Pending {
  inputs: Float32Array;
  count: number;
  /** Instances of this request already placed in a batch. */
  done: number;
  /** Instances of this request whose outputs have not arrived yet. */
  remaining: number;
  /** Settled (rejected) already. */
  failed: boolean;
  out: Float32Array;
  resolve: (out: Float32Array) => void;
  reject: (err: unknown) => void;
  arrived: number;
}

/** Coalesces concurrent {@link MicroBatcher.submit} calls into batches. */
export class MicroBatcher {
  readonly #run: BatchRunner;
  readonly #opts: BatcherOptions & BatchLimits & { maxInFlight: number; minSplit: number };
  #queue: Pending[] = [];
  #queued = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #inFlight = 0;
  #closed = false;

  constructor(run: BatchRunner, opts: BatcherOptions) {
    this.#run = run;
    const maxInFlight = opts.maxInFlight ?? 1;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > 1024) {
      throw new RangeError(`maxInFlight must be an integer in 1..1024, got ${maxInFlight}`);
    }
    const minSplit = opts.minSplit ?? 8;
    if (!Number.isInteger(minSplit) || minSplit < 1) {
      throw new RangeError(`minSplit must be a positive integer, got ${minSplit}`);
    }
    this.#opts = { ...opts, ...checkBatchLimits(opts), maxInFlight, minSplit };
  }

  /** Batches running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Instances waiting for a batch. */
  get pending(): number {
    return this.#queued;
  }

  /** Predict `count` packed instances; resolves with their `count × outputSize` outputs. */
  submit(inputs: Float32Array, count: number): Promise<Float32Array> {
    if (this.#closed) return Promise.reject(new Error("model is unloaded; retry the request"));
    if (count < 1 || inputs.length < count * this.#opts.inputSize) {
      return Promise.reject(
        new RangeError(`expected ${count} × ${this.#opts.inputSize} inputs, got ${inputs.length}`),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({
        inputs,
        count,
        done: 0,
        remaining: count,
        failed: false,
        out: new Float32Array(count * this.#opts.outputSize),
        resolve,
        reject,
        arrived: performance.now(),
      });
      this.#queued += count;
      this.#schedule();
    });
  }

  /** Reject new work; queued work still runs. */
  close(): void {
    this.#closed = true;
  }

  #schedule(): void {
    if (this.#inFlight >= this.#opts.maxInFlight || this.#queue.length === 0) return;
    const { maxBatch, maxWaitMs } = this.#opts;
    const waited = performance.now() - this.#queue[0].arrived;
    if (this.#queued >= maxBatch || waited >= maxWaitMs) {
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
      // A macrotask, so requests already read from sockets join this batch.
      this.#timer = setTimeout(() => this.#flush(), 0);
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#flush(), maxWaitMs - waited);
    }
  }

  #flush(): void {
    this.#timer = null;
    const { maxBatch, maxInFlight, minSplit } = this.#opts;
    while (this.#inFlight < maxInFlight && this.#queue.length > 0) {
      // Spread what is waiting over the free slots (so a convoy of requests that arrived
      // together runs on several workers at once), but keep batches of ≥ minSplit.
      const free = maxInFlight - this.#inFlight;
      const target = Math.min(maxBatch, Math.max(minSplit, Math.ceil(this.#queued / free)));
      if (!this.#start(target)) return; // ran synchronously; #settle scheduled what follows
    }
  }

  /** Start one batch of up to `target` instances. Returns whether it runs asynchronously. */
  #start(target: number): boolean {
    const { inputSize } = this.#opts;
    // Take instances from the head of the queue, splitting a request that does not fit.
    const parts: Part[] = [];
    let size = 0;
    while (this.#queue.length > 0 && size < target) {
      const p = this.#queue[0];
      const n = Math.min(p.count - p.done, target - size);
      parts.push({ p, from: p.done, n });
      p.done += n;
      this.#queued -= n;
      size += n;
      if (p.done >= p.count) this.#queue.shift();
    }
    const whole = parts.length === 1 && parts[0].n === parts[0].p.count;
    const inputs = whole
      ? parts[0].p.inputs.subarray(0, size * inputSize)
      : new Float32Array(size * inputSize);
    if (!whole) {
      let off = 0;
      for (const { p, from, n } of parts) {
        inputs.set(p.inputs.subarray(from * inputSize, (from + n) * inputSize), off);
        off += n * inputSize;
      }
    }
    this.#inFlight++;
    const started = performance.now();
    if (this.#opts.onQueueWait) {
      for (const { p, from } of parts) {
        if (from === 0) this.#opts.onQueueWait((started - p.arrived) / 1000);
      }
    }
    let result: Float32Array | Promise<Float32Array>;
    try {
      result = this.#run(inputs, size);
    } catch (err) {
      this.#settle(parts, size, started, null, err);
      return false;
    }
    if (result instanceof Promise) {
      result.then(
        (out) => this.#settle(parts, size, started, out, null),
        (err) => this.#settle(parts, size, started, null, err),
      );
      return true;
    }
    this.#settle(parts, size, started, result, null);
    return false;
  }

  /** Deliver a batch's outputs (or its failure) to its requests, then schedule the next. */
  #settle(
    parts: Part[],
    size: number,
    started: number,
    outputs: Float32Array | null,
    error: unknown,
  ): void {
    this.#inFlight--;
    this.#opts.onBatch?.(size, (performance.now() - started) / 1000);
    const { outputSize } = this.#opts;
    let off = 0;
    for (const { p, from, n } of parts) {
      if (!p.failed) {
        if (outputs) {
          p.out.set(outputs.subarray(off * outputSize, (off + n) * outputSize), from * outputSize);
          p.remaining -= n;
          if (p.remaining === 0) p.resolve(p.out);
        } else {
          // The whole request fails, including parts still queued or in other batches.
          p.failed = true;
          const i = this.#queue.indexOf(p);
          if (i >= 0) {
            this.#queue.splice(i, 1);
            this.#queued -= p.count - p.done;
          }
          p.reject(error);
        }
      }
      off += n;
    }
    this.#schedule();
  }
}

interface Part {
  p: Pending;
  from: number;
  n: number;
}
