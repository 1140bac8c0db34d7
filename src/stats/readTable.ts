/**
 * Read a data table from CSV or Parquet (by extension). Parquet goes through DuckDB: numeric columns
 * are cast to DOUBLE and others to VARCHAR, so any Parquet writer's types (int64, decimal, float32,
 * string, boolean as 0/1) arrive as numbers or text.
 */
import { existsSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import { readCsv, type Column, type DataTable } from './table.ts';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*|BOOLEAN)$/;

export async function readTable(path: string): Promise<DataTable> {
  if (!existsSync(path)) throw new UserError(`data file not found: ${path}`, { hint: 'pass a .csv or .parquet file' });
  if (/\.csv$/i.test(path)) return readCsv(path);
  if (!/\.parquet$/i.test(path)) throw new UserError(`${path}: unknown format`, { hint: 'the data must be a .csv or .parquet file' });
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const literal = `'${path.replace(/'/g, "''")}'`;
    let described;
    try {
      described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${literal})`);
    } catch (error) {
      throw new UserError(`${path}: not a readable Parquet file (${(error as Error).message.split('\n')[0]})`);
    }
    const rows = described.getRowObjectsJS() as { column_name: string; column_type: string }[];
    const select = rows.map(({ column_name: name, column_type: type }) => {
      const quoted = `"${name.replace(/"/g, '""')}"`;
      return NUMERIC.test(type) ? `CAST(${quoted} AS DOUBLE) AS ${quoted}` : `CAST(${quoted} AS VARCHAR) AS ${quoted}`;
    });
    const reader = await connection.runAndReadAll(`SELECT ${select.join(', ')} FROM read_parquet(${literal})`);
    const names = reader.columnNames();
    const data = reader.getColumnsJS() as unknown[][];
    const columns = new Map<string, Column>();
    names.forEach((name, j) => {
      const numeric = NUMERIC.test(rows[j].column_type);
      columns.set(name, numeric ? Float64Array.from(data[j], (v) => (v === null ? NaN : Number(v))) : data[j].map((v) => (v === null ? null : String(v))));
    });
    return { n: data[0]?.length ?? 0, names, columns, source: path };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
