import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TooLarge } from '../core/errors.ts';
import { newId } from '../core/ids.ts';

// A job's payload on its way in: a request body spooled to a file (or bytes in memory),
// then read back in pieces of PAYLOAD_CHUNK_BYTES to be stored with the job.

/** Payloads are stored in pieces of this size: big enough to be few rows, small enough to stream. */
export const PAYLOAD_CHUNK_BYTES = 1024 * 1024;

/** A payload spooled to a temporary file: complete and hashed before any transaction opens. */
export interface SpooledFile {
  path: string;
  bytes: number;
  sha256: string;
  remove(): Promise<void>;
}

/**
 * Streams a request body (or any stream) to a temporary file under `dir`, hashing it on
 * the way. Beyond `maxBytes` it stops and throws TooLarge. The body is spooled first so a
 * slow client never holds a database transaction open, and memory stays bounded.
 */
export async function spoolToFile(
  source: Readable | AsyncIterable<Uint8Array>,
  opts: { dir: string; maxBytes: number },
): Promise<SpooledFile> {
  const dir = join(opts.dir, 'spool');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${newId()}.part`);
  const hash = createHash('sha256');
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > opts.maxBytes)
        return done(new TooLarge(`The payload is larger than ${opts.maxBytes} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const remove = () => rm(path, { force: true });
  try {
    await pipeline(source, count, createWriteStream(path));
  } catch (e) {
    await remove();
    throw e;
  }
  return { path, bytes, sha256: hash.digest('hex'), remove };
}

/** A job's payload: bytes in memory (small ones) or a spooled file (big ones). */
export type PayloadSource = Buffer | string | SpooledFile;

export function payloadInfo(payload: PayloadSource | undefined): { bytes: number; sha256: string | null } {
  if (payload === undefined) return { bytes: 0, sha256: null };
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
    return { bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
  }
  return { bytes: payload.bytes, sha256: payload.sha256 };
}

export function payloadBytes(payload: PayloadSource): number {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  return Buffer.isBuffer(payload) ? payload.length : payload.bytes;
}

export async function* payloadPieces(payload: PayloadSource): AsyncIterable<Buffer> {
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
    for (let i = 0; i < buf.length; i += PAYLOAD_CHUNK_BYTES) yield buf.subarray(i, i + PAYLOAD_CHUNK_BYTES);
    return;
  }
  for await (const chunk of createReadStream(payload.path, { highWaterMark: PAYLOAD_CHUNK_BYTES })) {
    yield chunk as Buffer;
  }
}
