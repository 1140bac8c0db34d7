/**
 * codegen-eval's library API. Stages, in the order data flows: corpus -> syntax -> testbeds
 * (-> train -> score -> stats -> report / gate). See docs/ARCHITECTURE.md.
 */

// corpus: code in, in constant memory
export { resolveCorpus, readCorpus, hashCorpus, SkipLog, readJsonlSnippets, readSourceTree, extractUnits, readLines } from './corpus/index.ts';
export type { CorpusOptions, CorpusSource, CorpusKind, Snippet, Provenance, SkipEvent, SkipReason } from './corpus/index.ts';
export { exportSnippets, snippetRecord } from './corpus/export.ts';

// syntax: trees, concepts, alignment, covariates
export { LANGUAGES, languageSpec, normalizeLanguage, languageForPath, isLanguageId, type LanguageId, type LanguageSpec } from './syntax/languages.ts';
export { parseSource, getParser, parseWith, flattenTree, loadLanguage, typeName, nodeText, childrenOf, countErrors, type FlatTree } from './syntax/parser.ts';
export { loadTaxonomy, taxonomyFor, conceptIds, defaultTaxonomyPath, type ConceptTaxonomy, type ConceptCategory } from './syntax/concepts.ts';
export { prepareAlignment, alignSpans, tokenNodeTypes, whitespaceSpans, type AlignedTree, type TokenAlignment } from './syntax/align.ts';
export { codePointToUtf16Table, utf8ToUtf16Table } from './syntax/offsets.ts';
export { computeCovariates, findCommentNodes, COVARIATE_NAMES, type Covariates } from './syntax/covariates.ts';

// testbeds: interventions and observational treatments
export * from './testbeds/index.ts';

// stats (the causal engine grows here)
export { mean } from './stats/mean.ts';
export { variance } from './stats/variance.ts';
export { quantile } from './stats/quantile.ts';
export { standardizedMeanDifference, type MeanDifference } from './stats/smd.ts';

// utilities users need
export { parseHocon, readHoconFile, type HoconDocument, type JsonValue, type JsonObject } from './util/hocon.ts';
export { UserError, UsageError, ConfigError, isUserError } from './util/errors.ts';
export { createRandom, deriveSeed, type Random } from './util/random.ts';
