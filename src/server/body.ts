import type { IncomingMessage } from 'node:http';

/** Why a body could not be read. */
export type BodyProblem = { readonly kind: 'too_large'; readonly limit: number } | { readonly kind: 'bad_json'; readonly message: string };

/**
 * Reads a JSON request body of at most `limit` bytes. An empty body is `undefined`.
 * Stops reading as soon as the limit is passed.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<{ value: unknown } | { problem: BodyProblem }> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return { problem: { kind: 'too_large', limit } };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > limit) return { problem: { kind: 'too_large', limit } };
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return { value: undefined };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { problem: { kind: 'bad_json', message: e instanceof Error ? e.message : String(e) } };
  }
}
