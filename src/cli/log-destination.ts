// Where `serve` writes its log: the lines of one event-loop turn go out in one synchronous write at the end of
// that turn, instead of one write syscall per line (pino's default destination), and nothing is ever lost:
// every write is synchronous, and what a turn has gathered is written on exit, on a fatal error and on SIGTERM.
import { writeSync } from 'node:fs';
import type { Logger } from 'pino';

/** Written at once, within the turn, when this much is gathered: bounds the memory and the write. */
const MAX_GATHERED_CHARS = 64 * 1024;
/** A non-blocking pipe (stdout read by a slow reader) is full: wait this long and write the rest. */
const FULL_PIPE_WAIT_MS = 1;

export interface LogDestination {
  write(line: string): void;
  /** Writes every gathered line now, synchronously. */
  flushSync(): void;
}

/**
 * Measured and dropped (docs/benchmarks.md): pino.destination with `sync: false` batches as well, but a write
 * in flight on the thread pool when the process exits is lost; SonicBoom's flushSync, called per turn, also
 * fsyncs the file each time, which cost more than the writes it saved.
 */
export function createTurnBufferedDestination(fd = 1): LogDestination {
  let gathered = '';
  const flushSync = () => {
    if (gathered === '') return;
    let bytes = Buffer.from(gathered);
    gathered = '';
    while (bytes.length > 0) bytes = bytes.subarray(writeSomeSync(fd, bytes));
  };
  return {
    write(line) {
      // One immediate per turn, not per line: it runs after the turn's I/O callbacks (the requests answered).
      if (gathered === '') setImmediate(flushSync);
      gathered += line;
      if (gathered.length >= MAX_GATHERED_CHARS) flushSync();
    },
    flushSync,
  };
}

/** Bytes written (0 while a non-blocking pipe is full, after a short wait). */
function writeSomeSync(fd: number, bytes: Buffer): number {
  try {
    return writeSync(fd, bytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, FULL_PIPE_WAIT_MS);
    return 0;
  }
}

/**
 * The process's exit paths write what is gathered: process.exit and a natural exit ('exit'), and a fatal
 * error, logged first (the monitor runs before Node's own report and exit, which it leaves unchanged).
 */
export function flushLogOnExit(logger: Logger, destination: LogDestination): void {
  process.on('exit', () => destination.flushSync());
  process.on('uncaughtExceptionMonitor', (error, origin) => {
    logger.fatal({ err: error, origin }, 'fatal error');
    destination.flushSync();
  });
}
