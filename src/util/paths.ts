import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The codegen-eval package folder (where conf/, templates/ and testbeds/ ship). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
