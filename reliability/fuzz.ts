// HTTP fuzzing of a running server from its own OpenAPI document: every documented operation (whatever
// routes exist when it runs), every parameter and request body, valid and mutated, with and without valid
// tokens. Seeded: the same seed and document give the same request sequence.
import fc from 'fast-check';
import { checkResponseAgainstDocument } from '../test/support/openapi-check.js';
import { anyJson, mutated, nastyString, resolveRef, validValue, type JsonSchema } from './schema-arbitrary.js';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface FuzzCredentials {
  /** Valid tokens of several kinds (a user's access token, a service account's, an API token ...). */
  tokens: string[];
  /** Basic credentials for client endpoints, `id:secret`. */
  basic?: string[];
}

export interface FuzzFailure {
  request: FuzzRequest;
  status?: number;
  problem: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  byStatus: Record<string, number>;
  failures: FuzzFailure[];
  operations: number;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

interface DocOperation {
  method: string;
  path: string;
  op: JsonSchema;
}

export function operationsOf(doc: any): DocOperation[] {
  const out: DocOperation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) if (item[method]) out.push({ method: method.toUpperCase(), path, op: item[method] });
  }
  return out;
}

/** Percent-encoding that survives lone surrogates (the generators make them on purpose; the wire cannot carry them). */
const enc = (value: string): string => encodeURIComponent(value.replace(/[\ud800-\udfff]/g, (c, i: number, all: string) => (isPaired(all, i) ? c : '\ufffd')));
const isPaired = (all: string, i: number): boolean => {
  const code = all.charCodeAt(i);
  return code < 0xdc00 ? (all.charCodeAt(i + 1) & 0xfc00) === 0xdc00 : (all.charCodeAt(i - 1) & 0xfc00) === 0xd800;
};

const encodeForm = (value: unknown): string => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${enc(k)}=${enc(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join('&');
};

/** Raw bodies that no schema describes: broken encodings, truncated JSON, a deep nest. */
const rawBodies = fc.constantFrom('{', '{"a":', '[]', 'null', '"x"', '%', 'a=%E0%A4%A', 'a=1&a=2', '\u0000', '['.repeat(5000), 'x'.repeat(100_000));

function authHeaders(op: JsonSchema, credentials: FuzzCredentials): fc.Arbitrary<Record<string, string>> {
  const token = fc.oneof(
    fc.constantFrom(...(credentials.tokens.length > 0 ? credentials.tokens : ['none'])),
    nastyString(),
    fc.constant('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'),
  );
  const basic = credentials.basic?.length ? fc.constantFrom(...credentials.basic) : fc.constant('a:b');
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: op.security ? 4 : 1, arbitrary: token.map((t) => ({ 'csp-auth-token': t })) },
    { weight: op.security ? 2 : 1, arbitrary: token.map((t) => ({ authorization: `Bearer ${t}` })) },
    { weight: 1, arbitrary: fc.tuple(basic, fc.boolean()).map(([b, real]) => ({ authorization: `Basic ${real ? Buffer.from(b).toString('base64') : b}` })) },
    { weight: 1, arbitrary: nastyString().map((v) => ({ authorization: v })) },
  );
}

function queryString(doc: unknown, op: JsonSchema): fc.Arbitrary<string> {
  const params = ((op.parameters ?? []) as JsonSchema[]).map((p) => resolveRef(doc, p) ?? {}).filter((p) => p.in === 'query');
  const entries = params.map((p) =>
    fc.option(fc.oneof(validValue(doc, p.schema), anyJson()).map((v) => `${enc(p.name)}=${enc(typeof v === 'string' ? v : JSON.stringify(v))}`)),
  );
  return fc.tuple(fc.tuple(...entries), fc.option(nastyString().map((v) => `${enc(v)}=${enc(v)}`))).map(([parts, extra]) => {
    const all = [...parts, extra].filter((x): x is string => x !== null);
    return all.length ? `?${all.join('&')}` : '';
  });
}

function pathArb(doc: unknown, path: string, op: JsonSchema): fc.Arbitrary<string> {
  const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  if (names.length === 0) return fc.constant(path);
  const params = ((op.parameters ?? []) as JsonSchema[]).map((p) => resolveRef(doc, p) ?? {});
  const values = names.map((n) => fc.oneof(validValue(doc, params.find((p) => p.in === 'path' && p.name === n)?.schema ?? { type: 'string' }), nastyString()));
  return fc.tuple(...values).map((vs) => names.reduce((p, n, i) => p.replace(`{${n}}`, enc(String(vs[i])) || 'x'), path));
}

function bodyArb(doc: unknown, op: JsonSchema): fc.Arbitrary<{ contentType?: string; body?: string }> {
  const content: Record<string, JsonSchema> = resolveRef(doc, op.requestBody)?.content ?? {};
  const choices: fc.Arbitrary<{ contentType?: string; body?: string }>[] = [fc.constant({})];
  for (const [type, media] of Object.entries(content)) {
    const value = fc.oneof({ weight: 3, arbitrary: validValue(doc, media.schema) }, { weight: 2, arbitrary: mutated(doc, media.schema) });
    const encode = type === 'application/x-www-form-urlencoded' ? encodeForm : (v: unknown) => JSON.stringify(v) ?? 'null';
    const contentType = type === '*/*' ? 'text/plain' : type;
    choices.push(value.map((v) => ({ contentType, body: encode(v) })));
  }
  choices.push(
    fc
      .tuple(rawBodies, fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml', ''))
      .map(([body, contentType]) => ({ contentType: contentType || undefined, body })),
  );
  return fc.oneof(...choices.map((arbitrary, i) => ({ weight: i === 0 ? 1 : 4, arbitrary })));
}

/** One arbitrary request: a documented operation (mostly) or a stray method/path, shaped as above. */
export function requestArbitrary(doc: any, credentials: FuzzCredentials): fc.Arbitrary<FuzzRequest> {
  const operations = operationsOf(doc);
  const documented = operations.map(({ method, path, op }) =>
    fc
      .tuple(pathArb(doc, path, op), queryString(doc, op), authHeaders(op, credentials), bodyArb(doc, op), fc.boolean())
      .map(([p, query, auth, body, requestId]) => {
        const headers: Record<string, string> = { ...auth };
        if (body.contentType) headers['content-type'] = body.contentType;
        if (requestId) headers['x-request-id'] = 'fuzz';
        return { method: body.body !== undefined && method === 'GET' ? 'POST' : method, path: `${p}${query}`, headers, body: body.body };
      }),
  );
  const stray = fc
    .tuple(
      fc.constantFrom(...operations.map((o) => o.path)),
      fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'),
      fc.constantFrom('', '/', '/x', '%2e%2e', '//'),
    )
    .map(([path, method, suffix]) => ({ method, path: `${path}${suffix}`, headers: {} }));
  return fc.oneof({ weight: 9, arbitrary: fc.oneof(...documented) }, { weight: 1, arbitrary: stray });
}

/** Sends `count` requests (`concurrency` at a time) and checks each answer: no 5xx, inside the document. */
export async function fuzzServer(options: {
  baseUrl: string;
  doc: any;
  credentials: FuzzCredentials;
  seed: number;
  count: number;
  concurrency?: number;
  onProgress?: (done: number) => void;
}): Promise<FuzzReport> {
  const { baseUrl, doc, credentials, seed, count, concurrency = 4 } = options;
  const report: FuzzReport = { seed, requests: 0, byStatus: {}, failures: [], operations: operationsOf(doc).length };
  const arbitrary = requestArbitrary(doc, credentials);
  const BATCH = 500;
  for (let start = 0; start < count; start += BATCH) {
    // Each batch has a seed of its own derived from the run's, so a long run never holds every request in memory.
    const batch = fc.sample(arbitrary, { seed: (seed + start * 2654435761) | 0, numRuns: Math.min(BATCH, count - start) });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const request = batch[next++]!;
        await sendAndCheck(baseUrl, doc, request, report);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    options.onProgress?.(report.requests);
  }
  return report;
}

/** Header values as HTTP can carry them: visible ASCII and spaces (the wire refuses the rest before any server sees it). */
const sendable = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace(/[^\x20-\x7e]/g, '').trim()]));

async function sendAndCheck(baseUrl: string, doc: any, generated: FuzzRequest, report: FuzzReport): Promise<void> {
  report.requests++;
  const request = { ...generated, headers: sendable(generated.headers) };
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${request.path}`, { method: request.method, headers: request.headers, body: request.body });
  } catch (error) {
    report.failures.push({ request, problem: `no answer: ${(error as Error).message} ${(error as { cause?: Error }).cause?.message ?? ''}` });
    return;
  }
  const text = await res.text();
  report.byStatus[res.status] = (report.byStatus[res.status] ?? 0) + 1;
  if (res.status >= 500) {
    report.failures.push({ request, status: res.status, problem: `5xx: ${text.slice(0, 300)}` });
    return;
  }
  try {
    checkResponseAgainstDocument(doc, request.method, request.path, res.status, text, res.headers.get('content-type'));
  } catch (error) {
    report.failures.push({ request, status: res.status, problem: (error as Error).message });
  }
}

/** A failure, short enough to read in a test message. */
export const describeFailure = (f: FuzzFailure): string =>
  `${f.request.method} ${f.request.path.slice(0, 200)} headers=${JSON.stringify(f.request.headers).slice(0, 200)} body=${JSON.stringify(f.request.body?.slice(0, 200))} → ${f.status ?? '-'}: ${f.problem.slice(0, 400)}`;
