// serve --workers N: a node:cluster primary that forks N server processes sharing one port, replaces
// a worker that dies, and on SIGTERM/SIGINT lets every worker drain, then exits 0.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { openStore } from '../storage/database.js';
import { systemClock } from '../clock.js';
import { prepareSigningKeys, retiredKeyRetentionMs } from '../tokens/signing-keys.js';

/** A worker that dies this soon after its start is not replaced (a start-up error would loop forever). */
const MIN_WORKER_LIFETIME_MS = 5_000;
const RESTART_DELAY_MS = 1_000;

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/**
 * Runs in the primary only. The store is migrated and its signing keys prepared here, once, so that
 * the workers start on a ready store instead of racing to prepare it.
 */
export async function runClusterPrimary(config: Config, logger: Logger, masterKey: Buffer): Promise<void> {
  const store = await openStore(config.databaseUrl);
  try {
    await prepareSigningKeys(store, systemClock, masterKey, retiredKeyRetentionMs(config.accessTokenTtlSeconds));
  } finally {
    await store.close();
  }

  const startedAt = new Map<Worker, number>();
  let stopping = false;
  const fork = () => startedAt.set(cluster.fork(), Date.now());

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) {
      if (startedAt.size === 0) {
        logger.info('all workers stopped');
        process.exit(0);
      }
      return;
    }
    logger.error({ workerPid: worker.process.pid, code, signal }, 'worker exited unexpectedly');
    if (lived < MIN_WORKER_LIFETIME_MS) {
      logger.fatal('worker failed during start-up; stopping');
      stopAll('worker start-up failure', 1);
      return;
    }
    setTimeout(fork, RESTART_DELAY_MS).unref();
  });

  const stopAll = (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason, workers: startedAt.size }, 'stopping workers (each drains its requests)');
    if (startedAt.size === 0) process.exit(exitCode);
    for (const worker of startedAt.keys()) worker.process.kill('SIGTERM');
    if (exitCode !== 0) process.exitCode = exitCode;
  };
  process.once('SIGTERM', () => stopAll('SIGTERM'));
  process.once('SIGINT', () => stopAll('SIGINT'));

  for (let i = 0; i < config.workers; i++) fork();
  logger.info({ workers: config.workers, port: config.port }, 'principal-mfa primary started');
}

/** Only the first worker prints the development quick-start, so it appears once. */
export function isFirstWorker(): boolean {
  return !cluster.isWorker || cluster.worker?.id === 1;
}
