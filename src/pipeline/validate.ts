import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { PipelineError, show } from '../util/errors.js';
import type { Pipeline } from './types.js';
import { checkSemantics } from './semantics.js';

// From src/pipeline (tsx) or dist/src/pipeline (compiled): the schema lives in the package's schemas/.
const schemaCandidates = ['../../schemas/pipeline.schema.json', '../../../schemas/pipeline.schema.json']
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
const schemaPath = schemaCandidates.find((p) => existsSync(p)) ?? schemaCandidates[0];
let compiled: ReturnType<Ajv2020['compile']> | undefined;

function validator(): ReturnType<Ajv2020['compile']> {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: false });
    compiled = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
  }
  return compiled;
}

/** JSON pointer `/stages/3/keep` → JSON path `$.stages[3].keep`. */
export function pointerToPath(pointer: string): string {
  let out = '$';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : /^[A-Za-z_$][\w$]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  }
  return out;
}

const COMBINATORS = new Set(['if', 'oneOf', 'anyOf', 'allOf', 'not']);

function describe(err: ErrorObject): { path: string; message: string } {
  let path = pointerToPath(err.instancePath);
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties':
      path = `${path}.${String(p.additionalProperty)}`;
      return { path, message: 'unknown key (not allowed here; check the spelling against schemas/pipeline.schema.json)' };
    case 'required':
      return { path, message: `missing required key ${show(p.missingProperty)}` };
    case 'enum':
      return { path, message: `expected one of ${show(p.allowedValues)}` };
    case 'const':
      return { path, message: `expected ${show(p.allowedValue)}` };
    case 'type':
      return { path, message: `expected ${String(p.type)}` };
    default:
      return { path, message: err.message ?? err.keyword };
  }
}

/** Picks the most specific schema error: not a combinator, deepest path, unknown keys first. */
function bestError(errors: ErrorObject[]): ErrorObject {
  const concrete = errors.filter((e) => !COMBINATORS.has(e.keyword));
  const pool = concrete.length > 0 ? concrete : errors;
  return [...pool].sort((a, b) => {
    const depth = b.instancePath.split('/').length - a.instancePath.split('/').length;
    if (depth !== 0) return depth;
    return Number(b.keyword === 'additionalProperties') - Number(a.keyword === 'additionalProperties');
  })[0];
}

/**
 * Validates a parsed pipeline against the JSON Schema, then its semantics (references between
 * stages, patch geometry, keep values). Throws one PipelineError naming the JSON path.
 */
export function validatePipeline(value: unknown, file: string): Pipeline {
  const validate = validator();
  if (!validate(value)) {
    const errors = validate.errors ?? [];
    const { path, message } = describe(bestError(errors));
    throw new PipelineError(message, path, { file });
  }
  const pipeline = value as Pipeline;
  checkSemantics(pipeline, file);
  return pipeline;
}
