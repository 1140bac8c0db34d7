/**
 * Concept taxonomies: named categories of tree-sitter node types, per language, read from HOCON files
 * (conf/concepts/<language>.conf by default). Category membership is a bit in a 32-bit mask, so a
 * token's concepts are a single integer and set operations are bitwise.
 */
import { existsSync } from 'node:fs';
import { ConfigError } from '../util/errors.ts';
import { readHoconFile, type JsonValue } from '../util/hocon.ts';
import { packagePath } from '../util/paths.ts';
import { isLanguageId, type LanguageId } from '../languages/languages.ts';
import { loadLanguage, typeNamesOf } from '../languages/parser.ts';

export interface ConceptCategory {
  id: string;
  label: string;
  nodeTypes: string[];
  bit: number;
}

export interface ConceptTaxonomy {
  language: LanguageId;
  source: string;
  file: string;
  categories: ConceptCategory[];
  /** Category mask for each tree-sitter type id (index 0xFFFF is ERROR, which has none). */
  maskByTypeId: Uint32Array;
}

export const MAX_CATEGORIES = 32;

export function defaultTaxonomyPath(language: LanguageId): string {
  return packagePath('conf', 'concepts', `${language}.conf`);
}

function asNodeTypeName(value: JsonValue): string | undefined {
  if (typeof value === 'string') return value;
  // unquoted true/false/null in HOCON are literals; as node types they are the keywords' names
  if (typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return undefined;
}

/** Read and validate a taxonomy; every node type must exist in the language's grammar. */
export async function loadTaxonomy(language: LanguageId, file = defaultTaxonomyPath(language)): Promise<ConceptTaxonomy> {
  if (!existsSync(file)) throw new ConfigError(`concept taxonomy not found: ${file}`, undefined, `write one like conf/concepts/${language}.conf`);
  const { value, origins } = readHoconFile(file);
  const at = (path: string) => origins.get(path) ?? { file };
  const declared = value.language;
  if (typeof declared !== 'string' || !isLanguageId(declared)) {
    throw new ConfigError(`'language' must be one of python, java, javascript, go, php, ruby`, at('language'));
  }
  if (declared !== language) throw new ConfigError(`this taxonomy is for ${declared}, not ${language}`, at('language'));
  const cats = value.categories;
  if (!cats || typeof cats !== 'object' || Array.isArray(cats)) {
    throw new ConfigError(`'categories' must be an object of categories`, at('categories'), 'see conf/concepts/python.conf');
  }
  const lang = await loadLanguage(language);
  const names = typeNamesOf(lang);
  const idsByName = new Map<string, number[]>();
  names.forEach((name, id) => {
    if (!name) return;
    const list = idsByName.get(name) ?? [];
    list.push(id);
    idsByName.set(name, list);
  });
  const categories: ConceptCategory[] = [];
  const maskByTypeId = new Uint32Array(0x10000);
  for (const [id, raw] of Object.entries(cats)) {
    const path = `categories.${id}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`category '${id}' must be an object with label and nodes`, at(path));
    const nodes = raw.nodes;
    if (!Array.isArray(nodes) || nodes.length === 0) throw new ConfigError(`category '${id}' needs a non-empty 'nodes' list`, at(`${path}.nodes`));
    if (categories.length >= MAX_CATEGORIES) throw new ConfigError(`at most ${MAX_CATEGORIES} categories are supported`, at(path));
    const bit = categories.length;
    const nodeTypes: string[] = [];
    nodes.forEach((item, k) => {
      const name = asNodeTypeName(item);
      const where = at(`${path}.nodes[${k}]`);
      if (name === undefined) throw new ConfigError(`node types are strings; found ${JSON.stringify(item)}`, where);
      const ids = idsByName.get(name);
      if (!ids) {
        throw new ConfigError(`'${name}' is not a node type of the ${language} grammar`, where,
          `list the grammar's node types with: codegen-eval concepts node-types --lang ${language}`);
      }
      for (const typeId of ids) maskByTypeId[typeId] |= 1 << bit;
      nodeTypes.push(name);
    });
    const label = typeof raw.label === 'string' ? raw.label : id;
    categories.push({ id, label, nodeTypes, bit });
  }
  if (categories.length === 0) throw new ConfigError('the taxonomy has no categories', at('categories'));
  const source = typeof value.source === 'string' ? value.source : file;
  return { language, source, file, categories, maskByTypeId };
}

const cache = new Map<string, Promise<ConceptTaxonomy>>();

/** The taxonomy for a language, read once per process. */
export function taxonomyFor(language: LanguageId, file?: string): Promise<ConceptTaxonomy> {
  const key = `${language}\0${file ?? ''}`;
  let t = cache.get(key);
  if (!t) {
    t = loadTaxonomy(language, file);
    t.catch(() => cache.delete(key));
    cache.set(key, t);
  }
  return t;
}

export function conceptIds(taxonomy: ConceptTaxonomy, mask: number): string[] {
  const out: string[] = [];
  for (const c of taxonomy.categories) if (mask & (1 << c.bit)) out.push(c.id);
  return out;
}
