// Where `serve` writes its log: the lines of one event-loop turn go out in one synchronous write at the end of
// that turn, instead of one write syscall per line (pino's default destination), and nothing is ever lost:
// every write is synchronous, and what a turn has gathered is written on exit, on a fatal error and on SIGTERM.
import pino, { type Logger } from 'pino';

/** Bytes gathered before a write even within one turn (SonicBoom's buffer; must stay under its 16 KiB maxWrite). */
const MIN_WRITE_BYTES = 4096;

export interface LogDestination {
  write(line: string): void;
  /** Writes every gathered line now, synchronously. */
  flushSync(): void;
}

/**
 * Tried and measured (docs/benchmarks.md): an asynchronous SonicBoom (`sync: false`) also batches, but a
 * write in flight on the thread pool when the process exits is lost; a per-turn synchronous write is not.
 */
export function createTurnBufferedDestination(fd = 1): LogDestination {
  const sink = pino.destination({ dest: fd, sync: true, minLength: MIN_WRITE_BYTES });
  let flushScheduled = false;
  const flushTurn = () => {
    flushScheduled = false;
    sink.flushSync();
  };
  return {
    write(line) {
      sink.write(line);
      // One immediate per turn, not per line: it runs after the turn's I/O callbacks (the requests answered).
      if (flushScheduled) return;
      flushScheduled = true;
      setImmediate(flushTurn);
    },
    flushSync: () => sink.flushSync(),
  };
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
