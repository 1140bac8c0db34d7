/**
 * A HOCON reader (https://github.com/lightbend/config/blob/main/HOCON.md) for the project's configs.
 *
 * Supported: comments (# and //), root object with or without braces, `=` / `:` / `{` separators,
 * newline or comma separators, path keys (`a.b.c`), quoted, unquoted and triple-quoted strings,
 * numbers, booleans, null, value concatenation, arrays, object merging on repeated keys, `+=`,
 * substitutions `${a.b}` and `${?a.b}` (falling back to environment variables), self-references to a
 * key's previous value, and `include "file"` / `include file("...")` / `include required(...)`
 * relative to the including file. `url(...)` and `classpath(...)` includes are refused: configs must
 * never reach the network. Every value keeps its origin (file, line, column) so that a validator can
 * name the place a bad value came from.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type SourceLocation } from './errors.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

interface Origin { file: string; line: number; column: number }

type Node =
  | { kind: 'scalar'; value: string | number | boolean | null; origin: Origin; unquoted: boolean; raw: string }
  | { kind: 'object'; fields: Map<string, Node>; origin: Origin }
  | { kind: 'array'; items: Node[]; origin: Origin }
  | { kind: 'subst'; path: string[]; optional: boolean; origin: Origin; previous?: Node }
  | { kind: 'concat'; parts: Node[]; origin: Origin };

type Token =
  | { t: '{' | '}' | '[' | ']' | ',' | 'sep' | '+=' | 'nl'; o: Origin; ws: boolean }
  | { t: 'str'; v: string; quoted: boolean; o: Origin; ws: boolean }
  | { t: 'subst'; path: string; optional: boolean; o: Origin; ws: boolean }
  | { t: 'eof'; o: Origin; ws: boolean };

const UNQUOTED_STOP = new Set([...'$"{}[]:=,#`\\']);

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  let sawSpace = false;
  const origin = (): Origin => ({ file, line, column: col });
  const advance = (n: number): void => {
    for (let k = 0; k < n; k++) {
      if (text[i] === '\n') { line++; col = 1; } else col++;
      i++;
    }
  };
  const fail = (msg: string, o: Origin = origin()): never => {
    throw new ConfigError(msg, o);
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') { tokens.push({ t: 'nl', o: origin(), ws: sawSpace }); advance(1); sawSpace = false; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\ufeff') { advance(1); sawSpace = true; continue; }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') advance(1);
      continue;
    }
    const o = origin();
    const ws = sawSpace;
    sawSpace = false;
    if ('{}[],'.includes(c)) { tokens.push({ t: c as '{', o, ws }); advance(1); continue; }
    if (c === '=' || c === ':') { tokens.push({ t: 'sep', o, ws }); advance(1); continue; }
    if (c === '+' && text[i + 1] === '=') { tokens.push({ t: '+=', o, ws }); advance(2); continue; }
    if (c === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i);
      if (end < 0) fail('unterminated substitution ${...}', o);
      let body = text.slice(i + 2, end).trim();
      const optional = body.startsWith('?');
      if (optional) body = body.slice(1).trim();
      if (!body) fail('empty substitution ${}', o);
      tokens.push({ t: 'subst', path: body, optional, o, ws });
      advance(end + 1 - i);
      continue;
    }
    if (c === '"') {
      if (text.startsWith('"""', i)) {
        const end = text.indexOf('"""', i + 3);
        if (end < 0) fail('unterminated triple-quoted string', o);
        let stop = end + 3;
        while (text[stop] === '"') stop++; // extra quotes belong to the string
        const v = text.slice(i + 3, stop - 3);
        tokens.push({ t: 'str', v, quoted: true, o, ws });
        advance(stop - i);
        continue;
      }
      let j = i + 1;
      let v = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\n') fail('unterminated string (a quoted string cannot span lines; use """...""")', o);
        if (text[j] === '\\') {
          const e = text[j + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };
          if (e === 'u') { v += String.fromCharCode(parseInt(text.slice(j + 2, j + 6), 16)); j += 6; continue; }
          if (!(e in map)) fail(`bad escape \\${e} in string`, { file, line, column: col + (j - i) });
          v += map[e];
          j += 2;
          continue;
        }
        v += text[j++];
      }
      if (j >= text.length) fail('unterminated string', o);
      tokens.push({ t: 'str', v, quoted: true, o, ws });
      advance(j + 1 - i);
      continue;
    }
    // unquoted text: up to whitespace, a reserved character, a comment start or '+='
    let j = i;
    while (j < text.length) {
      const d = text[j];
      if (d === '\n' || d === ' ' || d === '\t' || d === '\r' || UNQUOTED_STOP.has(d)) break;
      if (d === '/' && text[j + 1] === '/') break;
      if (d === '+' && text[j + 1] === '=') break;
      j++;
    }
    if (j === i) fail(`unexpected character '${c}'`, o);
    tokens.push({ t: 'str', v: text.slice(i, j), quoted: false, o, ws });
    advance(j - i);
  }
  tokens.push({ t: 'eof', o: origin(), ws: false });
  return tokens;
}

function splitPath(path: string, o: Origin): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of path) {
    if (ch === '"') { quoted = !quoted; continue; }
    if (ch === '.' && !quoted) { parts.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  parts.push(cur.trim());
  if (parts.some((p) => p === '')) throw new ConfigError(`bad path '${path}'`, o);
  return parts;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[], private readonly file: string, private readonly depth: number) {}

  private peek(): Token { return this.tokens[this.pos]; }
  private take(): Token { return this.tokens[this.pos++]; }
  private skipNewlines(): void { while (this.peek().t === 'nl') this.pos++; }
  private fail(msg: string, tok: Token = this.peek()): never { throw new ConfigError(msg, tok.o); }

  parseRoot(): Node & { kind: 'object' } {
    this.skipNewlines();
    let root: Node & { kind: 'object' };
    if (this.peek().t === '{') {
      root = this.parseObject();
    } else if (this.peek().t === '[') {
      this.fail('the root of a config file must be an object');
    } else {
      root = this.parseFields({ file: this.file, line: 1, column: 1 }, 'eof');
    }
    this.skipNewlines();
    if (this.peek().t !== 'eof') this.fail('unexpected text after the end of the config');
    return root;
  }

  private parseObject(): Node & { kind: 'object' } {
    const open = this.take();
    const obj = this.parseFields(open.o, '}');
    this.take();
    return obj;
  }

  private parseFields(o: Origin, close: '}' | 'eof'): Node & { kind: 'object' } {
    const obj: Node & { kind: 'object' } = { kind: 'object', fields: new Map(), origin: o };
    for (;;) {
      this.skipNewlines();
      const tok = this.peek();
      if (tok.t === close) return obj;
      if (tok.t === 'eof') this.fail(`missing '}' to close the object opened at line ${o.line}`);
      if (tok.t === 'str' && !tok.quoted && tok.v === 'include') { this.take(); this.parseInclude(obj); }
      else this.parseField(obj);
      const sep = this.peek();
      if (sep.t === ',') this.take();
      else if (sep.t !== 'nl' && sep.t !== close) this.fail(`expected a newline or ',' after a field, found ${describe(sep)}`);
    }
  }

  private parseInclude(into: Node & { kind: 'object' }): void {
    const tok = this.take();
    let required = false;
    let name: string | undefined;
    if (tok.t === 'str' && tok.quoted) name = tok.v;
    else if (tok.t === 'str' && !tok.quoted) {
      const m = /^(required|file|url|classpath)\($/.exec(tok.v) ?? /^(required|file|url|classpath)\(/.exec(tok.v);
      if (!m) this.fail("include takes a quoted file name: include \"other.conf\"", tok);
      const kind = m[1];
      if (kind === 'url' || kind === 'classpath') this.fail(`${kind}(...) includes are refused: configs are read from local files only`, tok);
      // required(file("x")) / file("x") / required("x")
      let rest = tok.v.slice(m[0].length);
      if (kind === 'required') {
        required = true;
        if (rest.startsWith('file(')) rest = rest.slice(5);
        else if (rest.startsWith('url(') || rest.startsWith('classpath(')) this.fail('url()/classpath() includes are refused: configs are read from local files only', tok);
      }
      const next = this.take();
      if (next.t !== 'str' || !next.quoted) this.fail('include expects a quoted file name', next);
      name = next.v;
      // closing parentheses arrive as unquoted text ")" or "))"
      const close = this.peek();
      if (close.t === 'str' && !close.quoted && /^\)+$/.test(close.v)) this.take();
    } else this.fail('include expects a quoted file name', tok);
    const path = resolve(dirname(this.file), name!);
    if (!existsSync(path)) {
      if (required) this.fail(`required include not found: ${path}`, tok);
      return;
    }
    if (this.depth > 20) this.fail('includes nested more than 20 deep (a cycle?)', tok);
    const included = parseFileToNode(path, this.depth + 1);
    for (const [k, v] of included.fields) setField(into, [k], v, false);
  }

  private parseField(obj: Node & { kind: 'object' }): void {
    const keyTok = this.peek();
    let key = '';
    // a key is a run of string tokens with no separator; whitespace inside unquoted keys is kept
    while (this.peek().t === 'str') {
      const t = this.take() as Token & { t: 'str' };
      if (key && t.ws) key += ' ';
      key += t.quoted ? `"${t.v}"` : t.v;
      const n = this.peek();
      if (n.t === 'str' && n.ws && !t.quoted && !n.quoted) continue;
      if (n.t !== 'str') break;
    }
    if (!key) this.fail(`expected a key, found ${describe(keyTok)}`, keyTok);
    const path = splitPath(key, keyTok.o);
    const sep = this.peek();
    let append = false;
    if (sep.t === 'sep') this.take();
    else if (sep.t === '+=') { this.take(); append = true; }
    else if (sep.t !== '{') this.fail(`expected '=', ':' or '{' after key '${key}', found ${describe(sep)}`, sep);
    this.skipNewlines();
    let value = this.parseValue();
    if (append) {
      const array: Node = { kind: 'array', items: [value], origin: value.origin };
      const prev = getField(obj, path);
      value = prev ? { kind: 'concat', parts: [prev, array], origin: value.origin } : array;
    }
    setField(obj, path, value, true);
  }

  private parseValue(): Node {
    const parts: Node[] = [];
    const start = this.peek();
    for (;;) {
      const tok = this.peek();
      if (parts.length > 0 && tok.ws && (tok.t === 'str' || tok.t === 'subst')) {
        parts.push({ kind: 'scalar', value: ' ', origin: tok.o, unquoted: false, raw: ' ' });
      }
      if (tok.t === '{') parts.push(this.parseObject());
      else if (tok.t === '[') parts.push(this.parseArray());
      else if (tok.t === 'subst') {
        this.take();
        parts.push({ kind: 'subst', path: splitPath(tok.path, tok.o), optional: tok.optional, origin: tok.o });
      } else if (tok.t === 'str') {
        this.take();
        parts.push(scalarFrom(tok));
      } else break;
    }
    if (parts.length === 0) this.fail(`expected a value, found ${describe(start)}`, start);
    if (parts.length === 1) return parts[0];
    // drop trailing whitespace pieces
    while (parts.length > 1 && parts[parts.length - 1].kind === 'scalar' && (parts[parts.length - 1] as { raw: string }).raw === ' ') parts.pop();
    return parts.length === 1 ? parts[0] : { kind: 'concat', parts, origin: parts[0].origin };
  }

  private parseArray(): Node {
    const open = this.take();
    const items: Node[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.peek().t === ']') { this.take(); break; }
      if (this.peek().t === 'eof') this.fail(`missing ']' to close the array opened at line ${open.o.line}`, open);
      items.push(this.parseValue());
      const sep = this.peek();
      if (sep.t === ',') this.take();
      else if (sep.t !== 'nl' && sep.t !== ']') this.fail(`expected ',' or ']' in array, found ${describe(sep)}`, sep);
    }
    return { kind: 'array', items, origin: open.o };
  }
}

function describe(tok: Token): string {
  if (tok.t === 'eof') return 'the end of the file';
  if (tok.t === 'nl') return 'a newline';
  if (tok.t === 'str') return `'${tok.v}'`;
  if (tok.t === 'subst') return `\${${tok.path}}`;
  if (tok.t === 'sep') return "'='";
  return `'${tok.t}'`;
}

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

function scalarFrom(tok: Token & { t: 'str' }): Node {
  const o = tok.o;
  if (tok.quoted) return { kind: 'scalar', value: tok.v, origin: o, unquoted: false, raw: tok.v };
  const v = tok.v;
  if (v === 'true' || v === 'false') return { kind: 'scalar', value: v === 'true', origin: o, unquoted: true, raw: v };
  if (v === 'null') return { kind: 'scalar', value: null, origin: o, unquoted: true, raw: v };
  if (NUMBER.test(v)) return { kind: 'scalar', value: Number(v), origin: o, unquoted: true, raw: v };
  return { kind: 'scalar', value: v, origin: o, unquoted: true, raw: v };
}

function getField(obj: Node & { kind: 'object' }, path: string[]): Node | undefined {
  let cur: Node | undefined = obj;
  for (const p of path) {
    if (!cur || cur.kind !== 'object') return undefined;
    cur = cur.fields.get(p);
  }
  return cur;
}

/** Assign with HOCON merge rules: objects merge, anything else replaces; self-references see the old value. */
function setField(obj: Node & { kind: 'object' }, path: string[], value: Node, fromParse: boolean): void {
  const [head, ...rest] = path;
  if (rest.length > 0) {
    let child = obj.fields.get(head);
    if (!child || child.kind !== 'object') {
      child = { kind: 'object', fields: new Map(), origin: value.origin };
      obj.fields.set(head, child);
    }
    setField(child, rest, value, fromParse);
    return;
  }
  const prev = obj.fields.get(head);
  if (prev) bindSelfReferences(value, prev);
  if (prev && prev.kind === 'object' && value.kind === 'object') {
    for (const [k, v] of value.fields) setField(prev, [k], v, fromParse);
    return;
  }
  obj.fields.set(head, value);
}

/** `a = ${a} [x]` refers to the previous value of `a`; record it on the substitution node. */
function bindSelfReferences(value: Node, previous: Node): void {
  if (value.kind === 'subst') { value.previous ??= previous; return; }
  if (value.kind === 'concat') for (const p of value.parts) bindSelfReferences(p, previous);
}

function parseFileToNode(path: string, depth: number): Node & { kind: 'object' } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file: ${(error as Error).message}`, { file: path });
  }
  return new Parser(tokenize(text, path), path, depth).parseRoot();
}

export interface HoconDocument {
  value: JsonObject;
  /** Where each value came from, by dotted path ("train.lr" -> file:line:column). */
  origins: Map<string, SourceLocation>;
}

class Resolver {
  readonly origins = new Map<string, SourceLocation>();
  private readonly resolving = new Set<Node>();
  constructor(private readonly root: Node & { kind: 'object' }, private readonly env: NodeJS.ProcessEnv) {}

  resolve(node: Node, path: string): JsonValue | undefined {
    if (!this.origins.has(path) && path) this.origins.set(path, node.origin);
    switch (node.kind) {
      case 'scalar':
        return node.value;
      case 'array':
        return node.items.map((item, i) => this.resolve(item, `${path}[${i}]`)).filter((v): v is JsonValue => v !== undefined);
      case 'object': {
        const out: JsonObject = {};
        for (const [k, v] of node.fields) {
          const r = this.resolve(v, path ? `${path}.${k}` : k);
          if (r !== undefined) out[k] = r;
        }
        return out;
      }
      case 'subst':
        return this.substitute(node, path);
      case 'concat':
        return this.concat(node, path);
    }
  }

  private substitute(node: Node & { kind: 'subst' }, path: string): JsonValue | undefined {
    if (this.resolving.has(node)) throw new ConfigError(`substitution cycle at \${${node.path.join('.')}}`, node.origin);
    this.resolving.add(node);
    try {
      const selfPath = path.replace(/\[\d+\]$/, '');
      let target: Node | undefined;
      if (node.previous && node.path.join('.') === selfPath) target = node.previous;
      else target = getField(this.root, node.path);
      if (target) return this.resolve(target, node.path.join('.'));
      const envValue = this.env[node.path.join('.')];
      if (envValue !== undefined) return envValue;
      if (node.optional) return undefined;
      throw new ConfigError(`\${${node.path.join('.')}} is not defined in the config nor in the environment`, node.origin);
    } finally {
      this.resolving.delete(node);
    }
  }

  private concat(node: Node & { kind: 'concat' }, path: string): JsonValue | undefined {
    const values = node.parts.map((p) => this.resolve(p, path)).filter((v): v is JsonValue => v !== undefined);
    const nonSpace = values.filter((v) => v !== ' ');
    if (nonSpace.length === 0) return undefined;
    if (nonSpace.every((v) => Array.isArray(v))) return (nonSpace as JsonValue[][]).flat();
    if (nonSpace.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v))) {
      return Object.assign({}, ...(nonSpace as JsonObject[]));
    }
    if (nonSpace.some((v) => typeof v === 'object' && v !== null)) {
      throw new ConfigError('cannot concatenate an object or array with a string', node.origin);
    }
    return values.map((v) => (v === null ? 'null' : String(v))).join('').trim();
  }
}

export function parseHocon(text: string, file = '<string>', env: NodeJS.ProcessEnv = process.env): HoconDocument {
  const root = new Parser(tokenize(text, file), file, 0).parseRoot();
  const resolver = new Resolver(root, env);
  const value = resolver.resolve(root, '') as JsonObject;
  return { value, origins: resolver.origins };
}

export function readHoconFile(path: string, env: NodeJS.ProcessEnv = process.env): HoconDocument {
  const root = parseFileToNode(resolve(path), 0);
  const resolver = new Resolver(root, env);
  const value = resolver.resolve(root, '') as JsonObject;
  return { value, origins: resolver.origins };
}
