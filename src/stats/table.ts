/**
 * Tables for the causal engine: named columns, numeric (Float64Array, NaN = missing) or text
 * (string[], null = missing). `readCsv` reads RFC 4180 CSV with a header; numbers are parsed with
 * JavaScript's correctly rounded parser.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.ts';

export type Column = Float64Array | (string | null)[];

export interface DataTable {
  n: number;
  names: string[];
  columns: Map<string, Column>;
  /** Where the table came from, for error messages. */
  source?: string;
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

export function getColumn(table: DataTable, name: string): Column {
  const column = table.columns.get(name);
  if (!column) {
    throw new UserError(`${table.source ? `${table.source}: ` : ''}no column '${name}'`, { hint: `columns are: ${table.names.join(', ')}` });
  }
  return column;
}

/** Split one CSV record into fields (quotes, doubled quotes). Returns null when a quote is left open. */
function splitCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { fields.push(field); field = ''; }
    else field += c;
  }
  if (quoted) return null;
  fields.push(field);
  return fields;
}

const MISSING = new Set(['', 'NA', 'NaN', 'nan', 'null', 'NULL']);

/**
 * Read a CSV file. A column whose every present value is a number becomes numeric; otherwise text.
 * Missing values (empty, NA, NaN, null) are kept as NaN / null and rejected later by the design
 * matrix with the row they are on.
 */
export function readCsv(path: string): DataTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new UserError(`${path}: the file is empty`, { hint: 'a CSV with a header row is expected' });
  const header = splitCsvLine(lines[0].replace(/^\ufeff/, ''));
  if (!header) throw new UserError(`${path}:1: unterminated quote in the header`);
  const names = header.map((h) => h.trim());
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new UserError(`${path}:1: the column name '${name}' appears twice`);
    seen.add(name);
  }
  const raw: string[][] = names.map(() => []);
  for (let i = 1; i < lines.length; i++) {
    const fields = splitCsvLine(lines[i]);
    if (!fields) throw new UserError(`${path}:${i + 1}: unterminated quote`, { hint: 'multi-line fields are not supported' });
    if (fields.length !== names.length) {
      throw new UserError(`${path}:${i + 1}: ${fields.length} fields, the header has ${names.length}`, { hint: 'check for a missing or extra comma' });
    }
    fields.forEach((f, j) => raw[j].push(f.trim()));
  }
  const columns = new Map<string, Column>();
  names.forEach((name, j) => {
    const values = raw[j];
    const numeric = values.every((v) => MISSING.has(v) || Number.isFinite(Number(v)));
    columns.set(name, numeric ? Float64Array.from(values, (v) => (MISSING.has(v) ? NaN : Number(v))) : values.map((v) => (MISSING.has(v) ? null : v)));
  });
  return { n: lines.length - 1, names, columns, source: path };
}
