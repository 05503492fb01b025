import type { ResolvedSpec } from './spec.ts';

/** config.json contents in HuggingFace transformers' style for the spec's family. */
export function hfConfig(s: ResolvedSpec): Record<string, unknown> {
  const dtype = s.dtype === 'float16' ? { torch_dtype: 'float16' } : {};
  return { ...familyConfig(s), ...dtype };
}

function familyConfig(s: ResolvedSpec): Record<string, unknown> {
  if (s.family === 'neox') {
    return {
      model_type: 'gpt_neox',
      architectures: ['GPTNeoXForCausalLM'],
      vocab_size: s.vocab,
      hidden_size: s.d,
      num_attention_heads: s.heads,
      num_hidden_layers: s.layers,
      intermediate_size: s.ffn,
      rotary_pct: s.rotaryPct,
      rotary_emb_base: s.theta,
      use_parallel_residual: true,
      max_position_embeddings: s.ctx,
      layer_norm_eps: s.eps,
      hidden_act: 'gelu',
      tie_word_embeddings: false,
    };
  }
  if (s.family === 'gpt2') {
    return {
      model_type: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      vocab_size: s.vocab,
      n_embd: s.d,
      n_head: s.heads,
      n_layer: s.layers,
      n_positions: s.ctx,
      n_inner: s.ffn === 4 * s.d ? null : s.ffn,
      activation_function: 'gelu_new',
      layer_norm_epsilon: s.eps,
      tie_word_embeddings: true,
    };
  }
  const gemma = s.family === 'gemma' || s.family === 'gemma2';
  const gemma2 =
    s.family === 'gemma2'
      ? {
          query_pre_attn_scalar: s.queryPreAttnScalar,
          attn_logit_softcapping: s.attnSoftcap,
          final_logit_softcapping: s.finalSoftcap,
          // prompts stay shorter than the window: no layer ever masks by it
          sliding_window: s.ctx,
          hidden_activation: 'gelu_pytorch_tanh',
        }
      : {};
  return {
    model_type: s.family,
    architectures: [{ llama: 'LlamaForCausalLM', gemma: 'GemmaForCausalLM', gemma2: 'Gemma2ForCausalLM' }[s.family]],
    vocab_size: s.vocab,
    hidden_size: s.d,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    head_dim: s.headDim,
    intermediate_size: s.ffn,
    num_hidden_layers: s.layers,
    max_position_embeddings: s.ctx,
    rope_theta: s.theta,
    rms_norm_eps: s.eps,
    hidden_act: gemma ? 'gelu_pytorch_tanh' : 'silu',
    tie_word_embeddings: gemma,
    ...gemma2,
  };
}
