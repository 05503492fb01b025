import { constantTensor, indexGraph, type GraphIndex } from '../graph-index.ts';
import { DataType, readFloatTensor, type GraphProto, type NodeProto } from './proto.ts';

/** The domain of ONNX Runtime's contrib ops (FastGelu). */
export const MS_DOMAIN = 'com.microsoft';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Rewrites every tanh-approximated GELU of a float32 graph,
 *   0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))),
 * as one ONNX Runtime FastGelu node (com.microsoft), the rewrite ORT's own transformer
 * optimizer makes offline. Exports of GPT-2 (gelu_new) and Gemma (gelu_pytorch_tanh) spell
 * it as eight or nine elementwise nodes, each a pass over a [tokens, d_mlp] tensor (about 4%
 * of capture on the GPT-2-small bench); ORT's built-in fusion at session creation knows the
 * Pow(x, 3) spelling but not the x·(x·x) one those exports use. Only subgraphs whose
 * intermediates nothing else reads are rewritten, so every other tensor keeps its value.
 * Returns how many were fused; the caller re-sorts the graph and drops the dead constants.
 */
export function fuseTanhGelu(graph: GraphProto): number {
  const idx = indexGraph(graph);
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const drop = new Set<NodeProto>();
  const add: NodeProto[] = [];
  for (const tanh of graph.node ?? []) {
    if (tanh.opType !== 'Tanh' || (tanh.domain ?? '') !== '') continue;
    const m = matchGelu(tanh, idx, outputs);
    if (!m || m.nodes.some((n) => drop.has(n))) continue;
    for (const n of m.nodes) drop.add(n);
    add.push({
      opType: 'FastGelu',
      domain: MS_DOMAIN,
      name: `${tanh.name ?? 'Tanh'}/FastGeluFusion`,
      input: [m.x],
      output: [m.out],
      attribute: [],
    });
  }
  if (!add.length) return 0;
  graph.node = [...(graph.node ?? []).filter((n) => !drop.has(n)), ...add];
  return add.length;
}

/** The GELU around `tanh`: its input x, its output, and the nodes it replaces. */
function matchGelu(
  tanh: NodeProto,
  idx: GraphIndex,
  outputs: ReadonlySet<string>,
): { x: string; out: string; nodes: NodeProto[] } | undefined {
  /** The single reader of an intermediate tensor that no graph output exposes. */
  const onlyReader = (t: string | undefined): NodeProto | undefined => {
    if (!t || outputs.has(t)) return undefined;
    const readers = idx.consumers.get(t) ?? [];
    return readers.length === 1 ? readers[0] : undefined;
  };
  /** The producer of `t` when it is an `op` node that only `reader` reads. */
  const inner = (t: string | undefined, op: string, reader: NodeProto): NodeProto | undefined => {
    const p = t ? idx.producer.get(t) : undefined;
    return p && p.opType === op && (p.domain ?? '') === '' && onlyReader(t) === reader ? p : undefined;
  };
  /** A binary node's other input when one of its two is the float scalar `v`. */
  const byConst = (n: NodeProto, v: number): string | undefined => {
    const [a, b] = n.input ?? [];
    if (isScalar(idx, b, v)) return a;
    if (isScalar(idx, a, v)) return b;
    return undefined;
  };

  // √(2/π) · (x + 0.044715 · x³) → Tanh
  const scale = inner(tanh.input?.[0], 'Mul', tanh);
  const sum = scale && inner(byConst(scale, SQRT_2_OVER_PI), 'Add', scale);
  if (!sum) return undefined;
  let x: string | undefined;
  const front: NodeProto[] = [];
  for (const [cand, other] of [
    [sum.input?.[0], sum.input?.[1]],
    [sum.input?.[1], sum.input?.[0]],
  ] as const) {
    // 0.044715 · x³, x³ as x · (x · x), (x · x) · x or Pow(x, 3)
    const cubic = inner(other, 'Mul', sum);
    const cubeT = cubic && byConst(cubic, 0.044715);
    const cube = cubic && (inner(cubeT, 'Mul', cubic) ?? inner(cubeT, 'Pow', cubic));
    let cubeNodes: NodeProto[] | undefined;
    if (cube?.opType === 'Pow') {
      if (cube.input?.[0] === cand && isScalar(idx, cube.input?.[1], 3)) cubeNodes = [cube];
    } else if (cube) {
      const [a, b] = cube.input ?? [];
      const sq = a === cand ? b : b === cand ? a : undefined;
      const square = inner(sq, 'Mul', cube);
      if (square && square.input?.[0] === cand && square.input?.[1] === cand) cubeNodes = [square, cube];
    }
    if (cubic && cubeNodes) {
      x = cand;
      front.push(...cubeNodes, cubic);
      break;
    }
  }
  if (!x) return undefined;

  // (1 + tanh) · x · 0.5, in any of the orders exporters write it
  const onePlus = onlyReader(tanh.output?.[0]);
  if (!onePlus || onePlus.opType !== 'Add' || byConst(onePlus, 1) !== tanh.output?.[0]) return undefined;
  const m1 = onlyReader(onePlus.output?.[0]);
  if (!m1 || m1.opType !== 'Mul') return undefined;
  const other = m1.input?.[0] === onePlus.output?.[0] ? m1.input?.[1] : m1.input?.[0];
  const back: NodeProto[] = [onePlus, m1];
  let out: string | undefined;
  if (other === x) {
    // 0.5 · (x · (1 + tanh))
    const m2 = onlyReader(m1.output?.[0]);
    if (m2?.opType === 'Mul' && byConst(m2, 0.5) === m1.output?.[0]) {
      back.push(m2);
      out = m2.output?.[0];
    }
  } else if (isScalar(idx, other, 0.5)) {
    // x · (0.5 · (1 + tanh))
    const m2 = onlyReader(m1.output?.[0]);
    const [a, b] = m2?.input ?? [];
    if (m2?.opType === 'Mul' && ((a === x && b === m1.output?.[0]) || (b === x && a === m1.output?.[0]))) {
      back.push(m2);
      out = m2.output?.[0];
    }
  } else {
    // (0.5 · x) · (1 + tanh)
    const half = inner(other, 'Mul', m1);
    if (half && byConst(half, 0.5) === x) {
      back.push(half);
      out = m1.output?.[0];
    }
  }
  if (!out) return undefined;
  return { x, out, nodes: [...front, sum, scale, tanh, ...back] };
}

/** True when `t` is a float32 constant holding one value within 1e-6 (relative) of `v`. */
function isScalar(idx: GraphIndex, t: string | undefined, v: number): boolean {
  if (!t) return false;
  const c = constantTensor(idx, t);
  if (!c || (c.dataType ?? 0) !== DataType.FLOAT) return false;
  const data = readFloatTensor(c, '');
  return data.length === 1 && Math.abs(data[0]! - v) <= 1e-6 * Math.abs(v);
}
