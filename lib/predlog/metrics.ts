/** Prometheus metrics of the prediction-log writer, registered on the service's registry. */
import client from "prom-client";

/** Counters and gauges of a {@link PredictionLogWriter}. Names are prefixed `fmnist_predlog_`. */
export interface PredlogMetrics {
  /** Records written to the database by normal flushes. */
  readonly written: client.Counter;
  /** Records appended to the local spool (database unavailable or writer overloaded). */
  readonly spooled: client.Counter;
  /** Spooled records written to the database by a replay. */
  readonly replayed: client.Counter;
  /** Records lost because neither the database nor the spool disk took them. */
  readonly dropped: client.Counter;
  /** Failed database writes (each one sends its batch to the spool). */
  readonly writeErrors: client.Counter;
  /** Records waiting in memory for the next flush. */
  readonly buffered: client.Gauge;
  /** Bytes of spool files waiting for replay. */
  readonly spoolBytes: client.Gauge;
  /** 1 while the writer considers the database unavailable. */
  readonly dbDown: client.Gauge;
}

/**
 * Create the metrics on `registry` (a fresh one when omitted). `read` is sampled at scrape time
 * for the gauges.
 */
export function createPredlogMetrics(
  registry: client.Registry | undefined,
  read: { buffered: () => number; spoolBytes: () => Promise<number>; dbDown: () => boolean },
): PredlogMetrics {
  const registers = [registry ?? new client.Registry()];
  const counter = (name: string, help: string) =>
    new client.Counter({ name: `fmnist_predlog_${name}`, help, registers });
  return {
    written: counter("written_total", "Prediction log records written to the database"),
    spooled: counter("spooled_total", "Prediction log records appended to the local spool"),
    replayed: counter("replayed_total", "Spooled prediction log records replayed into the DB"),
    dropped: counter("dropped_total", "Prediction log records lost (database and spool failed)"),
    writeErrors: counter("write_errors_total", "Failed prediction log database writes"),
    buffered: new client.Gauge({
      name: "fmnist_predlog_buffered",
      help: "Prediction log records buffered in memory",
      registers,
      collect() {
        this.set(read.buffered());
      },
    }),
    spoolBytes: new client.Gauge({
      name: "fmnist_predlog_spool_bytes",
      help: "Bytes of prediction log spool files waiting for replay",
      registers,
      async collect() {
        this.set(await read.spoolBytes().catch(() => 0));
      },
    }),
    dbDown: new client.Gauge({
      name: "fmnist_predlog_db_down",
      help: "1 while the prediction log writer considers the database unavailable",
      registers,
      collect() {
        this.set(read.dbDown() ? 1 : 0);
      },
    }),
  };
}
