import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A temp path beside `path`, on the same file system, so that `rename` is atomic. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Write a file atomically: write a temp file, fsync it, rename it over the target. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Replace a whole directory atomically: the caller fills `tmpDir`, then this swaps it in.
 * A reader sees either the old directory or the new one, never a half-written one.
 */
export async function replaceDirectory(tmpDir: string, targetDir: string): Promise<void> {
  const old = `${targetDir}.old-${process.pid}-${randomBytes(3).toString('hex')}`;
  let moved = false;
  try {
    await rename(targetDir, old);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(tmpDir, targetDir);
  if (moved) await rm(old, { recursive: true, force: true });
}
