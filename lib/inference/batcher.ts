/**
 * Micro-batching: concurrent requests for the same model version are queued and run as one
 * tensor batch. A batch is started when `maxBatch` instances are waiting or `maxWaitMs` after the
 * oldest waiting request arrived, one batch at a time; requests that arrive while a batch runs
 * join the next one, so batches grow with concurrency.
 */

/** Runs one batch: `count` packed inputs in, `count × outputSize` values out. */
export type BatchRunner = (inputs: Float32Array, count: number) => Float32Array;

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
  /** Called after every batch with its size and duration in seconds (metrics). */
  onBatch?: (size: number, seconds: number) => void;
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
  out: Float32Array;
  resolve: (out: Float32Array) => void;
  reject: (err: unknown) => void;
  arrived: number;
}

/** Coalesces concurrent {@link MicroBatcher.submit} calls into batches. */
export class MicroBatcher {
  readonly #run: BatchRunner;
  readonly #opts: BatcherOptions & BatchLimits;
  #queue: Pending[] = [];
  #queued = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #busy = false;
  #closed = false;

  constructor(run: BatchRunner, opts: BatcherOptions) {
    this.#run = run;
    this.#opts = { ...opts, ...checkBatchLimits(opts) };
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
    if (this.#busy || this.#queue.length === 0) return;
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
    if (this.#busy || this.#queue.length === 0) return;
    this.#busy = true;
    const { maxBatch, inputSize, outputSize } = this.#opts;
    // Take instances from the head of the queue, splitting a request that does not fit.
    const parts: { p: Pending; from: number; n: number }[] = [];
    let size = 0;
    for (const p of this.#queue) {
      if (size >= maxBatch) break;
      const n = Math.min(p.count - p.done, maxBatch - size);
      parts.push({ p, from: p.done, n });
      size += n;
    }
    const inputs = parts.length === 1 && parts[0].n === parts[0].p.count
      ? parts[0].p.inputs.subarray(0, size * inputSize)
      : new Float32Array(size * inputSize);
    if (inputs.buffer !== parts[0].p.inputs.buffer) {
      let off = 0;
      for (const { p, from, n } of parts) {
        inputs.set(p.inputs.subarray(from * inputSize, (from + n) * inputSize), off);
        off += n * inputSize;
      }
    }
    const started = performance.now();
    let outputs: Float32Array | null = null;
    let error: unknown = null;
    try {
      outputs = this.#run(inputs, size);
    } catch (err) {
      error = err;
    }
    this.#opts.onBatch?.(size, (performance.now() - started) / 1000);
    let off = 0;
    const failed = new Set<Pending>();
    for (const { p, from, n } of parts) {
      if (outputs) {
        p.out.set(outputs.subarray(off * outputSize, (off + n) * outputSize), from * outputSize);
      } else failed.add(p);
      off += n;
      p.done += n;
      this.#queued -= n;
    }
    // Settle finished (or failed) requests and keep the rest queued.
    const rest: Pending[] = [];
    for (const p of this.#queue) {
      if (failed.has(p)) {
        this.#queued -= p.count - p.done;
        p.reject(error);
      } else if (p.done >= p.count) p.resolve(p.out);
      else rest.push(p);
    }
    this.#queue = rest;
    this.#busy = false;
    this.#schedule();
  }
}
