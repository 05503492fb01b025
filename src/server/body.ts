import type { IncomingMessage } from 'node:http';
import { errorMessage } from '#shared/error-message.ts';

/** Why a body could not be read. */
export type BodyProblem = { readonly kind: 'too_large'; readonly limit: number } | { readonly kind: 'bad_json'; readonly message: string };

/**
 * Reads a JSON request body of at most `limit` bytes. An empty body is `undefined`.
 * Stops reading as soon as the limit is passed.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<{ value: unknown } | { problem: BodyProblem }> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return { problem: { kind: 'too_large', limit } };
  // one buffer of the declared size (no chunk list plus a concatenated copy of it)
  let buf = Buffer.allocUnsafe(Number.isFinite(declared) && declared >= 0 ? declared : 64 * 1024);
  let size = 0;
  for await (const chunk of req) {
    const part = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    if (size + part.length > limit) return { problem: { kind: 'too_large', limit } };
    if (size + part.length > buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(buf.length * 2, size + part.length)));
      buf.copy(grown, 0, 0, size);
      buf = grown;
    }
    part.copy(buf, size);
    size += part.length;
  }
  const text = buf.toString('utf8', 0, size);
  if (/^\s*$/.test(text)) return { value: undefined };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { problem: { kind: 'bad_json', message: errorMessage(e) } };
  }
}
