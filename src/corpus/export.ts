/**
 * Write a corpus's snippets to JSONL (gzip when the name ends in .gz), in the plain record shape the
 * JSONL reader takes back: {id, language, code, ...provenance, ...fields}. Written to a temp file and
 * renamed, so a reader never sees half a file.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import { tempPathFor } from '../util/atomic.ts';
import type { Snippet } from './types.ts';

export function snippetRecord(s: Snippet): Record<string, unknown> {
  const p = s.provenance;
  return {
    id: s.id,
    language: s.language,
    code: s.code,
    repo: p.repo,
    path: p.path ?? p.file,
    func_name: p.funcName,
    url: p.url,
    sha: p.sha,
    partition: p.partition,
    start_line: p.startLine,
    end_line: p.endLine,
    ...s.fields,
  };
}

export async function exportSnippets(snippets: AsyncIterable<Snippet>, out: string, extra: Record<string, unknown> = {}): Promise<number> {
  await mkdir(dirname(out), { recursive: true });
  const tmp = tempPathFor(out);
  const file = createWriteStream(tmp);
  let sink: Writable = file;
  if (out.endsWith('.gz')) {
    const gzip = createGzip({ level: 9 });
    gzip.pipe(file);
    sink = gzip;
  }
  let count = 0;
  try {
    for await (const s of snippets) {
      if (!sink.write(`${JSON.stringify({ ...snippetRecord(s), ...extra })}\n`)) await once(sink, 'drain');
      count++;
    }
    sink.end();
    await finished(file);
    await rename(tmp, out);
  } catch (error) {
    sink.destroy();
    file.destroy();
    await rm(tmp, { force: true });
    throw error;
  }
  return count;
}
