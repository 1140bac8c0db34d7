import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LanguageId } from '../src/syntax/languages.ts';

export const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');
export const CODE_FIXTURES: Record<LanguageId, string> = {
  python: 'inventory.py',
  java: 'Matrix.java',
  javascript: 'cart.js',
  go: 'stack.go',
  php: 'Repository.php',
  ruby: 'shelf.rb',
};

export function fixtureCode(language: LanguageId): string {
  return readFileSync(join(FIXTURES, 'code', CODE_FIXTURES[language]), 'utf8');
}

export function tempDir(prefix = 'cge-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
