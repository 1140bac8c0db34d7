import { COVARIATE_NAMES, type Covariates } from '../syntax/covariates.ts';
import { describe, type Description } from '../stats/describe.ts';
import { mean } from '../stats/mean.ts';
import { standardizedMeanDifference } from '../stats/smd.ts';
import type { TestbedManifest } from './build.ts';
import { readTestbedRows, type TestbedHandle } from './read.ts';

export interface CovariateSummary {
  covariate: string;
  treated: Description;
  control: Description;
  /** Standardised mean difference (pooled SD) and variance ratio between arms. */
  smd: number;
  varianceRatio: number | null;
  /** Paired designs: mean of treated - control within pairs. */
  meanPairedDifference: number | null;
}

export interface TestbedInspection {
  name: string;
  dir: string;
  manifest: TestbedManifest;
  rows: number;
  arms: { treated: number; control: number };
  byLanguage: Record<string, { treated: number; control: number }>;
  covariates: CovariateSummary[];
}

/** Counts, covariate summaries per arm, and balance between arms. Reads the rows once. */
export async function inspectTestbed(testbed: TestbedHandle): Promise<TestbedInspection> {
  const values = { treated: new Map<string, number[]>(), control: new Map<string, number[]>() };
  const pairs = new Map<string, Partial<Record<'treated' | 'control', Covariates>>>();
  const byLanguage: Record<string, { treated: number; control: number }> = {};
  let rows = 0;
  for await (const row of readTestbedRows(testbed)) {
    rows++;
    byLanguage[row.language] ??= { treated: 0, control: 0 };
    byLanguage[row.language][row.arm]++;
    for (const name of COVARIATE_NAMES) {
      const list = values[row.arm].get(name) ?? [];
      list.push(row.covariates[name]);
      values[row.arm].set(name, list);
    }
    if (row.pairId) {
      const pair = pairs.get(row.pairId) ?? {};
      pair[row.arm] = row.covariates;
      pairs.set(row.pairId, pair);
    }
  }
  const covariates: CovariateSummary[] = COVARIATE_NAMES.map((name) => {
    const t = values.treated.get(name) ?? [];
    const c = values.control.get(name) ?? [];
    const balance = standardizedMeanDifference(t, c);
    let paired: number | null = null;
    if (pairs.size > 0) {
      const diffs: number[] = [];
      for (const p of pairs.values()) if (p.treated && p.control) diffs.push(p.treated[name] - p.control[name]);
      paired = diffs.length ? mean(diffs) : null;
    }
    return {
      covariate: name,
      treated: describe(t),
      control: describe(c),
      smd: Number.isFinite(balance.smd) ? balance.smd : NaN,
      varianceRatio: balance.varianceRatio ?? null,
      meanPairedDifference: paired,
    };
  });
  return {
    name: testbed.manifest.name,
    dir: testbed.dir,
    manifest: testbed.manifest,
    rows,
    arms: { treated: values.treated.get('chars')?.length ?? 0, control: values.control.get('chars')?.length ?? 0 },
    byLanguage,
    covariates,
  };
}
