/**
 * codegen-eval's library API. Stages, in the order data flows: corpus -> syntax -> testbeds
 * (-> train -> score) -> stats (-> report / gate). See docs/ARCHITECTURE.md.
 */

// corpus: code in, in constant memory
export { resolveCorpus, readCorpus, hashCorpus, SkipLog, readJsonlSnippets, readSourceTree, extractUnits, readLines } from './corpus/index.ts';
export type { CorpusOptions, CorpusSource, CorpusKind, Snippet, Provenance, SkipEvent, SkipReason } from './corpus/index.ts';
export { exportSnippets, snippetRecord } from './corpus/export.ts';

// syntax: trees, concepts, alignment, covariates
export { LANGUAGES, languageSpec, normalizeLanguage, languageForPath, isLanguageId, type LanguageId, type LanguageSpec } from './languages/languages.ts';
export { parseSource, getParser, parseWith, flattenTree, loadLanguage, typeName, nodeText, childrenOf, countErrors, type FlatTree } from './languages/parser.ts';
export { loadTaxonomy, taxonomyFor, conceptIds, defaultTaxonomyPath, type ConceptTaxonomy, type ConceptCategory } from './syntax/concepts.ts';
export { prepareAlignment, alignSpans, tokenNodeTypes, whitespaceSpans, type AlignedTree, type TokenAlignment } from './syntax/align.ts';
export { codePointToUtf16Table, utf8ToUtf16Table } from './syntax/offsets.ts';
export { computeCovariates, findCommentNodes, COVARIATE_NAMES, type Covariates } from './syntax/covariates.ts';

// testbeds: interventions and observational treatments
export * from './testbeds/index.ts';

// stats: the causal engine (question -> estimate -> refute), and its parts
export { causalQuestion, estimateEffect, propensityScores, subsetQuestion, DegenerateDataError, type CausalQuestion, type QuestionSpec, type EstimateOptions, type EffectEstimate, type Method, type EffectEstimand } from './stats/effect.ts';
export { estimateEffectParallel } from './stats/bootstrapParallel.ts';
export { refuteEstimate, placeboQuestion, REFUTERS, type Refuter, type Refutation, type RefuteOptions } from './stats/refute.ts';
export { readTable } from './stats/readTable.ts';
export { readCsv, tableFromColumns, type DataTable, type Column } from './stats/table.ts';
export { designMatrix, numericVector, type DesignMatrix } from './stats/design.ts';
export { fitLinear, InsufficientDataError, type LinearFit } from './stats/ols.ts';
export { vcov, leverages, standardErrors, type VcovSpec } from './stats/vcov.ts';
export { coefficientTest, type CoefficientTest } from './stats/inference.ts';
export { fitLogistic, type LogisticFit } from './stats/logistic.ts';
export { nearestNeighbourMatch, matchesOf, NoMatchesError, type MatchOptions, type MatchResult } from './stats/matching.ts';
export { matchedEffect, type MatchedEffect } from './stats/matchedEffect.ts';
export { gComputation } from './stats/gcomputation.ts';
export { balanceTable, type BalanceTable, type BalanceRow } from './stats/balance.ts';
export { ipw, aipw, NoOverlapError, type IpwResult, type AipwResult } from './stats/weighting.ts';
export { stratify, type StratificationResult } from './stats/stratification.ts';
export { bootstrap, type BootstrapResult, type BootstrapOptions } from './stats/bootstrap.ts';
export { pAdjust, type PAdjustMethod } from './stats/padjust.ts';
export { pairedTTest, welchTTest, type TTest } from './stats/ttest.ts';
export { signedRankTest, mannWhitneyTest, type RankTest } from './stats/wilcoxon.ts';
export { pearson, spearman, type Correlation } from './stats/correlation.ts';
export { cohensD, cliffsDelta } from './stats/effectSizes.ts';
export { jensenShannonDivergence, jensenShannonDistance } from './stats/jensenShannon.ts';
export { evalueFromRR, evalueFromSMD, type EValue } from './stats/evalue.ts';
export { normalCdf, normalQuantile, tCdf, tQuantile } from './stats/distributions.ts';
export { mean } from './stats/mean.ts';
export { variance } from './stats/variance.ts';
export { quantile } from './stats/quantile.ts';
export { standardizedMeanDifference, type MeanDifference } from './stats/smd.ts';

// utilities users need
export { parseHocon, readHoconFile, type HoconDocument, type JsonValue, type JsonObject } from './util/hocon.ts';
export { UserError, UsageError, ConfigError, isUserError } from './util/errors.ts';
export { createRandom, deriveSeed, type Random } from './util/random.ts';

// train: tokenizers and models
export { trainBpe, trainBpeFromCounts, tokenizerFiles, saveTokenizer, CodeTokenizer, type TrainedBpe, type EncodedText } from './train/tokenizer.ts';
export { loadTrainConfig, validateConfig, type TrainConfig, type ModelConfig } from './train/config.ts';
export { train, trainStep, evaluate, crossEntropy, readFinalWeights, MODEL_FORMAT, type TrainOptions, type TrainSummary } from './train/trainer.ts';
export { createModel, parameterCount, type LanguageModel } from './train/models/index.ts';
export { selectBackend, describeBackend, BACKENDS, type BackendName } from './train/backend.ts';
export { latestCheckpoint, loadCheckpoint, readCheckpointState, CHECKPOINT_FORMAT, type CheckpointState } from './train/checkpoint.ts';

// models and score: per-token log-probs from any model kind, aligned to concepts, stored in DuckDB
export { openModel, type OpenOptions, type ScoringModel, type TokenScores } from './models/index.ts';
export { SCORING_BACKENDS, type ScoringBackend } from './models/builtin.ts';
export { readCompletionAnswer, readTgiAnswer } from './models/serverAnswers.ts';
export { spansFromTokenTexts, TokenSpanError } from './models/tokenSpans.ts';
export { openGenerator, chooseToken, type Generator, type GenerateOptions, type Completion, type Prompt } from './models/generate.ts';
export { startServer, type ServeOptions } from './models/serve.ts';
export { exportGptToOnnx, type ExportResult } from './models/onnx/exportGpt.ts';
export { scoreTestbed, type ScoreOptions, type ScoreSummary } from './score/score.ts';
export { aggregateSnippet, type SnippetScores, type GroupMetrics, type TokenRow } from './score/aggregate.ts';
export { ScoreStore, ScoresReader, DEFAULT_DB, SCHEMA_VERSION, COVARIATE_COLUMNS, type StoredRun, type StoredSnippet, type StoredSnippetConcept, type StoredToken, type RunRecord } from './score/store.ts';

// report and gate
export { buildReport, type ReportOptions, type ReportResult } from './report/build.ts';
export { analyzeModel, adjustAll, type ModelAnalysis, type ConceptPerformance, type PairedEffect, type ObservationalEffect } from './report/analyze.ts';
export { renderSvg, decompositionSpec, pairedForestSpec, observationalForestSpec, lovePlotSpec } from './report/figures.ts';
export { printPdf, findBrowser, CHROMIUM_FLAGS } from './report/pdf.ts';
export { latexTables } from './report/latex.ts';
export { decideGate, DEFAULT_RULES, type GateRules, type GateDecision, type ConceptVerdict, type GateMetric } from './gate/gate.ts';
export { runGate, type GateOptions, type GateResult } from './gate/run.ts';
export { terminalTable, markdown as gateMarkdown, junit as gateJunit } from './gate/format.ts';
export { compareModels, snippetMetric, type ModelDifference } from './report/compare.ts';
