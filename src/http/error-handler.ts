// The only place that builds a CspErrorResponse. ApiErrors are shown as they are; Fastify's own
// client errors are mapped onto the error table; anything else is a generic 500 whose cause is logged.
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorCode, toCspErrorResponse } from '../errors.js';
import { isStoreUnavailable } from '../storage/unavailable.js';
import { generateRequestId } from './request-id.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  // The router's own refusals (frameworkErrors): a path parameter longer than maxParamLength names nothing
  // that exists; a path that does not decode is malformed. Found by the fuzzer.
  FST_ERR_MAX_PARAM_LENGTH: 'not_found',
  FST_ERR_BAD_URL: 'invalid_request',
};

const STORE_UNAVAILABLE = 'The database cannot be reached right now; retry shortly.';
/** The PostgreSQL pool reconnects on the next request; /readyz polls every few seconds. */
const STORE_RETRY_SECONDS = 5;

function toApiError(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error;
  if (error.validation) return new ApiError('invalid_request', `Invalid request: ${error.message}`);
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return new ApiError(mapped);
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new ApiError('invalid_request', status === 400 ? safeMessage(error) : undefined);
  // The request was fine and the database is away: tell the client to retry rather than that we failed.
  if (isStoreUnavailable(error)) return new ApiError('service_unavailable', STORE_UNAVAILABLE, { cause: error, retryAfterSeconds: STORE_RETRY_SECONDS });
  return new ApiError('internal_error', undefined, { cause: error });
}

/** Fastify's 400 messages (bad JSON, empty body) are safe to show; keep them short. */
function safeMessage(error: FastifyError): string | undefined {
  return error.code?.startsWith('FST_ERR_CTP') || error instanceof SyntaxError ? `Invalid request body: ${error.message.slice(0, 200)}` : undefined;
}

/**
 * Fastify's `frameworkErrors`: what the router refuses before any route or hook runs (no onRequest hook, so the
 * request id header is set here) still answers with a CspErrorResponse.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  void sendApiError(reply, toApiError(error));
}

export function sendApiError(reply: FastifyReply, error: ApiError): FastifyReply {
  const body = toCspErrorResponse(error, String(reply.request.id));
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  return reply.code(body.statusCode).header('Cache-Control', 'no-store').type('application/json; charset=utf-8').send(body);
}

/**
 * Turns a refusal into the answer sent: auth/failed-auth-limit.ts answers a failed authentication beyond
 * its limit with a 429. Returns the refusal itself (no promise) when it has nothing to change.
 */
export type RefusalFilter = (request: FastifyRequest, refusal: ApiError) => ApiError | Promise<ApiError>;

export function registerErrorHandling(app: FastifyInstance, filterRefusal: RefusalFilter): void {
  // Paths → methods, to tell 405 (known path, other method) from 404.
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const set = methodsByPath.get(route.url) ?? new Set<string>();
    for (const m of methods) set.add(m);
    methodsByPath.set(route.url, set);
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.code === 'internal_error') request.log.error({ err: error }, 'unexpected error');
    else if (apiError !== error && apiError.code === 'service_unavailable') request.log.warn({ err: error }, 'store unavailable');
    else request.log.info({ errorCode: apiError.code }, 'request refused');
    const filtered = filterRefusal(request, apiError);
    return sendApiError(reply, filtered instanceof ApiError ? filtered : await filtered);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    const methods = methodsByPath.get(path);
    if (methods && !methods.has(request.method)) {
      const allow = [...methods]
        .filter((m) => m !== 'HEAD')
        .sort()
        .join(', ');
      return sendApiError(
        reply,
        new ApiError('method_not_allowed', `Method ${request.method} is not allowed here; use ${allow}.`, { headers: { Allow: allow } }),
      );
    }
    return sendApiError(reply, new ApiError('not_found'));
  });
}

const CLIENT_ERROR_STATUS: Record<string, ErrorCode> = {
  HPE_HEADER_OVERFLOW: 'header_too_large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request_timeout',
};

/** Errors Node's HTTP parser raises before Fastify sees a request still get a CspErrorResponse. */
export function handleClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const code = CLIENT_ERROR_STATUS[error.code ?? ''] ?? 'invalid_request';
  const requestId = generateRequestId();
  const response = toCspErrorResponse(new ApiError(code), requestId);
  const body = JSON.stringify(response);
  socket.end(
    `HTTP/1.1 ${response.statusCode} ${code}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}
