import { PipelineError } from '../util/errors.js';
import { schemaError } from '../util/schemas.js';
import type { Pipeline } from './types.js';
import { checkSemantics } from './semantics.js';

export { pointerToPath } from '../util/schemas.js';

/**
 * Validates a parsed pipeline against the JSON Schema, then its semantics (references between
 * stages, patch geometry, keep values). Throws one PipelineError naming the JSON path.
 */
export function validatePipeline(value: unknown, file: string): Pipeline {
  const error = schemaError('pipeline.schema.json', value);
  if (error) throw new PipelineError(error.message, error.path, { file });
  const pipeline = value as Pipeline;
  checkSemantics(pipeline, file);
  return pipeline;
}
