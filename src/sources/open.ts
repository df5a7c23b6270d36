/** Opening an image source from its config: the one dispatch on `kind`, through the registry. */
import { InputError, show } from '../util/errors.js';
import { SOURCE_KINDS, SOURCE_REGISTRY, type SourceOpener } from './registry.js';
import type { Source, SourceConfig } from './types.js';

/** Opens the source a config describes (dispatching on `kind`). */
export async function openSource(config: SourceConfig): Promise<Source> {
  const opener = (SOURCE_REGISTRY as Record<string, SourceOpener<SourceConfig['kind']> | undefined>)[config.kind];
  if (!opener) throw new InputError(`unknown source kind ${show(config.kind)}; known: ${SOURCE_KINDS.join(', ')}`);
  return opener(config);
}
