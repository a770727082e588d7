// principal-mfa serve: load config → open store → build app → listen; SIGTERM drains and exits 0.
import pino from 'pino';
import { buildApp } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import { createServices } from '../services.js';
import { printDevQuickstart } from './dev-quickstart.js';
import { isClusterWorker, isFirstWorker, runClusterPrimary } from './serve-cluster.js';
import { CliError, type CliIo } from './common.js';
import { createTurnBufferedDestination, flushLogOnExit } from './log-destination.js';
import { resolveServeMasterKey } from './master-key.js';

export async function serveCommand(args: string[], io: CliIo): Promise<void> {
  let config;
  try {
    config = loadConfig(args, io.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  const destination = createTurnBufferedDestination();
  const logger = pino({ level: config.logLevel, base: { service: 'principal-mfa' } }, destination);
  flushLogOnExit(logger, destination);
  // Refuse to start without the key that seals TOTP seeds and signing keys (before opening anything else).
  const masterKey = await resolveServeMasterKey(config);
  if (config.workers > 1 && !isClusterWorker()) {
    // The primary serves nothing itself: it prepares the store, forks the workers and relays SIGTERM.
    if (masterKey.created) logger.info({ path: masterKey.path }, 'created a development master key');
    await runClusterPrimary(config, logger, masterKey.key);
    return;
  }
  const services = await createServices(config, { masterKey: masterKey.key });
  const app = await buildApp(services, { logger });
  const address = await app.listen({ host: config.host, port: config.port });
  logger.info({ address, database: config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@'), issuer: config.issuer, dev: config.dev }, 'principal-mfa listening');
  if (masterKey.created) logger.info({ path: masterKey.path }, 'created a development master key');
  if (config.dev && isFirstWorker()) await printDevQuickstart(services, address, io);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining and shutting down');
    await app.close(); // stops accepting, waits for in-flight requests
    await services.close();
    process.exit(0); // the 'exit' handler writes the log lines still gathered
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
