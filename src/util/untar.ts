/**
 * Extract a POSIX tar archive (ustar or GNU) held in memory: regular files and folders only, which
 * is all the bundled browser's archives hold. A link, a device or a path that leaves `dest` is an
 * error rather than a silent skip, so that a changed archive is noticed.
 * Format: POSIX.1-1988 ustar, IEEE Std 1003.1 "pax" section, 512-byte header blocks.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

const BLOCK = 512;

function field(header: Uint8Array, offset: number, length: number): string {
  const bytes = header.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('utf8');
}

function octal(header: Uint8Array, offset: number, length: number): number {
  const text = field(header, offset, length).trim();
  if (!/^[0-7]+$/.test(text)) throw new Error(`tar: not an octal number: '${text}'`);
  return parseInt(text, 8);
}

/** The `path` record of a pax extended header ("<length> path=<value>\n" records), if it has one. */
function paxPath(body: Uint8Array): string | undefined {
  const text = Buffer.from(body);
  let at = 0;
  while (at < text.length) {
    const space = text.indexOf(0x20, at);
    if (space === -1) break;
    const length = Number(text.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0) throw new Error('tar: a malformed pax header');
    const record = text.subarray(space + 1, at + length - 1).toString('utf8');
    if (record.startsWith('path=')) return record.slice(5);
    at += length;
  }
  return undefined;
}

/** Extract `archive` into `dest`; returns the files written (relative paths). */
export function untar(archive: Uint8Array, dest: string): string[] {
  const root = resolve(dest);
  const written: string[] = [];
  let offset = 0;
  let longName: string | null = null;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = field(header, 257, 6).startsWith('ustar') ? field(header, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = null;
    const body = archive.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') { longName = Buffer.from(body).toString('utf8').replace(/\0+$/, ''); continue; }
    if (type === 'x') { longName = paxPath(body) ?? null; continue; }
    if (type === 'g') continue; // global pax attributes: none that this extraction uses
    const target = resolve(root, name);
    if (target !== root && !target.startsWith(root + sep)) throw new Error(`tar: '${name}' would be written outside ${root}`);
    if (type === '5') { mkdirSync(target, { recursive: true }); continue; }
    if (type !== '0' && type !== '7') throw new Error(`tar: '${name}' is of type '${type}', which this extraction does not handle`);
    if (body.length !== size) throw new Error(`tar: '${name}' is cut short`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, body);
    chmodSync(target, octal(header, 100, 8) & 0o777);
    written.push(join(name));
  }
  return written;
}
