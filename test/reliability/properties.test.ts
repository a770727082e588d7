// Property-based tests (fast-check) of every parser and pure rule: never an exception other than the
// documented refusal, round trips where they exist. Seeded so a failure reproduces; a seed that found a
// defect is kept below as a regression case.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { base32Decode, base32Encode, BASE32_ALPHABET, CROCKFORD_BASE32_ALPHABET } from '../../src/mfa/base32.js';
import { findMatchingStep, hotp, isWellFormedPasscode, timeStep, totpAt } from '../../src/mfa/totp.js';
import { generateRecoveryCodes, hashRecoveryCode, looksLikeRecoveryCode, normalizeRecoveryCode } from '../../src/mfa/recovery-codes.js';
import { isValidClientName, isValidOrgId, isValidUsername, MAX_NAME_LENGTH } from '../../src/principals/names.js';
import { parseFormBody } from '../../src/http/form-body.js';
import { AUDIT_PAGING, validateAuditRequest, type AuditLogRequest } from '../../src/audit/query.js';
import { AUDIT_ACTIONS } from '../../src/audit/record.js';
import { ApiError } from '../../src/errors.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { CliError, parseCommandArgs } from '../../src/cli/common.js';
import { operationsOf } from '../../reliability/fuzz.js';
import { mutated, resolveRef, validValue } from '../../reliability/schema-arbitrary.js';
import { checkResponse } from '../support/openapi-check.js';
import { startTestServer } from '../support/server.js';

const SEED = Number(process.env.PRINCIPAL_MFA_PROPERTY_SEED ?? 20261201);
const check = <T>(property: fc.IPropertyWithHooks<T> | fc.IProperty<T>, numRuns = 300): void => fc.assert(property, { seed: SEED, numRuns });
const expectRefusal = (thunk: () => unknown, kind: new (...a: any[]) => Error, code?: string): unknown => {
  try {
    return thunk();
  } catch (error) {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${(error as Error)?.stack}`);
    if (code) assert.equal((error as ApiError).code, code);
    return undefined;
  }
};
/** Lone surrogates replaced, as any encoder on the wire does. */
const wellFormed = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');
const anything = fc.oneof(fc.anything(), fc.string({ unit: 'binary', maxLength: 300 }));

describe('base32 (RFC 4648 and Crockford)', () => {
  it('decode(encode(bytes)) is bytes, and the encoding is canonical', () =>
    check(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = base32Encode(bytes);
        assert.deepEqual(base32Decode(text), bytes);
        assert.deepEqual(base32Decode(text.toLowerCase()), bytes);
        assert.match(text, /^[A-Z2-7]*$/);
        assert.equal(text.length, Math.ceil((bytes.length * 8) / 5));
      }),
    ));
  it('any text either decodes to bytes that encode back to its canonical spelling, or is a SyntaxError', () =>
    check(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[A-Za-z2-7=]{0,24}$/)), (text) => {
        const bytes = expectRefusal(() => base32Decode(text), SyntaxError) as Uint8Array | undefined;
        if (bytes) assert.equal(base32Encode(bytes), text.replace(/=+$/, '').toUpperCase());
      }),
      1000,
    ));
  it('Crockford encoding uses only its alphabet', () =>
    check(
      fc.property(fc.uint8Array({ maxLength: 32 }), (bytes) =>
        assert.ok([...base32Encode(bytes, CROCKFORD_BASE32_ALPHABET)].every((c) => CROCKFORD_BASE32_ALPHABET.includes(c))),
      ),
    ));
  it('the alphabets hold 32 distinct characters', () => {
    assert.equal(new Set(BASE32_ALPHABET).size, 32);
    assert.equal(new Set(CROCKFORD_BASE32_ALPHABET).size, 32);
  });
});

describe('TOTP window and replay arithmetic', () => {
  const secret = fc.uint8Array({ minLength: 1, maxLength: 64 });
  const now = fc.integer({ min: 0, max: 2 ** 42 });
  it('a code from any step within ±window of now matches a step within the window that has that code', () =>
    check(
      fc.property(secret, now, fc.integer({ min: 0, max: 3 }), fc.integer({ min: -3, max: 3 }), (s, nowMs, window, offset) => {
        const current = timeStep(nowMs);
        const step = current + offset;
        fc.pre(Math.abs(offset) <= window && step >= 0);
        const code = totpAt(s, step);
        const matched = findMatchingStep(s, code, nowMs, { window });
        assert.notEqual(matched, null);
        assert.ok(matched! >= current - window && matched! <= current + window && matched! >= step);
        assert.equal(totpAt(s, matched!), code);
      }),
    ));
  it('a match is always inside the window, and only for a well-formed code', () =>
    check(
      fc.property(
        secret,
        now,
        fc.integer({ min: 0, max: 10 }),
        fc.oneof(fc.stringMatching(/^[0-9]{6}$/), fc.string({ maxLength: 8 })),
        (s, nowMs, window, code) => {
          const matched = findMatchingStep(s, code, nowMs, { window });
          if (matched === null) return;
          assert.ok(isWellFormedPasscode(code));
          assert.ok(Math.abs(matched - timeStep(nowMs)) <= window);
          assert.equal(totpAt(s, matched), code);
        },
      ),
      1000,
    ));
  it('codes have exactly the asked number of ASCII digits; steps never go backwards in time', () =>
    check(
      fc.property(
        secret,
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 6, max: 10 }),
        fc.constantFrom('SHA1', 'SHA256', 'SHA512') as fc.Arbitrary<'SHA1'>,
        now,
        now,
        (s, counter, digits, algorithm, a, b) => {
          assert.match(hotp(s, counter, digits, algorithm), new RegExp(`^[0-9]{${digits}}$`));
          assert.ok(a <= b ? timeStep(a) <= timeStep(b) : timeStep(a) >= timeStep(b));
        },
      ),
    ));
  it('bad arguments are RangeErrors, never a wrong code', () =>
    check(
      fc.property(fc.oneof(fc.integer(), fc.double()), fc.oneof(fc.integer(), fc.double()), (digits, counter) => {
        expectRefusal(() => hotp(new Uint8Array([1]), counter, digits), RangeError);
        expectRefusal(() => findMatchingStep(new Uint8Array([1]), '123456', counter, { window: digits }), RangeError);
      }),
    ));
});

describe('recovery-code normalisation', () => {
  const variants = (code: string): fc.Arbitrary<string> =>
    fc.tuple(fc.boolean(), fc.constantFrom('-', ' ', '', ' - ', '\t')).map(([upper, sep]) => (upper ? code.toUpperCase() : code).split('-').join(sep));
  it('every way of typing a generated code normalises to the same canonical code, and its hash is stable', () =>
    check(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 10 }).chain((bytes) => {
          const [code] = generateRecoveryCodes(1, () => bytes);
          return fc.tuple(fc.constant(code!), variants(code!));
        }),
        ([code, typed]) => {
          const canonical = code.replace(/-/g, '');
          assert.equal(normalizeRecoveryCode(typed), canonical);
          assert.equal(hashRecoveryCode(canonical), hashRecoveryCode(normalizeRecoveryCode(code)!));
          assert.ok(looksLikeRecoveryCode(typed));
        },
      ),
    ));
  it('any input normalises to null or to 16 lowercase Crockford characters, and normalising is idempotent', () =>
    check(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[0-9a-zA-Z -]{16,24}$/)), (input) => {
        const normal = normalizeRecoveryCode(input);
        if (normal === null) return;
        assert.match(normal, /^[0-9abcdefghjkmnpqrstvwxyz]{16}$/);
        assert.equal(normalizeRecoveryCode(normal), normal);
      }),
      1000,
    ));
  it('hashRecoveryCode refuses anything not normalised', () =>
    check(
      fc.property(
        fc.string({ maxLength: 30 }),
        (input) => void (normalizeRecoveryCode(input) === input ? hashRecoveryCode(input) : assert.throws(() => hashRecoveryCode(input), TypeError)),
      ),
    ));
});

describe('username, org and client-name rules', () => {
  it('accept exactly 1-255 ASCII letters, digits and the listed marks; never throw for any value', () =>
    check(
      fc.property(fc.oneof(anything, fc.stringMatching(/^[A-Za-z0-9._@+-]{0,260}$/)), (value) => {
        const s = typeof value === 'string' ? value : null;
        assert.equal(isValidUsername(value), s !== null && s.length >= 1 && s.length <= MAX_NAME_LENGTH && [...s].every((c) => /[A-Za-z0-9._@+-]/.test(c)));
        assert.equal(isValidOrgId(value), s !== null && s.length >= 1 && s.length <= MAX_NAME_LENGTH && [...s].every((c) => /[A-Za-z0-9._-]/.test(c)));
        assert.equal(isValidClientName(value), s !== null && s.length >= 1 && s.length <= MAX_NAME_LENGTH);
      }),
      1000,
    ));
});

describe('form body parser', () => {
  it('round-trips what URLSearchParams encodes (unique names)', () =>
    check(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 40 }), { maxKeys: 6 }), (fields) => {
        const sent = Object.fromEntries(Object.entries(fields).map(([k, v]) => [wellFormed(k), wellFormed(v)]));
        fc.pre(Object.keys(sent).length === Object.keys(fields).length);
        assert.deepEqual({ ...parseFormBody(new URLSearchParams(sent).toString()) }, sent);
      }),
    ));
  it('any text parses to fields or is an invalid_request refusal, never another exception', () =>
    check(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.stringMatching(/^[a-z=&%0-9A-F+]{0,40}$/)), (text) => {
        const body = expectRefusal(() => parseFormBody(text), ApiError, 'invalid_request') as Record<string, string> | undefined;
        if (body) assert.equal(Object.getPrototypeOf(body), null);
      }),
      2000,
    ));
});

describe('audit filters and paging', () => {
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const number = fc.oneof(fc.integer({ min: -10, max: 20_000 }), fc.double(), fc.constantFrom(0, 1, 200, 201, 10_000, 10_001, 8.64e15, 8.64e15 + 1, 2 ** 53));
  const request: fc.Arbitrary<AuditLogRequest> = fc.record({
    startDate: number,
    endDate: number,
    actions: maybe(fc.array(fc.oneof(fc.constantFrom(...AUDIT_ACTIONS), fc.string({ maxLength: 70 })), { maxLength: 25 })),
    eventIds: maybe(fc.array(fc.string({ maxLength: 10 }), { maxLength: 25 })),
    deviceNames: maybe(fc.array(fc.string({ maxLength: 10 }), { maxLength: 25 })),
    pageStart: maybe(number),
    pageLimit: maybe(number),
  }) as fc.Arbitrary<AuditLogRequest>;
  it('either refuses with invalid_audit_request or yields paging within the documented bounds', () =>
    check(
      fc.property(request, fc.integer({ min: 0, max: 8.64e15 }), (req, nowMs) => {
        const paging = expectRefusal(() => validateAuditRequest(req, nowMs), ApiError, 'invalid_audit_request') as
          { startIndex: number; pageLimit: number } | undefined;
        if (!paging) return;
        assert.ok(req.endDate > req.startDate && req.startDate <= nowMs);
        assert.ok(Number.isSafeInteger(paging.startIndex) && paging.startIndex >= 1 && paging.startIndex <= AUDIT_PAGING.maxResults);
        assert.ok(Number.isSafeInteger(paging.pageLimit) && paging.pageLimit >= 1 && paging.pageLimit <= AUDIT_PAGING.maxLimit);
      }),
      2000,
    ));
});

describe('config and CLI argument parsing', () => {
  const flag = fc.oneof(
    fc.constantFrom(
      '--port',
      '--host',
      '--database',
      '--dev',
      '--trust-proxy',
      '--trusted-issuer',
      '--log-level',
      '--redis',
      '--issuer',
      '--public-url',
      '--json',
    ),
    fc.string({ maxLength: 12 }).map((s) => `--${s}`),
    fc.string({ maxLength: 20 }),
  );
  const argv = fc.array(fc.oneof(flag, fc.constantFrom('0', '65536', '-1', 'true', 'x', '', 'sqlite::memory:', 'http://[::1', 'debug')), { maxLength: 6 });
  it('loadConfig returns a config or throws ConfigError, for any argv and environment', () =>
    check(
      fc.property(
        argv,
        fc.dictionary(
          fc.constantFrom('PRINCIPAL_MFA_PORT', 'PRINCIPAL_MFA_HOST', 'PRINCIPAL_MFA_TRUST_PROXY', 'PRINCIPAL_MFA_TRUSTED_ISSUERS', 'PRINCIPAL_MFA_LOG_LEVEL'),
          fc.string({ maxLength: 20 }),
        ),
        (args, env) => {
          expectRefusal(() => loadConfig(args, env), ConfigError);
        },
      ),
      1000,
    ));
  it('admin command arguments parse or throw CliError', () =>
    check(
      fc.property(argv, (args) => void expectRefusal(() => parseCommandArgs(args, { username: { type: 'string' }, force: { type: 'boolean' } }), CliError)),
      1000,
    ));
});

describe('JSON and form bodies of every documented route (generated from the route schemas, plus mutations)', () => {
  it('never a 5xx, every answer inside the OpenAPI document, for valid and mutated bodies with a valid token', async () => {
    const server = await startTestServer();
    try {
      const doc = server.app.swagger() as any;
      const { accessToken } = await server.accessTokenFor();
      for (const { method, path, op } of operationsOf(doc)) {
        const content: Record<string, any> = resolveRef(doc, op.requestBody)?.content ?? {};
        for (const [type, media] of Object.entries(content)) {
          const body = fc.oneof(validValue(doc, media.schema), mutated(doc, media.schema));
          await fc.assert(
            fc.asyncProperty(body, async (value) => {
              const payload =
                type === 'application/json'
                  ? (JSON.stringify(value) ?? 'null')
                  : value && typeof value === 'object' && !Array.isArray(value)
                    ? new URLSearchParams(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString()
                    : String(value);
              const res = await server.app.inject({
                method: method as 'POST',
                url: path,
                payload,
                headers: { 'content-type': type === '*/*' ? 'text/plain' : type, 'csp-auth-token': accessToken },
              });
              assert.ok(res.statusCode < 500, `${method} ${path} ${payload.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`);
              await checkResponse(server.app, method, path, res.statusCode, res.body, String(res.headers['content-type'] ?? '') || null);
            }),
            { seed: SEED, numRuns: 40 },
          );
        }
      }
    } finally {
      await server.close();
    }
  });
});
