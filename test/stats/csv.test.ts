import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseCsv } from '../../src/stats/csv.ts';
import { readCsv } from '../../src/stats/table.ts';
import { tempDir } from '../helpers.ts';

// Valid RFC 4180 files, each read by DuckDB's CSV reader as the reference.
const VALID: Record<string, string> = {
  plain: 'a,b\n1,2\n3,4\n',
  crlf: 'a,b\r\n1,2\r\n3,4\r\n',
  'no final newline': 'a,b\n1,2\n3,4',
  'quoted comma': 'a,b\n"1,5",2\n',
  'doubled quote': 'a,b\n"say ""hi""",2\n',
  'line break in a field': 'a,b\n"one\ntwo",2\n"three\r\nfour",5\n',
  'empty fields': 'a,b,c\n,,\n1,,3\n',
  'unicode': 'naïve,b\n"日本語",ü\n',
};

test('parseCsv reads valid RFC 4180 files as DuckDB read_csv does', async () => {
  const dir = tempDir();
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    for (const [name, text] of Object.entries(VALID)) {
      const path = join(dir, `${name.replace(/ /g, '_')}.csv`);
      writeFileSync(path, text);
      const ours = parseCsv(text, path);
      const reader = await con.runAndReadAll(`SELECT * FROM read_csv('${path}', header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`);
      assert.deepEqual(ours.names, reader.columnNames(), name);
      const theirs = (reader.getColumnsJS() as (string | null)[][]).map((col) => col.map((v) => v ?? ''));
      assert.deepEqual(ours.fields, theirs, name);
    }
  } finally {
    con.closeSync();
    db.closeSync();
  }
});

test('parseCsv: each data record knows the line it starts on, across quoted line breaks', () => {
  const { lines, fields } = parseCsv('a,b\n1,"x\ny\nz"\n2,w\n\n3,v\n', 'f.csv');
  assert.deepEqual([...lines], [2, 5, 7]);
  assert.deepEqual(fields[0], ['1', '2', '3']);
});

test('parseCsv: malformed files are errors with the file line and a fix', () => {
  const cases: [string, RegExp][] = [
    ['a,b\n1,"open\n2,3\n', /f\.csv:2: a quoted field is never closed/],
    ['a,b\n1,2\n3,4,5\n', /f\.csv:3: 3 fields, the header has 2/],
    ['a,b\n1,"x"y\n', /f\.csv:2: text after a closing quote/],
    ['a,b\n1,x"y"\n', /f\.csv:2: a quote inside an unquoted field/],
    ['a,a\n1,2\n', /f\.csv:1: the column name 'a' appears twice/],
    ['a,,c\n1,2,3\n', /f\.csv:1: column 2 of the header has no name/],
    ['', /f\.csv: the file is empty/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseCsv(text, 'f.csv'), message, JSON.stringify(text));
});

test('readCsv: invalid UTF-8 names its line; a folder is a clear error', () => {
  const dir = tempDir();
  const path = join(dir, 'latin1.csv');
  writeFileSync(path, Buffer.from([...Buffer.from('a,b\n1,2\n3,'), 0xe9, 0x0a]));
  assert.throws(() => readCsv(path), /latin1\.csv:3: the file is not valid UTF-8/);
  assert.throws(() => readCsv(dir), /it is a folder/);
});

test('readCsv: a numeric column with stray values keeps them as strays, not as numbers or silent categories', () => {
  const dir = tempDir();
  const path = join(dir, 'd.csv');
  writeFileSync(path, 'x,g\n1,a\nn/a,b\n3,c\nInf,d\n5,e\n');
  const table = readCsv(path);
  assert.deepEqual(table.strays?.get('x'), { rows: [1, 3], values: ['n/a', 'Inf'] });
  assert.equal(table.strays?.has('g'), false);
});
