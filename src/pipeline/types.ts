import type { ViewsSpec } from '../views/spec.js';
/**
 * Pipeline file types (mirror schemas/pipeline.schema.json). A pipeline names its sources, the
 * patch geometry and an ordered list of stages; every stage is a library call.
 */
import type { WeightInit } from '../model/weights.js';
import type { SourceConfig } from '../sources/types.js';
import type { ResizeMode } from '../patchify/types.js';

export interface PatchifySpec {
  imageSize: number | [number, number];
  patchSize: number;
  channels?: 1 | 3;
  /** Set, these override the selector checkpoint's own preprocessing when scoring. */
  resize?: ResizeMode;
  cropPct?: number;
  /** Resize kernel: bicubic | bilinear | nearest | lanczos (or sharp's cubic | linear | lanczos3). */
  interpolation?: string;
  background?: [number, number, number];
  limitInputPixels?: number;
  mean?: number[];
  std?: number[];
  /** Images smaller than imageSize: warn (default), skip (recorded failure), upscale (silently). */
  smallImages?: 'warn' | 'skip' | 'upscale';
}

export interface MaterializeStage {
  kind: 'materialize';
  name: string;
  policy: 'full' | 'random' | 'ticket' | 'saliency' | 'prior' | 'oracle';
  sources: string[];
  keep?: number | number[];
  k?: number;
  keepFrom?: 'evit-rate';
  /** Policy ticket on an evit score stage with several rates: the chain to take the ticket from. */
  rate?: number;
  /** Policy ticket on evit scores: allow k ≠ the chain's survivor count (a rank prefix, not an EViT ticket). */
  rankPrefix?: boolean;
  /**
   * A score stage: policy ticket ranks by it; every policy decodes images as its selector does
   * (the same pixels on every path of a comparison). Without it, a stage decodes as the pipeline's
   * score stages' selector when they agree on one (src/pipeline/decode-as.ts).
   */
  scores?: string;
  /** "pipeline": decode with the pipeline's own patchify settings, not a selector's preprocessing. */
  preprocessing?: 'pipeline';
  /** Policy oracle: per source name, the IDX file of its images' object masks (mask i = the source's image i). */
  masks?: Record<string, string>;
  /** Policy prior: IDX object masks (e.g. the training split's) whose most frequent object positions it keeps; absent: the grid's centre. */
  priorMasks?: string;
  seed?: number;
  preview?: boolean;
  /** How rows store their patches: raw (default) or one JPEG per row (meta.patchEncoding). */
  patchEncoding?: 'raw' | 'jpeg';
  /** With patchEncoding jpeg: quality 1–100 (default 90). */
  jpegQuality?: number;
}

export interface ScoreStage {
  kind: 'score';
  name: string;
  /** A train stage, a checkpoint, or (a control) an untrained selector: random weights of a named variant. */
  selector: string | { checkpoint: string; model?: string } | { init: 'random'; model: string; seed?: number };
  sources: string[];
  mode?: 'evit' | 'cls-attn' | 'rollout';
  /** evit: one keep rate, or several (one chain each per batch, all stored). */
  rate?: number | number[];
  blocks?: number[];
  layer?: number;
  batchSize?: number;
  /** K views of each image (K rows per image: view 0 plain, 1…K−1 random-resized crops), or K with its crop options. */
  views?: ViewsSpec;
}

/**
 * A train stage's token augmentations, timm's names (loader/augment/tokens.ts): colour jitter,
 * token random erasing, token mixup/cutmix (soft targets smoothed by the stage's labelSmoothing).
 */
export interface TrainAugmentSpec {
  colorJitter?: number | number[];
  reprob?: number;
  remode?: 'const' | 'rand' | 'pixel';
  recount?: number;
  mixupAlpha?: number;
  cutmixAlpha?: number;
  mixProb?: number;
  switchProb?: number;
}

export interface TrainStage {
  kind: 'train';
  name: string;
  model: string;
  train: string;
  eval?: string[];
  keep?: number[];
  seeds?: number[];
  epochs?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  warmupEpochs?: number;
  labelSmoothing?: number;
  clipNorm?: number;
  flip?: boolean;
  /** Processes that share each step of every run of the stage (trainer `dataParallel`). */
  dataParallel?: number;
  /** The initial weights' scheme, timm's names (trainer `weightInit`): `timm` (default) or `jax`. */
  weightInit?: WeightInit;
  /** Train on a random k-subset of each row's patches, redrawn every epoch (trainer `subset`). */
  subset?: number;
  /** Replace every patch by the dataset mean colour, in training and evaluation (trainer `content: 'mean'`). */
  positionsOnly?: boolean;
  /** Augmentations of the training batches exact on the kept patches (trainer `augment`; docs/augment.md). */
  augment?: TrainAugmentSpec;
  /** Stop once evaluation reference `eval` has not improved for `patience` epochs. */
  stopWhen?: { eval: string; patience: number };
  /** Evaluate every this many epochs and after the last (default 1). */
  evalEvery?: number;
  /** After training, the accuracy of the model run as EViT (one chain per rate) on full-grid eval sets. */
  evitEval?: { rates: number[]; blocks: number[] };
}

export interface ReportPath {
  label: string;
  train: string;
  eval: string;
}

/**
 * A pass rule stated in the report before its numbers, and the verdict it gives
 * (src/pipeline/report-rule.ts, report-verdict.ts). Margins are max(sdMultiplier × pooled seed sd, minGap).
 */
export interface ReportRule {
  /** The path label that should win (e.g. "(a) …"). */
  ticket: string;
  /** Path labels it must beat at every kept fraction by the margin. */
  controls: string[];
  /** The position-only path label: must stay max(margin, `positionGap`) below the ticket path. */
  positionOnly?: string;
  sdMultiplier?: number;
  positionGap?: number;
  /** Floor of every margin (accuracy fraction): margin = max(sdMultiplier × pooled sd, minGap). Default 0. */
  minGap?: number;
  /** The all-patches path (c): (c) − ticket < max(sdMultiplier × pooled sd of the two, minGap) at every kept fraction (ticket above (c) allowed). */
  dense?: string;
  /** Conditions under which the experiment can decide anything: one unmet makes the verdict "inconclusive". */
  validity?: ReportValidity;
  /** A run whose final accuracy is ≤ chance (1 / classes) + chanceMargin is a failed run, not averaged in. Default 0.02. */
  chanceMargin?: number;
  /** Path labels where chance is the expected outcome: their at-chance runs are averaged in, marked. */
  chanceExpected?: string[];
}

/** Validity conditions of a pass rule (the per-patch rule recall condition is `ReportRecall.maxRuleGap`). */
export interface ReportValidity {
  /** Each path's mean final accuracy over its successful runs must reach `min` at every kept fraction it was run at. */
  minAccuracy?: ReportMinAccuracy[];
}

export interface ReportMinAccuracy {
  path: string;
  min: number;
}

/**
 * Object recall per policy on the test split, from materialized datasets and the object masks
 * (src/pipeline/report-recall.ts): the mean share of each image's object patches that the kept
 * positions hold, beside random's (k / N) and the per-patch pixel rules' on `full`.
 */
export interface ReportRecall {
  /** IDX object masks of the datasets' source images (mask i = the file's image i; rows matched by their id's index). */
  masks: string;
  /** The datasets to measure, one row of the recall table per label. */
  datasets: ReportRecallDataset[];
  /** A dataset of policy full of the same images: the pixels the per-patch rules rank. */
  full: string;
  /** Validity: every per-patch rule within ±maxRuleGap of random at every k used (absent: no condition). */
  maxRuleGap?: number;
}

export interface ReportRecallDataset {
  label: string;
  /** A materialized dataset reference, `<stage>[@<keep>]/<source>`. */
  ref: string;
}

export interface ReportStage {
  kind: 'report';
  name: string;
  title?: string;
  paths: ReportPath[];
  rule?: ReportRule;
  recall?: ReportRecall;
}

export type Stage = MaterializeStage | ScoreStage | TrainStage | ReportStage;
export type StageKind = Stage['kind'];

/** How the sharded stages write their shards. */
export interface ShardsSpec {
  /** Record-batch body compression (default none). */
  compression?: 'none' | 'lz4' | 'zstd';
}

export interface Pipeline {
  name: string;
  description?: string;
  seed?: number;
  concurrency?: number;
  maxFailures?: number;
  shardBytes?: number;
  shards?: ShardsSpec;
  backend?: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  sources: Record<string, SourceConfig>;
  patchify: PatchifySpec;
  stages: Stage[];
}

/** A pipeline as loaded: validated, with paths resolved against the file's directory. */
export interface LoadedPipeline {
  file: string;
  dir: string;
  pipeline: Pipeline;
}
