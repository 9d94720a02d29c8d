/**
 * Structured JSON logging, one object per line. Lines are appended to an in-memory buffer and
 * written in batches (on a short timer, when the buffer grows, and on flush), so a request never
 * waits on a write to stdout.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Severity order of the levels: a logger writes a line whose level ranks at or above its own. */
export const LOG_RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface LogSink {
  write(chunk: string): void;
  flush?(): void | Promise<void>;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger;
  enabled(level: LogLevel): boolean;
  flush(): Promise<void>;
}

/** Writes to the process's stdout through Bun's buffered file sink. */
export function stdoutSink(): LogSink {
  const writer = Bun.stdout.writer();
  return { write: (chunk) => void writer.write(chunk), flush: () => void writer.flush() };
}

/** Collects lines in memory; for tests that assert on what was logged. */
export function memorySink(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    write(chunk) {
      for (const line of chunk.split("\n")) if (line) lines.push(line);
    },
  };
}

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 50;

/** A wall-clock ISO-8601 formatter that formats once per millisecond (busy servers log many lines per ms). */
function isoClock(): () => string {
  let isoMs = Number.NaN;
  let isoText = "";
  return () => {
    const ms = Date.now();
    if (ms !== isoMs) {
      isoMs = ms;
      isoText = new Date(ms).toISOString();
    }
    return isoText;
  };
}

/** An error as plain data (name, message, stack) for a log line; anything else as it is. */
export function serializeError(err: unknown): unknown {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return err;
}

export function createLogger(opts: { level: LogLevel; sink?: LogSink; base?: Record<string, unknown> }): Logger {
  const sink = opts.sink ?? stdoutSink();
  const min = LOG_RANK[opts.level];
  const isoNow = isoClock();
  let buffer = "";
  let timer: ReturnType<typeof setTimeout> | undefined;

  const drain = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (buffer) {
      const chunk = buffer;
      buffer = "";
      sink.write(chunk);
    }
    sink.flush?.();
  };

  const emit = (level: LogLevel, base: Record<string, unknown>, msg: string, fields?: Record<string, unknown>) => {
    if (LOG_RANK[level] < min) return;
    // Copied key by key rather than spread: same keys in the same order (a field overriding a base
    // key keeps the base key's position, as with spreads), without two spread copies per line.
    const entry: Record<string, unknown> = { ts: isoNow(), level, msg };
    for (const k in base) entry[k] = base[k];
    if (fields) for (const k in fields) entry[k] = fields[k];
    if (entry.err !== undefined) entry.err = serializeError(entry.err);
    buffer += JSON.stringify(entry) + "\n";
    if (buffer.length >= FLUSH_BYTES) drain();
    else if (!timer) {
      timer = setTimeout(drain, FLUSH_MS);
      (timer as { unref?: () => void }).unref?.();
    }
  };

  const make = (base: Record<string, unknown>): Logger => ({
    debug: (m, f) => emit("debug", base, m, f),
    info: (m, f) => emit("info", base, m, f),
    warn: (m, f) => emit("warn", base, m, f),
    error: (m, f) => emit("error", base, m, f),
    child: (fields) => make({ ...base, ...fields }),
    enabled: (level) => LOG_RANK[level] >= min,
    flush: async () => drain(),
  });
  return make(opts.base ?? {});
}

/** The lowest level `log` writes ("silent": none). */
export function minLevel(log: Logger): LogLevel {
  for (const level of ["debug", "info", "warn", "error"] as const) if (log.enabled(level)) return level;
  return "silent";
}

/** A logger that drops everything (tests that do not care about logs). */
export const silentLogger = (): Logger => createLogger({ level: "silent", sink: { write() {} } });
