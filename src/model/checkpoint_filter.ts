/**
 * The one checkpoint filter (timm's `checkpoint_filter_fn`): recognises the naming of a state dict
 * by its keys and maps it to timm's VisionTransformer naming and PyTorch layouts, which
 * `fromTimmStateDict` then turns into our parameters.
 *
 * Hugging Face `transformers` hub naming (ViT and DeiT; prefix `vit.` / `deit.` or none), `P` = prefix:
 *   P.embeddings.cls_token → cls_token          P.embeddings.distillation_token → dist_token
 *   P.embeddings.position_embeddings → pos_embed
 *   P.embeddings.patch_embeddings.projection.{weight,bias} → patch_embed.proj.*
 *   P.encoder.layer.N.layernorm_before → blocks.N.norm1       …layernorm_after → blocks.N.norm2
 *   P.encoder.layer.N.attention.attention.{query,key,value} → blocks.N.attn.qkv (concatenated q,k,v, dim 0)
 *   P.encoder.layer.N.attention.output.dense → blocks.N.attn.proj
 *   P.encoder.layer.N.intermediate.dense → blocks.N.mlp.fc1    …output.dense → blocks.N.mlp.fc2
 *   P.layernorm → norm      classifier | cls_classifier → head      distillation_classifier → head_dist
 *   (ignored: P.pooler.*, P.embeddings.mask_token)
 * transformers ≥ 5 in-memory naming (state_dict() of a v5 model) is accepted too:
 *   P.layers.N.attention.{q,k,v}_proj → qkv, …attention.o_proj → attn.proj, P.layers.N.mlp.fc{1,2} → mlp.fc{1,2}.
 * timm naming passes through (a `module.` prefix is stripped). DeiT's two heads are averaged at
 * inference like DeiTForImageClassificationWithTeacher and timm's VisionTransformerDistilled.
 */
import { CheckpointError } from '../util/errors.js';
import { resamplePosEmbed } from './pos_embed.js';
import type { HostTensor, StateDict } from './safetensors.js';

export type CheckpointFormat = 'hf' | 'timm';

const HF_LAYER = /^(?:encoder\.layer|layers)\.(\d+)\.(.+)\.(weight|bias)$/;
const HF_RENAMES: Record<string, string> = {
  layernorm_before: 'norm1',
  layernorm_after: 'norm2',
  'attention.output.dense': 'attn.proj',
  'attention.o_proj': 'attn.proj',
  'intermediate.dense': 'mlp.fc1',
  'output.dense': 'mlp.fc2',
  'mlp.fc1': 'mlp.fc1',
  'mlp.fc2': 'mlp.fc2',
};
const QKV: Record<string, number> = { 'attention.attention.query': 0, 'attention.attention.key': 1, 'attention.attention.value': 2, 'attention.q_proj': 0, 'attention.k_proj': 1, 'attention.v_proj': 2 };
const HF_TOP: Record<string, string> = {
  'embeddings.cls_token': 'cls_token',
  'embeddings.distillation_token': 'dist_token',
  'embeddings.position_embeddings': 'pos_embed',
  'embeddings.patch_embeddings.projection.weight': 'patch_embed.proj.weight',
  'embeddings.patch_embeddings.projection.bias': 'patch_embed.proj.bias',
  'layernorm.weight': 'norm.weight',
  'layernorm.bias': 'norm.bias',
};
const HF_IGNORED = /^(pooler\.|embeddings\.mask_token$)/;

/** Which naming a state dict uses, from its keys. */
export function detectFormat(keys: Iterable<string>, file: string): CheckpointFormat {
  const list = [...keys];
  const strip = (k: string): string => k.replace(/^(vit|deit)\./, '');
  if (list.some((k) => /^(encoder\.layer|layers)\.\d+\./.test(strip(k)) || strip(k).startsWith('embeddings.'))) return 'hf';
  if (list.some((k) => /^(module\.)?(blocks\.\d+\.attn\.qkv\.weight|patch_embed\.proj\.weight)$/.test(k))) return 'timm';
  throw new CheckpointError(`unrecognised checkpoint naming (neither Hugging Face ViT/DeiT nor timm); first keys: ${list.slice(0, 5).join(', ')}`, { file });
}

function hfToTimm(sd: StateDict, file: string): StateDict {
  const out: StateDict = new Map();
  const qkv = new Map<string, (HostTensor | undefined)[]>();
  for (const [key, t] of sd) {
    const k = key.replace(/^(vit|deit)\./, '');
    const m = HF_LAYER.exec(k);
    if (HF_TOP[k]) out.set(HF_TOP[k], t);
    else if (/^(classifier|cls_classifier)\.(weight|bias)$/.test(k)) out.set(`head.${k.split('.')[1]}`, t);
    else if (/^distillation_classifier\.(weight|bias)$/.test(k)) out.set(`head_dist.${k.split('.')[1]}`, t);
    else if (m && HF_RENAMES[m[2]]) out.set(`blocks.${m[1]}.${HF_RENAMES[m[2]]}.${m[3]}`, t);
    else if (m && QKV[m[2]] !== undefined) {
      const name = `blocks.${m[1]}.attn.qkv.${m[3]}`;
      const parts = qkv.get(name) ?? [undefined, undefined, undefined];
      parts[QKV[m[2]]] = t;
      qkv.set(name, parts);
    } else if (!HF_IGNORED.test(k)) throw new CheckpointError(`unexpected Hugging Face key ${JSON.stringify(key)}`, { file });
  }
  for (const [name, parts] of qkv) out.set(name, concatRows(name, parts, file));
  return out;
}

function concatRows(name: string, parts: (HostTensor | undefined)[], file: string): HostTensor {
  const [q, k, v] = parts;
  if (!q || !k || !v) throw new CheckpointError(`${name}: query, key and value are not all present`, { file });
  const same = [k, v].every((t) => t.shape.join() === q.shape.join());
  if (!same) throw new CheckpointError(`${name}: query/key/value shapes differ: [${q.shape}] [${k.shape}] [${v.shape}]`, { file });
  const data = new Float32Array(q.data.length * 3);
  [q, k, v].forEach((t, i) => data.set(t.data, i * q.data.length));
  return { shape: [q.shape[0] * 3, ...q.shape.slice(1)], data };
}

export interface FilterTarget {
  /** The target patch grid [rows, cols]: pos_embed is resampled when the checkpoint's differs. */
  grid: [number, number];
  /** Prefix tokens of the target (1, or 2 when distilled). */
  prefix: number;
  /** The checkpoint's grid when it is not square (else inferred). */
  sourceGrid?: [number, number];
}

/**
 * The checkpoint filter: any supported naming → timm naming and layouts, with pos_embed resampled
 * to `target.grid`. Throws CheckpointError naming `file` and the offending key.
 */
export function checkpointFilter(sd: StateDict, target: FilterTarget, file: string): { format: CheckpointFormat; state: StateDict } {
  const format = detectFormat(sd.keys(), file);
  const state: StateDict = format === 'hf' ? hfToTimm(sd, file) : new Map([...sd].map(([k, t]) => [k.replace(/^module\./, ''), t]));
  const pos = state.get('pos_embed');
  const [gh, gw] = target.grid;
  if (pos && pos.shape.length === 3 && pos.shape[1] !== target.prefix + gh * gw) {
    try {
      state.set('pos_embed', resamplePosEmbed(pos, target.prefix, target.grid, target.sourceGrid));
    } catch (err) {
      throw new CheckpointError(`pos_embed [${pos.shape}] cannot be resampled to a ${gh}×${gw} grid with ${target.prefix} prefix tokens: ${(err as Error).message}`, { file, cause: err });
    }
  }
  return { format, state };
}
