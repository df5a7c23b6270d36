/**
 * The project's JSON Schemas (schemas/*.json), compiled once with ajv (draft 2020-12): the one
 * source of truth for the pipeline file and the manifest. Works from src/ (tsx) and from the
 * compiled dist/src/ alike. Errors come back as a JSON path and a message.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { show } from './errors.js';

export type SchemaName = 'pipeline.schema.json' | 'manifest.schema.json';

/** Where schemas/<name> lives, from src/util or dist/src/util. */
export function schemaPath(name: SchemaName): string {
  const candidates = [`../../schemas/${name}`, `../../../schemas/${name}`].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}

const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: false, verbose: true });
const loaded = new Map<SchemaName, string>();

/** The compiled schema `name`, or its sub-schema at `fragment` (e.g. `#/$defs/meta`). */
export function compiledSchema(name: SchemaName, fragment = ''): ValidateFunction {
  if (!loaded.has(name)) {
    const schema = JSON.parse(readFileSync(schemaPath(name), 'utf8')) as { $id?: string };
    const id = schema.$id ?? name;
    ajv.addSchema(schema, id);
    loaded.set(name, id);
  }
  const fn = ajv.getSchema(`${loaded.get(name)}${fragment}`);
  if (!fn) throw new Error(`no schema ${name}${fragment}`);
  return fn;
}

/** JSON pointer `/stages/3/keep` → JSON path `$.stages[3].keep` (relative to `root`). */
export function pointerToPath(pointer: string, root = '$'): string {
  let out = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : /^[A-Za-z_$][\w$]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  }
  return out;
}

const COMBINATORS = new Set(['if', 'oneOf', 'anyOf', 'allOf', 'not']);

/** Picks the most specific schema error: not a combinator, deepest path, unknown keys first. */
export function bestError(errors: readonly ErrorObject[]): ErrorObject {
  const concrete = errors.filter((e) => !COMBINATORS.has(e.keyword));
  const pool = concrete.length > 0 ? concrete : errors;
  return [...pool].sort((a, b) => {
    const depth = b.instancePath.split('/').length - a.instancePath.split('/').length;
    if (depth !== 0) return depth;
    return Number(b.keyword === 'additionalProperties') - Number(a.keyword === 'additionalProperties');
  })[0] as ErrorObject;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** One schema error as a JSON path and a message. */
export function describeSchemaError(err: ErrorObject, root = '$', schemaFile = 'the schema'): { path: string; message: string } {
  let path = pointerToPath(err.instancePath, root);
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties':
      path = `${path}.${String(p.additionalProperty)}`;
      return { path, message: `unknown key (not allowed here; check the spelling against ${schemaFile})` };
    case 'required':
      return { path, message: `missing required key ${show(p.missingProperty)}` };
    case 'enum':
      return { path, message: `expected one of ${show(p.allowedValues)}` };
    case 'const':
      return { path, message: `expected ${show(p.allowedValue)}` };
    case 'type':
      return { path, message: `expected ${article(String(p.type))}, got ${show(err.data)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `expected ${(err.parentSchema as { type?: unknown } | undefined)?.type === 'integer' ? 'an integer' : 'a number'} ${String(p.comparison)} ${String(p.limit)}, got ${show(err.data)}` };
    default:
      return { path, message: err.message ?? err.keyword };
  }
}

/** Validates `value` against a schema; returns null, or the best error as a path and a message. */
export function schemaError(name: SchemaName, value: unknown, fragment = '', root = '$'): { path: string; message: string } | null {
  const validate = compiledSchema(name, fragment);
  if (validate(value)) return null;
  return describeSchemaError(bestError(validate.errors ?? []), root, `schemas/${name}`);
}
