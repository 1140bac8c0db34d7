/**
 * Design matrices as R's model.matrix builds them: an intercept, numeric columns as they are, and
 * each categorical column dummy-coded with its first level (sorted, as R sorts factor levels) as the
 * reference; dummies are named column + level (`catb`, `catc`). Missing values are an error naming
 * the column and the (1-based data) row.
 */
import { UserError } from '../util/errors.ts';
import { DECIMAL, getColumn, isNumeric, rowWhere, type DataTable } from './table.ts';

export interface DesignMatrix {
  /** Column-major: X[j * n + i]. */
  X: Float64Array;
  n: number;
  k: number;
  names: string[];
  /** For each design column, the data column it comes from (null for the intercept). */
  sources: (string | null)[];
}

export interface DesignOptions {
  intercept?: boolean;
  /** Rows to use (default: all), e.g. one arm. */
  rows?: Int32Array | number[];
}

/** The sorted distinct levels of a text column, with an error for missing values. */
export function levelsOf(table: DataTable, name: string, rows?: ArrayLike<number>): string[] {
  const column = getColumn(table, name);
  if (isNumeric(column)) throw new Error(`${name} is numeric`);
  const levels = new Set<string>();
  const n = rows ? rows.length : table.n;
  for (let r = 0; r < n; r++) {
    const i = rows ? rows[r] : r;
    const v = column[i];
    if (v === null) throw missing(table, name, i);
    levels.add(v);
  }
  return [...levels].sort();
}

function missing(table: DataTable, name: string, row: number): UserError {
  const column = getColumn(table, name);
  const value = isNumeric(column) ? column[row] : null;
  const what = value !== null && !Number.isNaN(value) ? `the non-finite value ${value}` : 'a missing value';
  return new UserError(`${rowWhere(table, row)}${what} in column '${name}'`, {
    hint: 'fix or impute the value in the file, or drop the rows with missing values (effect --na drop)',
  });
}

export function designMatrix(table: DataTable, terms: readonly string[], options: DesignOptions = {}): DesignMatrix {
  const rows = options.rows;
  const n = rows ? rows.length : table.n;
  const cols: Float64Array[] = [];
  const names: string[] = [];
  const sources: (string | null)[] = [];
  if (options.intercept ?? true) {
    cols.push(new Float64Array(n).fill(1));
    names.push('(Intercept)');
    sources.push(null);
  }
  for (const term of terms) {
    const column = getColumn(table, term);
    if (isNumeric(column)) {
      const out = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const v = column[rows ? rows[r] : r];
        if (!Number.isFinite(v)) throw missing(table, term, rows ? rows[r] : r);
        out[r] = v;
      }
      cols.push(out);
      names.push(term);
      sources.push(term);
    } else {
      const levels = levelsOf(table, term, rows);
      for (const level of levels.slice(1)) {
        const out = new Float64Array(n);
        for (let r = 0; r < n; r++) out[r] = column[rows ? rows[r] : r] === level ? 1 : 0;
        cols.push(out);
        names.push(`${term}${level}`);
        sources.push(term);
      }
    }
  }
  const k = cols.length;
  const X = new Float64Array(n * k);
  cols.forEach((c, j) => X.set(c, j * n));
  return { X, n, k, names, sources };
}

/** A numeric column as a vector (rows optional), with missing values rejected. */
export function numericVector(table: DataTable, name: string, rows?: ArrayLike<number>): Float64Array {
  const column = getColumn(table, name);
  if (!isNumeric(column)) {
    const row = column.findIndex((v) => v !== null && !DECIMAL.test(v));
    throw new UserError(`${row >= 0 ? rowWhere(table, row) : table.source ? `${table.source}: ` : ''}column '${name}' must be numeric${row >= 0 ? `, this row has '${column[row]}'` : ''}`, { hint: 'an outcome is a number on every row' });
  }
  const n = rows ? rows.length : table.n;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const v = column[rows ? rows[r] : r];
    if (!Number.isFinite(v)) throw missing(table, name, rows ? rows[r] : r);
    out[r] = v;
  }
  return out;
}
