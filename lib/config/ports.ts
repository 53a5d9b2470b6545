/** A free loopback port for a child service (the A/B runner's service, benchmarks, tests). */

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the OS picks it for a listener that is
 * closed at once. Another process may take it before the caller binds it, so a caller that starts
 * a service on it should treat "address in use" as a retryable start failure.
 */
export function freeLoopbackPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
