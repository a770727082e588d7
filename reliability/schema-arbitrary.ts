// fast-check arbitraries generated from the JSON Schemas in the server's OpenAPI document (which Fastify
// builds from the routes' TypeBox schemas), so the property tests and the fuzzer cover every route that
// exists, including routes added after this file was written.
import fc from 'fast-check';

export type JsonSchema = Record<string, any>;

/** Follows a local `#/...` reference inside the document. */
export function resolveRef(doc: unknown, schema: JsonSchema | undefined): JsonSchema | undefined {
  let current = schema;
  for (let hops = 0; current?.$ref && hops < 16; hops++) {
    const ref = String(current.$ref);
    if (!ref.startsWith('#/')) return {};
    current = ref
      .slice(2)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<any>((node, key) => node?.[key], doc);
  }
  return current;
}

/** Strings that break careless code: odd Unicode, control characters, injection shapes, huge numbers. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202e',
  '\ud800',
  'ＫＥＬＶＩＮ\u212a',
  '123456',
  '000000',
  '99999999999999999999',
  '-1',
  '1e309',
  'NaN',
  '__proto__',
  'constructor',
  "' OR 1=1 --",
  '%00',
  '%',
  '%E0%A4%A',
  '../../etc/passwd',
  '<script>',
  '{"a":1}',
  'a'.repeat(300),
];

export const nastyString = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...NASTY_STRINGS),
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );

/** Any JSON value, shallow: what a mutation puts where the schema wants something else. */
export const anyJson = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, -(2 ** 63), 8.64e15 + 1, 1e308),
    nastyString(),
    fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), { maxKeys: 3 }),
  );

/** A value the schema accepts (as far as type, required, enum, lengths and ranges go). */
export function validValue(doc: unknown, schemaIn: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolveRef(doc, schemaIn) ?? {};
  if (depth > 6) return fc.constant(null);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives) && alternatives.length > 0) return fc.oneof(...alternatives.map((s: JsonSchema) => validValue(doc, s, depth + 1)));
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0)
    return validValue(doc, Object.assign({}, ...schema.allOf.map((s: JsonSchema) => resolveRef(doc, s))), depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      const minLength = schema.minLength ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 64, 300));
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      return fc.oneof(
        fc.string({ minLength, maxLength }),
        fc.stringMatching(/^[0-9]{6}$/),
        fc.constantFrom(...NASTY_STRINGS.filter((s) => s.length >= minLength && s.length <= maxLength)),
      );
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -(2 ** 31), max: schema.maximum ?? 2 ** 31 - 1 });
    case 'number':
      return fc.oneof(
        fc.integer({ min: schema.minimum ?? 0, max: schema.maximum ?? 8.64e15 }),
        fc.double({ min: schema.minimum ?? -1e20, max: schema.maximum ?? 1e20, noNaN: true }),
        fc.constant(Date.now()),
      );
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(validValue(doc, schema.items, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 5, 25) });
    case 'object':
    default: {
      const properties: Record<string, JsonSchema> = schema.properties ?? {};
      const required = new Set<string>(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, s] of Object.entries(properties)) record[name] = validValue(doc, s, depth + 1);
      if (Object.keys(record).length === 0) return type === 'object' ? fc.constant({}) : anyJson();
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
    }
  }
}

/** One small change to a valid value: a field of the wrong type, a field removed, an unknown field, a huge value. */
export function mutated(doc: unknown, schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  return fc
    .tuple(validValue(doc, schema), fc.nat(), anyJson(), fc.constantFrom('replace', 'remove', 'add', 'whole', 'huge'))
    .map(([value, pick, junk, how]) => {
      if (how === 'whole' || value === null || typeof value !== 'object' || Array.isArray(value)) return junk;
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      const keys = Object.keys(copy);
      const key = keys.length > 0 ? keys[pick % keys.length]! : 'unexpected';
      if (how === 'replace') copy[key] = junk;
      else if (how === 'remove') delete copy[key];
      else if (how === 'huge') copy[key] = 'x'.repeat(70_000);
      else copy[`x${pick % 100}`] = junk;
      return copy;
    });
}
