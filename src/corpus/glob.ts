/** Minimal glob expansion (`*`, `**`, `?`, `[...]`) for corpus paths; Node 20 has no fs.glob. */
import { isAbsolute, join, relative, sep } from 'node:path';
import { walkFiles } from './sourceTree.ts';

export function hasGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += pattern[i + 2] === '/' ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i);
      if (close < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, close).replace(/^!/, '^')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Files matching a glob, sorted. The walk starts at the pattern's longest folder without wildcards. */
export async function expandGlob(pattern: string, cwd = process.cwd()): Promise<string[]> {
  const normalized = pattern.split(sep).join('/');
  const parts = normalized.split('/');
  const fixed: string[] = [];
  for (const part of parts) {
    if (hasGlob(part)) break;
    fixed.push(part);
  }
  const base = fixed.length === 0 ? '.' : fixed.join('/') || '/';
  const root = isAbsolute(base) ? base : join(cwd, base);
  const rest = parts.slice(fixed.length).join('/');
  const matcher = globToRegExp(rest);
  const out: string[] = [];
  for await (const file of walkFiles(root, new Set(['.git']))) {
    const rel = relative(root, file).split(sep).join('/');
    if (matcher.test(rel)) out.push(file);
  }
  return out.sort();
}
