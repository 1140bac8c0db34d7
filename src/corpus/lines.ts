/**
 * Streaming line reader over plain or gzip files (detected by magic bytes), in constant memory:
 * chunks are split on '\n' as bytes, a line longer than `maxLineBytes` is skipped without being held
 * in memory, and each line is decoded as strict UTF-8 so that invalid bytes are reported, not replaced.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { UserError } from '../util/errors.ts';

export type LineEvent =
  | { kind: 'line'; line: number; text: string }
  | { kind: 'invalid-utf8'; line: number }
  | { kind: 'too-long'; line: number; bytes: number };

export interface LineReaderOptions {
  maxLineBytes?: number;
  /** Called with the count of raw (possibly compressed) bytes read so far. */
  onBytes?: (bytes: number) => void;
  /** Called with each raw chunk, e.g. to hash the input while reading it. */
  onRawChunk?: (chunk: Buffer) => void;
}

export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await handle.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

export async function* readLines(path: string, options: LineReaderOptions = {}): AsyncGenerator<LineEvent> {
  const maxLineBytes = options.maxLineBytes ?? 16 * 1024 * 1024;
  // decide before opening: a 'data' listener starts the flow, and gunzip must see the first byte
  const gz = await isGzipFile(path);
  if (!gz && /\.gz$/i.test(path)) {
    throw new UserError(`${path} is named .gz but does not hold gzip data`, { hint: 'rename it if it is plain text, or download it again: the file is damaged or not what its name says' });
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream: Readable = gz ? raw.pipe(createGunzip()) : raw;
  if (gz) raw.on('error', (e) => stream.destroy(e));
  let rawBytes = 0;
  raw.on('data', (chunk) => {
    const b = chunk as Buffer;
    rawBytes += b.length;
    options.onRawChunk?.(b);
    options.onBytes?.(rawBytes);
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  let lineNo = 0;

  const finish = (tail: Buffer | undefined): LineEvent => {
    lineNo++;
    const total = pendingBytes + (tail?.length ?? 0);
    if (overlong || total > maxLineBytes) {
      overlong = false;
      pending = [];
      pendingBytes = 0;
      return { kind: 'too-long', line: lineNo, bytes: total };
    }
    const buf = pending.length === 0 ? (tail ?? Buffer.alloc(0)) : Buffer.concat(tail ? [...pending, tail] : pending);
    pending = [];
    pendingBytes = 0;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 13) end--; // CRLF
    try {
      return { kind: 'line', line: lineNo, text: decoder.decode(buf.subarray(0, end)) };
    } catch {
      return { kind: 'invalid-utf8', line: lineNo };
    }
  };

  const chunks = async function* (): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (gz && code.startsWith('Z_')) {
        throw new UserError(`${path}: the gzip data is damaged or truncated after line ${lineNo} (${(error as Error).message})`, {
          hint: 'download or copy the file again; the lines before the damage were read',
        });
      }
      throw new UserError(`${path}: cannot read: ${(error as Error).message}`);
    }
  };
  for await (const chunk of chunks()) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) {
        const rest = chunk.subarray(from);
        if (rest.length > 0) {
          if (overlong || pendingBytes + rest.length > maxLineBytes) {
            overlong = true;
            pendingBytes += rest.length;
            pending = [];
          } else {
            pending.push(Buffer.from(rest));
            pendingBytes += rest.length;
          }
        }
        break;
      }
      yield finish(chunk.subarray(from, nl));
      from = nl + 1;
    }
  }
  if (pendingBytes > 0 || overlong) yield finish(undefined);
}
