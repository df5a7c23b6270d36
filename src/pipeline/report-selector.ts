/**
 * The report's selector section: for each train stage of the report's paths that was evaluated as
 * EViT (`evitEval`), its dense accuracy and its accuracy with pruning at each rate, per run, read
 * from the runs' summary.json.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StageContext } from './context.js';
import type { ReportStage, TrainStage } from './types.js';
import type { TrainSummary } from '../trainer/outputs.js';
import { trainRuns } from './stages/train.js';
import { formatPct as pct } from './report.js';

export async function selectorSection(ctx: StageContext, report: ReportStage): Promise<string[]> {
  const names = [...new Set(report.paths.map((p) => p.train))];
  type Evaluated = TrainStage & { evitEval: NonNullable<TrainStage['evitEval']> };
  const stages = names.map((n) => ctx.stage(n)).filter((s): s is Evaluated => s.kind === 'train' && s.evitEval !== undefined);
  if (stages.length === 0) return [];
  const lines = ['## Selector: dense and with EViT pruning', '', `| stage | seed | eval set | epochs | early stop | dense | ${stages[0].evitEval.rates.map((r) => `EViT r=${r}`).join(' | ')} |`];
  lines.push(`|${'---|'.repeat(6 + stages[0].evitEval.rates.length)}`);
  for (const stage of stages) {
    for (const run of trainRuns(ctx, stage)) {
      const s = JSON.parse(await readFile(join(run.out, 'summary.json'), 'utf8')) as TrainSummary;
      for (const [set, byRate] of Object.entries(s.evit ?? {})) {
        const rates = stage.evitEval.rates.map((r) => pct(byRate[String(r)]));
        lines.push(`| ${stage.name} | ${run.seed} | ${set} | ${s.epochs} | ${s.stoppedEarly ? 'yes' : 'no'} | ${pct(s.eval[set]?.final.acc)} | ${rates.join(' | ')} |`);
      }
    }
  }
  return [...lines, ''];
}
