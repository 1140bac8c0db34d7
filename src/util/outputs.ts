/**
 * Where a command may write. Nothing a user owns is deleted or overwritten: an output folder must be
 * absent, empty, or one this tool wrote (its marker file says so), and never the input or a folder
 * around it; an output file must not exist yet unless this tool wrote it (a marker check given by the
 * caller). Checked before any long work starts.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { UserError } from './errors.ts';

export interface OwnedFolder {
  /** What the folder is, for messages: "testbed", "report", "model". */
  what: string;
  /** A file inside the folder and the JSON `format` values that mark it as ours. */
  marker: string;
  formats: readonly string[];
  /** Instead of a format: a test that the folder is ours (an HF folder's config.json with our key). */
  isOurs?: (dir: string) => boolean;
  /** Paths the command reads: the output may be neither one of them nor a folder that holds one. */
  inputs?: readonly string[];
  /** The flag that names the output, for messages (default --out). */
  flag?: string;
  /**
   * For a folder that is replaced as a whole: which of its files (paths relative to it, '/'-separated)
   * this tool wrote. Anything else in it is the user's, and the folder is then not replaced.
   */
  ownsFile?: (dir: string) => (relativePath: string) => boolean;
}

function filesUnder(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...filesUnder(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

const inside = (child: string, parent: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
};

function markerFormat(dir: string, marker: string): string | null {
  try {
    const value = JSON.parse(readFileSync(join(dir, marker), 'utf8')) as { format?: unknown };
    return typeof value.format === 'string' ? value.format : null;
  } catch {
    return null;
  }
}

/**
 * The output is written beside its place and renamed into it, so its parent folder must be writable:
 * the first folder on the way up that exists, since the missing ones will be made inside it.
 */
export function checkWritablePlace(path: string, flag = '--out'): void {
  let dir = dirname(resolve(path));
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw new UserError(`${flag} ${path}: ${dir} is a file, so nothing can be written under it`, { hint: 'name a path inside a folder' });
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new UserError(`${flag} ${path}: the folder ${dir} is not writable`, { hint: 'choose a place you can write to, or ask for write access to it' });
  }
}

/** Throws a UserError unless `path` may be (re)written as a folder of this kind. */
export function checkOutputFolder(path: string, rule: OwnedFolder): void {
  const target = resolve(path);
  const flag = rule.flag ?? '--out';
  for (const input of rule.inputs ?? []) {
    const source = resolve(input);
    if (inside(source, target)) {
      throw new UserError(`${flag} ${path} would replace ${source === target ? 'the input itself' : `a folder that holds the input ${input}`}`, { hint: `write the ${rule.what} somewhere else, e.g. ${flag} ${join('out', basename(target) || rule.what)}` });
    }
  }
  checkWritablePlace(path, flag);
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new UserError(`${flag} ${path} is a file, not a folder: nothing was changed`, { hint: `name a new folder for the ${rule.what}` });
  if (readdirSync(target).length === 0) return;
  const format = markerFormat(target, rule.marker);
  const ours = rule.isOurs ? rule.isOurs(target) : format !== null && rule.formats.includes(format);
  if (!ours) {
    throw new UserError(`${flag} ${path} holds files that are not a ${rule.what} codegen-eval wrote (no ${rule.marker} of format ${rule.formats.join(' or ')}): nothing was changed`, { hint: `name a new or empty folder, or move ${path} aside yourself` });
  }
  if (rule.ownsFile) {
    const owned = rule.ownsFile(target);
    const foreign = filesUnder(target).filter((f) => !owned(f));
    if (foreign.length > 0) {
      throw new UserError(`${flag} ${path} is a ${rule.what} codegen-eval wrote, but it also holds files it did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? `, and ${foreign.length - 5} more` : ''}); replacing the folder would delete them: nothing was changed`, { hint: `move those files out of ${path}, or name another folder` });
    }
  }
}

/** Throws a UserError unless `path` may be written as a new file (not an input, not an existing file or folder). */
export function checkOutputFile(path: string, options: { what: string; inputs?: readonly string[]; flag?: string }): void {
  const target = resolve(path);
  const flag = options.flag ?? '--out';
  for (const input of options.inputs ?? []) {
    if (resolve(input) === target) throw new UserError(`${flag} ${path} would overwrite the input ${input}`, { hint: `write the ${options.what} to a new file` });
  }
  if (existsSync(target)) {
    throw new UserError(`${flag} ${path} exists${statSync(target).isDirectory() ? ' and is a folder' : ''}: nothing was changed`, { hint: `name a new file for the ${options.what}, or delete ${path} yourself first` });
  }
  checkWritablePlace(path, flag);
}

/**
 * Undo what a killed swap left behind (util/atomic.ts replaceDirectory): if `target` is missing and
 * its previous version waits under `TARGET.old-PID-*`, put it back; remove build folders
 * (`.NAME.building-PID`) of processes that no longer run.
 */
export async function recoverInterruptedSwap(target: string): Promise<string[]> {
  const dir = dirname(resolve(target));
  const name = basename(resolve(target));
  const notes: string[] = [];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return notes;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return notes; // an unreadable place: checkOutputFolder says so
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const olds = entries.filter((e) => e.startsWith(`${name}.old-`)).sort();
  if (!existsSync(join(dir, name)) && olds.length) {
    await rename(join(dir, olds[olds.length - 1]), join(dir, name));
    notes.push(`restored ${join(dir, name)} from ${olds[olds.length - 1]}, left by an interrupted run`);
  }
  for (const e of entries) {
    const building = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.building-(\\d+)$`).exec(e);
    const old = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.old-(\\d+)-`).exec(e);
    const pid = Number((building ?? old)?.[1]);
    if ((building || old) && existsSync(join(dir, e)) && pid !== process.pid && !alive(pid)) {
      await rm(join(dir, e), { recursive: true, force: true });
      notes.push(`removed ${join(dir, e)}, left by an interrupted run`);
    }
  }
  return notes;
}
