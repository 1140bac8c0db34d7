export { buildTestbed, TESTBED_FORMAT, type BuildOptions, type BuildResult, type TestbedManifest } from './build.ts';
export { openTestbed, readTestbedRows, type TestbedHandle } from './read.ts';
export { inspectTestbed, type TestbedInspection, type CovariateSummary } from './inspect.ts';
export { INTERVENTIONS, findIntervention, findTreatment, resolveParams, parseParamPairs } from './registry.ts';
export { OBSERVATIONAL_TREATMENTS } from './treatments.ts';
export { verifyTreated } from './verify.ts';
export { applyEdits, type TextEdit } from './edits.ts';
export type * from './types.ts';
export { readTestbedPlan, buildPlan, DEFAULT_PLAN, type TestbedPlan, type PlannedTestbed } from './plan.ts';
