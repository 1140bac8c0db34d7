import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { alignSpans, prepareAlignment, tokenNodeTypes, whitespaceSpans } from '../syntax/align.ts';
import { conceptIds, loadTaxonomy } from '../syntax/concepts.ts';
import { computeCovariates } from '../syntax/covariates.ts';
import { languageForPath } from '../languages/languages.ts';
import { loadLanguage, parseSource } from '../languages/parser.ts';
import { UsageError, UserError } from '../util/errors.ts';
import { table, toJson } from './format.ts';
import { parseLanguages, type CliIO } from './shared.ts';

export function conceptsCommand(io: CliIO): Command {
  const cmd = new Command('concepts').description('concept taxonomies and token-to-concept alignment');

  cmd
    .command('show')
    .description('the concept categories of a language and their node types')
    .requiredOption('--lang <language>', 'python, java, javascript, go, php or ruby')
    .option('--file <taxonomy.conf>', 'a taxonomy file instead of the default')
    .option('--json', 'print JSON')
    .action(async (opts: { lang: string; file?: string; json?: boolean }) => {
      const [lang] = parseLanguages(opts.lang);
      const t = await loadTaxonomy(lang, opts.file);
      if (opts.json) return io.out(toJson({ language: t.language, source: t.source, file: t.file, categories: t.categories.map(({ id, label, nodeTypes }) => ({ id, label, nodeTypes })) }));
      io.out(`${t.language}: ${t.source}\n  (${t.file})`);
      io.out(table(['category', 'label', 'node types'], t.categories.map((c) => [c.id, c.label, c.nodeTypes.join(' ')]), ['l', 'l', 'l']));
    });

  cmd
    .command('node-types')
    .description("the node types of a language's tree-sitter grammar (named first, then anonymous)")
    .requiredOption('--lang <language>', 'python, java, javascript, go, php or ruby')
    .option('--json', 'print JSON')
    .action(async (opts: { lang: string; json?: boolean }) => {
      const [lang] = parseLanguages(opts.lang);
      const language = await loadLanguage(lang);
      const named = new Set<string>();
      const anonymous = new Set<string>();
      for (let i = 0; i < language.nodeTypeCount; i++) {
        const name = language.nodeTypeForId(i);
        if (!name || name.startsWith('_')) continue;
        (language.nodeTypeIsNamed(i) ? named : anonymous).add(name);
      }
      if (opts.json) return io.out(toJson({ named: [...named].sort(), anonymous: [...anonymous].sort() }));
      io.out(`named: ${[...named].sort().join(' ')}`);
      io.out(`anonymous: ${[...anonymous].sort().join(' ')}`);
    });

  cmd
    .command('align')
    .description('parse a file and show each whitespace token with its leaf types and concepts, and the covariates')
    .argument('<file>', 'a source file (- for standard input with --lang)')
    .option('--lang <language>', 'the language (default: from the file extension)')
    .option('--file <taxonomy.conf>', 'a taxonomy file instead of the default')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { lang?: string; file?: string; json?: boolean }) => {
      const lang = opts.lang ? parseLanguages(opts.lang)[0] : languageForPath(file);
      if (!lang) throw new UsageError(`cannot tell the language of ${file}; pass --lang`);
      let code: string;
      try {
        code = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (error) {
        throw new UserError(`cannot read ${file}: ${(error as Error).message}`);
      }
      const taxonomy = await loadTaxonomy(lang, opts.file);
      const tree = await parseSource(lang, code);
      const aligned = prepareAlignment(tree, taxonomy);
      const spans = whitespaceSpans(code);
      const alignment = alignSpans(aligned, spans);
      const tokens = Array.from({ length: spans.length / 2 }, (_, i) => ({
        text: code.slice(spans[2 * i], spans[2 * i + 1]),
        start: spans[2 * i],
        end: spans[2 * i + 1],
        leaves: tokenNodeTypes(aligned, alignment, i).leaves,
        concepts: conceptIds(taxonomy, alignment.conceptMask[i]),
      }));
      const covariates = computeCovariates(tree);
      if (opts.json) return io.out(toJson({ language: lang, tokens, covariates }));
      io.out(table(['token', 'leaf types', 'concepts'], tokens.map((t) => [JSON.stringify(t.text).slice(1, -1), t.leaves.join(','), t.concepts.join(',')]), ['l', 'l', 'l']));
      io.out('');
      io.out(table(['covariate', 'value'], Object.entries(covariates).map(([k, v]) => [k, v])));
    });
  return cmd;
}
