/**
 * Image decode worker (module Worker started by {@link ImageDecodePool}): decodes and
 * preprocesses one image per message, off the thread that serves HTTP. Answers
 * `{id, ok: true, pixels}` (784 floats, transferred) or `{id, ok: false, input, message}` where
 * `input` tells an unusable image (HTTP 400) from an internal failure.
 */
import { ImageInputError, preprocessImage } from "./image.ts";
import { decodeJobSchema } from "./decode_pool.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(msg: unknown, transfer?: Transferable[]): void;
}
const scope = globalThis as unknown as WorkerScope;

scope.onmessage = (e: MessageEvent) => {
  const parsed = decodeJobSchema.safeParse(e.data);
  if (!parsed.success) {
    const id = typeof e.data?.id === "number" ? e.data.id : -1;
    scope.postMessage({ id, ok: false, input: false, message: "malformed decode job" });
    return;
  }
  const { id, bytes, options } = parsed.data;
  try {
    const { pixels } = preprocessImage(bytes, options);
    scope.postMessage({ id, ok: true, pixels }, [pixels.buffer]);
  } catch (err) {
    const input = err instanceof ImageInputError;
    const message = err instanceof Error ? err.message : String(err);
    scope.postMessage({ id, ok: false, input, message });
  }
};
