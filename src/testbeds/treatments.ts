/**
 * Observational treatments: a predicate over a snippet splits a corpus into treated (true) and
 * control (false) snippets, with the covariates as confounders. The covariates that are the treatment
 * itself are named so that no estimator adjusts for them.
 */
import { LANGUAGES } from '../languages/languages.ts';
import { typeName, type FlatTree } from '../languages/parser.ts';
import type { ObservationalTreatment } from './types.ts';

function hasNodeOfTypes(tree: FlatTree, types: ReadonlySet<string>): boolean {
  for (let i = 0; i < tree.size; i++) if (tree.named[i] && types.has(typeName(tree, i))) return true;
  return false;
}

const TYPE_HINT_NODES: Record<string, string[]> = {
  python: ['typed_parameter', 'typed_default_parameter', 'type'],
  php: ['named_type', 'optional_type', 'union_type', 'primitive_type'],
};

export const hasDocstring: ObservationalTreatment = {
  name: 'has-docstring',
  description: 'The snippet has a docstring or doc comment',
  languages: LANGUAGES,
  params: [],
  excludedCovariates: ['docstrings', 'docstringChars', 'chars', 'lines', 'nonBlankLines', 'whitespace', 'words', 'vocabSize', 'astNodes', 'modelTokens'],
  assign: ({ covariates }) => covariates.docstrings > 0,
};

export const hasComments: ObservationalTreatment = {
  name: 'has-comments',
  description: 'The snippet has comments (docstrings aside)',
  languages: LANGUAGES,
  params: [],
  excludedCovariates: ['comments', 'commentChars', 'chars', 'lines', 'nonBlankLines', 'whitespace', 'words', 'vocabSize', 'astNodes', 'modelTokens'],
  assign: ({ covariates }) => covariates.comments > 0,
};

export const hasTypeHints: ObservationalTreatment = {
  name: 'has-type-hints',
  description: 'The snippet annotates types (Python annotations, PHP type declarations)',
  languages: ['python', 'php'],
  params: [],
  excludedCovariates: ['astNodes', 'identifiers', 'modelTokens', 'chars', 'words', 'codeChars'],
  assign: ({ tree }) => hasNodeOfTypes(tree, new Set(TYPE_HINT_NODES[tree.language] ?? [])),
};

export const hasConcept: ObservationalTreatment = {
  name: 'has-concept',
  description: 'The snippet contains a node of a concept category (param concept, e.g. exceptions, iterative)',
  languages: LANGUAGES,
  params: [{ name: 'concept', type: 'string', required: true, description: 'a category id of the taxonomy' }],
  excludedCovariates: [],
  assign: ({ tree, taxonomy, params }) => {
    const category = taxonomy.categories.find((c) => c.id === params.concept);
    if (!category) return false;
    return hasNodeOfTypes(tree, new Set(category.nodeTypes)) || tree.leaves.some((leaf) => (taxonomy.maskByTypeId[tree.typeId[leaf]] & (1 << category.bit)) !== 0);
  },
};

export const usesExceptions: ObservationalTreatment = {
  ...hasConcept,
  name: 'uses-exceptions',
  description: 'The snippet raises, throws or handles exceptions (the taxonomy\'s exceptions category)',
  params: [],
  assign: (input) => hasConcept.assign({ ...input, params: { concept: 'exceptions' } }),
};

export const hasLoops: ObservationalTreatment = {
  ...hasConcept,
  name: 'has-loops',
  description: 'The snippet has a loop (the taxonomy\'s iterative category)',
  params: [],
  excludedCovariates: ['cyclomatic'],
  assign: (input) => hasConcept.assign({ ...input, params: { concept: 'iterative' } }),
};

export const OBSERVATIONAL_TREATMENTS: readonly ObservationalTreatment[] = [hasDocstring, hasComments, hasTypeHints, usesExceptions, hasLoops, hasConcept];

/**
 * The covariates an observational analysis adjusts for: every measured covariate (plus `codeChars`,
 * the characters outside comments and docstrings, a size measure that neither a docstring nor a
 * comment changes) except those the treatment determines, by its current declaration and by the one
 * recorded in the testbed when it was built, and `errorNodes` (a parse diagnostic, not a property of
 * the code's author). Adjusting for what the treatment determines would remove part of its effect.
 */
export function adjustmentCovariates(treatment: string, recordedExclusions: readonly string[], available: readonly string[]): string[] {
  const declared = OBSERVATIONAL_TREATMENTS.find((t) => t.name === treatment)?.excludedCovariates ?? [];
  const excluded = new Set<string>([...recordedExclusions, ...declared, 'errorNodes']);
  const names = available.includes('chars') && available.includes('docstringChars') && available.includes('commentChars') ? [...available, 'codeChars'] : [...available];
  return names.filter((name) => !excluded.has(name));
}

/** A snippet's covariates with the derived `codeChars` = chars - docstringChars - commentChars. */
export function withDerivedCovariates(covariates: Record<string, number>): Record<string, number> {
  const { chars, docstringChars, commentChars } = covariates;
  return chars !== undefined && docstringChars !== undefined && commentChars !== undefined ? { ...covariates, codeChars: chars - docstringChars - commentChars } : covariates;
}
