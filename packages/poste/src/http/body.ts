// Bounded JSON body reading with a zod schema: too big → 413, not JSON → 415/400, wrong shape → 400
// naming the first bad field.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { type Ctx, HttpError } from './reply.ts';

const MAX_BODY = 64 * 1024;

export async function readRaw(ctx: Ctx, max = MAX_BODY): Promise<string> {
  const declared = Number(ctx.req.headers['content-length'] ?? 0);
  if (declared > max)
    throw new HttpError(413, 'body-too-large', 'Requête trop volumineuse.', 'Request body too large.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new HttpError(413, 'body-too-large', 'Requête trop volumineuse.', 'Request body too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export type Parsed<T> = { value: T; raw: string; hash: string };

export async function readJson<S extends z.ZodType>(ctx: Ctx, schema: S): Promise<Parsed<z.infer<S>>> {
  const type = ctx.req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    throw new HttpError(
      415,
      'json-required',
      'Corps JSON attendu (Content-Type: application/json).',
      'JSON body expected (Content-Type: application/json).',
    );
  }
  const raw = await readRaw(ctx);
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'bad-json', "Le corps n'est pas du JSON valide.", 'The body is not valid JSON.');
  }
  const r = schema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue?.path.join('.') || '(body)';
    throw new HttpError(
      400,
      'invalid-field',
      `Champ invalide : ${field}.`,
      `Invalid field: ${field} (${issue?.message ?? 'invalid'}).`,
    );
  }
  return { value: r.data, raw, hash: createHash('sha256').update(raw).digest('base64url') };
}
