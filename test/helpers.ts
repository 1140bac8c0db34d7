import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LanguageId } from '../src/languages/languages.ts';

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

import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { extractUnits } from '../src/corpus/sourceTree.ts';
import { LANGUAGES } from '../src/languages/languages.ts';

/** A CodeSearchNet-style record (all the original fields) for a piece of code. */
export function csnRecord(language: LanguageId, code: string, index: number, partition = 'train'): Record<string, unknown> {
  return {
    repo: `fixtures/${language}`,
    path: `src/${CODE_FIXTURES[language]}`,
    func_name: `f${index}`,
    original_string: code,
    language,
    code,
    code_tokens: code.split(/\s+/).filter(Boolean),
    docstring: '',
    docstring_tokens: [],
    sha: '0123456789abcdef0123456789abcdef01234567',
    url: `https://example.invalid/${language}/${index}`,
    partition,
  };
}

/**
 * Write a CodeSearchNet tree ({lang}/final/jsonl/{partition}/{lang}_{partition}_0.jsonl.gz) holding the
 * functions of the code fixtures, every language. Returns the root.
 */
export async function writeCodeSearchNetTree(root = tempDir('cge-csn-')): Promise<string> {
  for (const language of LANGUAGES) {
    const units = [];
    for await (const unit of extractUnits(fixtureCode(language), language, CODE_FIXTURES[language])) units.push(unit.code);
    for (const partition of ['train', 'test']) {
      const dir = join(root, language, 'final', 'jsonl', partition);
      mkdirSync(dir, { recursive: true });
      const lines = units.map((code, i) => JSON.stringify(csnRecord(language, code, i, partition))).join('\n') + '\n';
      writeFileSync(join(dir, `${language}_${partition}_0.jsonl.gz`), gzipSync(lines));
    }
  }
  return root;
}
