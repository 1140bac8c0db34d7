/**
 * Tables for the causal engine: named columns, numeric (Float64Array, NaN = missing) or text
 * (string[], null = missing). `readCsv` reads RFC 4180 CSV with a header; numbers are parsed with
 * JavaScript's correctly rounded parser.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import { decodeUtf8, parseCsv } from './csv.ts';

export type Column = Float64Array | (string | null)[];

export interface DataTable {
  n: number;
  names: string[];
  columns: Map<string, Column>;
  /** Where the table came from, for error messages. */
  source?: string;
  /** The file line of each data row (CSV), for error messages. */
  lines?: Int32Array;
  /** Each row's 0-based row in the data as read, when rows were dropped (na: 'drop'); else the row itself. */
  dataRows?: Int32Array;
  /** Columns that are numbers but for a few values (CSV): using one is an error naming them. */
  strays?: Map<string, StrayValues>;
}

export function isNumeric(column: Column): column is Float64Array {
  return column instanceof Float64Array;
}

export function tableFromColumns(columns: Record<string, ArrayLike<number> | (string | null)[]>, source?: string): DataTable {
  const names = Object.keys(columns);
  const map = new Map<string, Column>();
  let n = -1;
  for (const name of names) {
    const col = columns[name];
    const column: Column = Array.isArray(col) && typeof col.find((v) => v !== null) === 'string' ? (col as (string | null)[]) : Float64Array.from(col as ArrayLike<number>);
    if (n >= 0 && column.length !== n) throw new UserError(`column '${name}' has ${column.length} values, others have ${n}`);
    n = column.length;
    map.set(name, column);
  }
  return { n: Math.max(n, 0), names, columns: map, source };
}

/** The same table with these columns read as categories (numeric codes as text levels). */
export function asCategories(table: DataTable, names: readonly string[]): DataTable {
  if (names.length === 0) return table;
  const columns = new Map(table.columns);
  const strays = new Map(table.strays ?? []);
  for (const name of names) {
    const column = getColumn(table, name);
    if (isNumeric(column)) columns.set(name, Array.from(column, (v) => (Number.isNaN(v) ? null : String(v))));
    strays.delete(name);
  }
  return { ...table, columns, strays: strays.size ? strays : undefined };
}

export function getColumn(table: DataTable, name: string): Column {
  const column = table.columns.get(name);
  if (!column) {
    throw new UserError(`${table.source ? `${table.source}: ` : ''}no column '${name}'`, { hint: `columns are: ${table.names.join(', ')}` });
  }
  return column;
}

const MISSING = new Set(['', 'NA', 'NaN', 'nan', 'null', 'NULL']);
/** A decimal number as a CSV field holds it (no hex, no Infinity, no blanks). */
export const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The values of a column that is numeric but for a few, which make it unusable as it is. */
export interface StrayValues {
  /** 0-based data rows. */
  rows: number[];
  values: string[];
}

/** Where data row `row` (0-based) is, for messages: the file line when known. */
export function rowLabel(table: DataTable, row: number): string {
  return table.lines ? `line ${table.lines[row]}` : `data row ${row + 1}`;
}

/** The file (and line) prefix of a message about one row. */
export function rowWhere(table: DataTable, row: number): string {
  return table.source && table.lines ? `${table.source}:${table.lines[row]}: ` : table.source ? `${table.source}: data row ${row + 1}: ` : `data row ${row + 1}: `;
}

/**
 * Type one column from its field texts. Every present value a decimal number: numeric. More numbers
 * than other values: the column is kept as text but its stray values are recorded, so that using it
 * is an error naming them (a numeric column silently dummy-coded on one 'n/a' is the failure this
 * prevents). Otherwise: text.
 */
export function typeColumn(values: string[]): { column: Column; strays?: StrayValues } {
  let present = 0;
  let numbers = 0;
  for (const v of values) {
    if (MISSING.has(v)) continue;
    present++;
    if (DECIMAL.test(v)) numbers++;
  }
  if (numbers === present) return { column: Float64Array.from(values, (v) => (MISSING.has(v) ? NaN : Number(v))) };
  const column = values.map((v) => (MISSING.has(v) ? null : v));
  if (numbers <= present - numbers) return { column };
  const strays: StrayValues = { rows: [], values: [] };
  values.forEach((v, i) => {
    if (!MISSING.has(v) && !DECIMAL.test(v)) { strays.rows.push(i); strays.values.push(v); }
  });
  return { column, strays };
}

/**
 * Read an RFC 4180 CSV file with a header (csv.ts). Missing values (empty, NA, NaN, null) are kept as
 * NaN / null and rejected later with the line they are on (or dropped with `completeRows`).
 */
export function readCsv(path: string): DataTable {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${path}: ${code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`, { hint: 'pass a readable .csv or .parquet file' });
  }
  const { names, fields, lines } = parseCsv(decodeUtf8(bytes, path), path);
  if (lines.length === 0) throw new UserError(`${path}: the file has a header but no data rows`, { hint: 'one row per unit is expected below the header' });
  const columns = new Map<string, Column>();
  const strays = new Map<string, StrayValues>();
  names.forEach((name, j) => {
    const typed = typeColumn(fields[j]);
    columns.set(name, typed.column);
    if (typed.strays) strays.set(name, typed.strays);
  });
  return { n: lines.length, names, columns, source: path, lines, strays };
}
