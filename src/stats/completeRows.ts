/**
 * Complete-case analysis (listwise deletion): keep the rows with a usable value in every column the
 * analysis uses. A column that is numeric but for a few stray values ('n/a', 'Inf', '?') becomes numeric
 * with those values missing. Unbiased only when the values are missing completely at random (Little &
 * Rubin 2019, ch. 3), which is why it is an option (`effect --na drop`) and the count is reported.
 */
import { getColumn, isNumeric, type Column, type DataTable } from './table.ts';

export interface CompleteRows {
  table: DataTable;
  /** Rows dropped, of table.n before. */
  dropped: number;
  /** Rows with an unusable value, per column (a row can count in several). */
  byColumn: Record<string, number>;
  /** Says what was dropped, for the estimate's warnings; empty when nothing was. */
  warning: string | null;
}

export function completeRows(table: DataTable, columns: readonly string[]): CompleteRows {
  const used = [...new Set(columns)];
  const converted = new Map<string, Column>(table.columns);
  for (const name of used) {
    const column = getColumn(table, name);
    const strays = table.strays?.get(name);
    if (strays && !isNumeric(column)) {
      const numeric = new Float64Array(table.n);
      const bad = new Set(strays.rows);
      for (let i = 0; i < table.n; i++) numeric[i] = bad.has(i) || column[i] === null ? NaN : Number(column[i]);
      converted.set(name, numeric);
    }
  }
  const keep = new Uint8Array(table.n).fill(1);
  const byColumn: Record<string, number> = {};
  for (const name of used) {
    const column = converted.get(name)!;
    let count = 0;
    for (let i = 0; i < table.n; i++) {
      const v = column[i];
      const unusable = isNumeric(column) ? !Number.isFinite(v as number) : v === null;
      if (unusable) { count++; keep[i] = 0; }
    }
    if (count > 0) byColumn[name] = count;
  }
  const rows: number[] = [];
  for (let i = 0; i < table.n; i++) if (keep[i]) rows.push(i);
  const dropped = table.n - rows.length;
  const columnsOut = new Map<string, Column>();
  for (const [name, column] of converted) {
    columnsOut.set(name, isNumeric(column) ? Float64Array.from(rows, (i) => column[i]) : rows.map((i) => column[i]));
  }
  const strays = new Map([...(table.strays ?? [])].filter(([name]) => !used.includes(name)).map(([name, s]) => {
    const at = new Map(rows.map((i, r) => [i, r]));
    const kept = s.rows.map((i, k) => [at.get(i), s.values[k]] as const).filter(([r]) => r !== undefined) as [number, string][];
    return [name, { rows: kept.map(([r]) => r), values: kept.map(([, v]) => v) }];
  }));
  const out: DataTable = {
    n: rows.length, names: table.names, columns: columnsOut, source: table.source,
    lines: table.lines ? Int32Array.from(rows, (i) => table.lines![i]) : undefined,
    dataRows: Int32Array.from(rows, (i) => table.dataRows?.[i] ?? i),
    strays: strays.size ? strays : undefined,
  };
  const detail = Object.entries(byColumn).map(([name, count]) => `${name}: ${count}`).join(', ');
  const warning = dropped > 0 ? `${dropped} of ${table.n} rows had a missing or non-numeric value and were dropped (${detail}); the estimate assumes these values are missing completely at random` : null;
  return { table: out, dropped, byColumn, warning };
}
