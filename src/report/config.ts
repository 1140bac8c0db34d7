/** Report settings from HOCON (`conf/report.conf` documents every key and its default). */
import { ConfigError } from '../util/errors.ts';
import { readHoconFile, type JsonObject } from '../util/hocon.ts';

export interface ReportConfig {
  testbeds: string[];
  seed: number;
  bootstrap: number;
  alpha: number;
  caliper: number;
  title: string | null;
}

export const REPORT_DEFAULTS: ReportConfig = { testbeds: [], seed: 0, bootstrap: 1000, alpha: 0.05, caliper: 0.2, title: null };

export function loadReportConfig(file: string | undefined): ReportConfig {
  if (!file) return { ...REPORT_DEFAULTS };
  const doc = readHoconFile(file);
  const where = (key: string) => doc.origins.get(key) ?? { file };
  const section = doc.value.report;
  for (const key of Object.keys(doc.value)) if (key !== 'report') throw new ConfigError(`unknown section '${key}' (the only section is 'report')`, where(key));
  if (section === undefined) return { ...REPORT_DEFAULTS };
  if (!section || typeof section !== 'object' || Array.isArray(section)) throw new ConfigError("'report' must be an object", where('report'));
  const raw = section as JsonObject;
  const config: ReportConfig = { ...REPORT_DEFAULTS };
  for (const [key, value] of Object.entries(raw)) {
    const path = `report.${key}`;
    switch (key) {
      case 'testbeds':
        if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ConfigError(`'${path}' must be a list of testbed names or folders`, where(path));
        config.testbeds = value as string[];
        break;
      case 'title':
        if (value !== null && typeof value !== 'string') throw new ConfigError(`'${path}' must be a string or null`, where(path));
        config.title = value;
        break;
      case 'seed': case 'bootstrap': case 'alpha': case 'caliper': {
        const n = typeof value === 'number' ? value : NaN;
        const ok = key === 'seed' ? Number.isInteger(n) : key === 'bootstrap' ? Number.isInteger(n) && n >= 50 : key === 'alpha' ? n > 0 && n < 1 : n > 0;
        if (!ok) throw new ConfigError(`'${path}' must be ${key === 'seed' ? 'a whole number' : key === 'bootstrap' ? 'a whole number of at least 50' : key === 'alpha' ? 'between 0 and 1' : 'positive'}`, where(path));
        config[key] = n;
        break;
      }
      default:
        throw new ConfigError(`unknown key '${path}' (keys: ${Object.keys(REPORT_DEFAULTS).join(', ')})`, where(path));
    }
  }
  return config;
}
