// Checks every response a behaviour test receives against the server's own OpenAPI document, so the
// document cannot drift from what the server does: an undocumented status or a body that does not
// match the documented schema fails the test that received it.
import type { FastifyInstance } from 'fastify';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

const DOC_ID = 'openapi.json';
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

interface Operation {
  pattern: RegExp;
  path: string;
  method: string;
  statuses: Record<string, { schemaPointer?: string }>;
}

interface CompiledDocument {
  operations: Operation[];
  validate(pointer: string, body: unknown): string | undefined;
}

/** One compiled checker per distinct document: test files start many servers that share one document. */
const compiled = new Map<string, CompiledDocument>();
const byApp = new WeakMap<FastifyInstance, CompiledDocument>();
const byDocument = new WeakMap<object, CompiledDocument>();

const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

function compile(doc: any): CompiledDocument {
  const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
  // ajv-formats ships as CommonJS with a default export; both import shapes occur.
  const add = ((addFormats as any).default ?? addFormats) as (a: unknown) => void;
  add(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= INT32.min && n <= INT32.max });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addSchema(doc, DOC_ID);

  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
    for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']) {
      const op = item[method];
      if (!op) continue;
      const statuses: Operation['statuses'] = {};
      for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
        const json = response.content?.['application/json'];
        statuses[status] = json?.schema
          ? { schemaPointer: `#/paths/${escapePointer(path)}/${method}/responses/${status}/content/application~1json/schema` }
          : {};
      }
      operations.push({ pattern, path, method: method.toUpperCase(), statuses });
    }
  }

  const validators = new Map<string, ValidateFunction>();
  return {
    operations,
    validate(pointer, body) {
      let v = validators.get(pointer);
      if (!v) validators.set(pointer, (v = ajv.compile({ $ref: `${DOC_ID}${pointer}` })));
      return v(body) ? undefined : ajv.errorsText(v.errors, { dataVar: 'body' });
    },
  };
}

async function documentFor(app: FastifyInstance): Promise<CompiledDocument> {
  let checker = byApp.get(app);
  if (checker) return checker;
  const doc = app.swagger();
  const key = JSON.stringify(doc);
  checker = compiled.get(key);
  if (!checker) compiled.set(key, (checker = compile(JSON.parse(key))));
  byApp.set(app, checker);
  return checker;
}

/** The compiled document of an app, for tests that look at operations directly. */
export const openApiOperations = async (app: FastifyInstance): Promise<ReadonlyArray<Omit<Operation, 'pattern'>>> => (await documentFor(app)).operations;

export class OpenApiMismatch extends Error {
  override name = 'OpenApiMismatch';
}

/**
 * Throws when a response contradicts the document: a documented operation answering with a status
 * it does not list, or a JSON body that its schema rejects. Requests outside the document (unknown
 * paths, the page at /mfa, /docs, /metrics) are not operations: their errors must still be a
 * CspErrorResponse, everything else is not checked.
 */
export async function checkResponse(
  app: FastifyInstance,
  method: string,
  url: string,
  status: number,
  bodyText: string,
  contentType: string | null,
): Promise<void> {
  checkAgainst(await documentFor(app), method, url, status, bodyText, contentType);
}

/** The same check against a document read from a server over HTTP (the fuzzer's case: no app object at hand). */
export function checkResponseAgainstDocument(
  document: unknown,
  method: string,
  url: string,
  status: number,
  bodyText: string,
  contentType: string | null,
): void {
  let checker = byDocument.get(document as object);
  if (!checker) {
    const key = JSON.stringify(document);
    checker = compiled.get(key);
    if (!checker) compiled.set(key, (checker = compile(JSON.parse(key))));
    byDocument.set(document as object, checker);
  }
  checkAgainst(checker, method, url, status, bodyText, contentType);
}

function checkAgainst(doc: CompiledDocument, method: string, url: string, status: number, bodyText: string, contentType: string | null): void {
  const path = new URL(url, 'http://x').pathname;
  const upper = method.toUpperCase();
  if (upper === 'HEAD') return;
  const operation = doc.operations.find((op) => op.method === upper && op.pattern.test(path));
  const where = `${upper} ${path} → ${status}`;
  let pointer: string | undefined;
  if (operation) {
    const documented = operation.statuses[String(status)] ?? operation.statuses[`${String(status)[0]}XX`] ?? operation.statuses.default;
    if (!documented)
      throw new OpenApiMismatch(`${where}: status not documented for ${upper} ${operation.path} (documented: ${Object.keys(operation.statuses).join(', ')})`);
    pointer = documented.schemaPointer;
  } else if (status >= 400) {
    pointer = '#/components/schemas/CspErrorResponse';
  }
  // 204/304 carry no body whatever the schema says (Fastify documents an empty reply as type null).
  if (!pointer || status === 204 || status === 304) return;
  if (!contentType?.startsWith('application/json')) throw new OpenApiMismatch(`${where}: expected application/json, got ${contentType}`);
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw new OpenApiMismatch(`${where}: body is not JSON: ${bodyText.slice(0, 200)}`);
  }
  const problem = doc.validate(pointer, body);
  if (problem) throw new OpenApiMismatch(`${where}: body does not match the document (${problem}): ${bodyText.slice(0, 300)}`);
}

/** Checks a fetch() Response without consuming it: the test still reads the original. */
export async function checkFetchResponse(app: FastifyInstance, method: string, url: string, res: Response): Promise<void> {
  const text = await res.clone().text();
  await checkResponse(app, method, url, res.status, text, res.headers.get('content-type'));
}
