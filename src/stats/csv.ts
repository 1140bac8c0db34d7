/**
 * RFC 4180 CSV: records end at CRLF or LF outside quotes; a quoted field may hold commas, doubled
 * quotes and line breaks. Anything else is an error naming the file line (a quote inside an unquoted
 * field, text after a closing quote, a quote left open, a record with the wrong number of fields),
 * because a lenient guess here would become a wrong number later. The bytes must be UTF-8.
 *
 * Reference: Y. Shafranovich, "Common Format and MIME Type for CSV Files", RFC 4180, 2005.
 */
import { UserError } from '../util/errors.ts';

export interface CsvColumns {
  names: string[];
  /** One array of raw field texts per column. Unquoted fields are trimmed; quoted ones are kept as written. */
  fields: string[][];
  /** The 1-based file line each data record starts on. */
  lines: Int32Array;
}

/** Decode UTF-8 strictly; on a bad byte, name its line. */
export function decodeUtf8(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          decoder.decode(bytes.subarray(start, i));
        } catch {
          break;
        }
        line++;
        start = i + 1;
      }
    }
    throw new UserError(`${path}:${line}: the file is not valid UTF-8`, { hint: 'save the file as UTF-8 (for example: iconv -f latin1 -t utf-8)' });
  }
}

export function parseCsv(text: string, path: string): CsvColumns {
  let names: string[] | null = null;
  let fields: string[][] = [];
  const lines: number[] = [];
  let line = 1;
  let record: string[] = [];
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  const fail = (at: number, message: string, hint?: string): never => {
    throw new UserError(`${path}:${at}: ${message}`, { hint: hint ?? 'fix the file: RFC 4180 CSV, fields with commas, quotes or line breaks in double quotes, a quote inside them doubled' });
  };
  const endRecord = () => {
    if (names === null) {
      names = record.map((h) => h.trim());
      const seen = new Set<string>();
      names.forEach((name, j) => {
        if (name === '') fail(recordLine, `column ${j + 1} of the header has no name`);
        if (seen.has(name)) fail(recordLine, `the column name '${name}' appears twice`);
        seen.add(name);
      });
      fields = names.map(() => []);
    } else if (!(record.length === 1 && record[0] === '' && names.length > 1)) {
      if (record.length !== names.length) fail(recordLine, `${record.length} fields, the header has ${names.length}`, 'check for a missing or extra comma, or an unquoted comma inside a field');
      for (let j = 0; j < record.length; j++) fields[j].push(record[j]);
      lines.push(recordLine);
    }
    record = [];
  };
  while (i < n) {
    recordLine = line;
    // one record
    for (;;) {
      let field: string;
      if (text.charCodeAt(i) === 0x22) {
        const fieldLine = line;
        let value = '';
        let from = ++i;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) fail(fieldLine, 'a quoted field is never closed', 'close the quote, or double a quote that is part of the text ("")');
          for (let k = i; k < q; k++) if (text.charCodeAt(k) === 0x0a) line++;
          if (text.charCodeAt(q + 1) === 0x22) {
            value += text.slice(from, q + 1);
            i = from = q + 2;
            continue;
          }
          value += text.slice(from, q);
          i = q + 1;
          break;
        }
        const next = text.charCodeAt(i);
        if (i < n && next !== 0x2c && next !== 0x0a && !(next === 0x0d && text.charCodeAt(i + 1) === 0x0a)) {
          fail(line, `text after a closing quote ('${text.slice(i, i + 10).split(/\r?\n/)[0]}')`);
        }
        field = value;
      } else {
        let end = i;
        while (end < n) {
          const c = text.charCodeAt(end);
          if (c === 0x2c || c === 0x0a || (c === 0x0d && text.charCodeAt(end + 1) === 0x0a)) break;
          if (c === 0x22) fail(line, `a quote inside an unquoted field ('${text.slice(i, Math.min(n, end + 10)).split(/\r?\n/)[0]}')`);
          end++;
        }
        field = text.slice(i, end).trim();
        i = end;
      }
      record.push(field);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === 0x2c) {
        i++;
        if (i >= n) { record.push(''); break; }
        continue;
      }
      i += c === 0x0d ? 2 : 1;
      line++;
      break;
    }
    endRecord();
  }
  if (names === null) throw new UserError(`${path}: the file is empty`, { hint: 'a CSV with a header row is expected' });
  return { names, fields, lines: Int32Array.from(lines) };
}
