/**
 * Which preprocessing a materialize run decodes with, for every policy (full, random, saliency,
 * ticket): a comparison is fair only when all its paths see the same pixels. The reference is, in
 * order: a score dataset's recorded preprocessing (how its selector saw the images), a selector
 * checkpoint's own (HF processor, timm pretrained_cfg, dlth config), or the caller's patchify
 * config; explicit overrides (flags, pipeline fields) then apply on top, as they did when scoring.
 * Geometry the caller gave explicitly must agree with the reference: a contradiction is one
 * InputError, never a silent choice.
 */
import type { PatchifyConfig } from '../patchify/types.js';
import type { AppliedPreprocessing, DatasetMeta } from '../shards/types.js';
import { patchifyFromScores, checkGeometry } from '../scoring/meta.js';
import { patchifyOverridden, scoringPatchifyConfig, type PreprocessingOverrides } from '../preprocessing/resolve.js';
import { inspectSelector, type SelectorSpec } from '../scoring/selector.js';
import { InputError } from '../util/errors.js';

/** Geometry the caller asked for explicitly (a flag, a pipeline field); absent fields were not asked for. */
export interface RequestedGeometry {
  imageSize?: [number, number];
  patchSize?: number;
  channels?: 1 | 3;
}

/** Where the preprocessing comes from: a score dataset's metadata, or a selector checkpoint. */
export type DecodeReference =
  | { kind: 'scores'; meta: DatasetMeta; location: string }
  | { kind: 'checkpoint'; selector: SelectorSpec & { checkpoint: string } }
  | { kind: 'caller' };

export interface DecodePlan {
  cfg: PatchifyConfig;
  from: AppliedPreprocessing['from'];
}

interface Geometry {
  imageSize: readonly number[];
  patchSize: number;
  channels: number;
}

/** Explicit geometry must be the reference's; `what` names the reference in the message. */
export function checkRequested(requested: RequestedGeometry, ref: Geometry, what: string, file?: string): void {
  const diff: string[] = [];
  if (requested.imageSize && (requested.imageSize[0] !== ref.imageSize[0] || requested.imageSize[1] !== ref.imageSize[1])) {
    diff.push(`image size ${requested.imageSize.join('×')} (${what}: ${ref.imageSize.join('×')})`);
  }
  if (requested.patchSize !== undefined && requested.patchSize !== ref.patchSize) diff.push(`patch size ${requested.patchSize} (${what}: ${ref.patchSize})`);
  if (requested.channels !== undefined && requested.channels !== ref.channels) diff.push(`${requested.channels} channel(s) (${what}: ${ref.channels})`);
  if (diff.length > 0) {
    throw new InputError(`asked for ${diff.join(', ')}: drop those settings to decode as ${what} does, or use another reference`, file === undefined ? {} : { file });
  }
}

/** The PatchifyConfig (and its provenance) a materialize run decodes with. */
export async function decodePlan(ref: DecodeReference, requested: PatchifyConfig, overrides: PreprocessingOverrides, explicit: RequestedGeometry = {}): Promise<DecodePlan> {
  switch (ref.kind) {
    case 'scores': {
      checkRequested(explicit, ref.meta, 'the score dataset', ref.location);
      const cfg = patchifyFromScores(ref.meta, requested, overrides);
      return { cfg, from: ref.meta.preprocessing?.from ?? ref.meta.selector?.preprocessing?.from ?? 'default' };
    }
    case 'checkpoint': {
      const d = await inspectSelector(ref.selector);
      const model = { imageSize: d.config.imageSize, patchSize: d.config.patchSize, channels: d.config.channels };
      checkRequested(explicit, model, `selector ${d.name}`, ref.selector.checkpoint);
      const base: PatchifyConfig = { ...requested, imageSize: [model.imageSize[0], model.imageSize[1]], patchSize: model.patchSize, channels: model.channels === 1 ? 1 : 3 };
      const cfg = scoringPatchifyConfig(d.preprocessing, d.config, base, overrides);
      checkGeometry(d.config, cfg, d.name);
      return { cfg, from: d.preprocessing.from };
    }
    case 'caller':
      return { cfg: patchifyOverridden(requested, overrides), from: 'default' };
  }
}
