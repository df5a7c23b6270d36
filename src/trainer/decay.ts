/**
 * Which parameters get weight decay, as timm's `param_groups_weight_decay`: no decay on 1-D
 * parameters (biases, norm scales and shifts), on anything named `*.bias`, and on the names a
 * ViT lists in `no_weight_decay()` (position embedding, class and distillation tokens).
 */
export const NO_WEIGHT_DECAY_NAMES: readonly string[] = ['pos_embed', 'cls_token', 'dist_token', 'reg_token'];

export function decays(name: string, shape: readonly number[], extraNoDecay: readonly string[] = []): boolean {
  if (shape.length <= 1) return false;
  if (name.endsWith('.bias')) return false;
  const leaf = name.split('.').pop() ?? name;
  return !NO_WEIGHT_DECAY_NAMES.includes(name) && !NO_WEIGHT_DECAY_NAMES.includes(leaf) && !extraNoDecay.includes(name);
}
