/**
 * Errors a user can cause (bad input, bad flags, bad config) are `UserError`s: the CLI prints their
 * message and a hint, never a stack trace. Anything else is a bug and is printed in full.
 */
export type ExitCode = 0 | 1 | 2;

export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
}

export function formatLocation(loc: SourceLocation): string {
  const parts: string[] = [];
  if (loc.file) parts.push(loc.file);
  if (loc.line !== undefined) parts.push(String(loc.line));
  if (loc.line !== undefined && loc.column !== undefined) parts.push(String(loc.column));
  return parts.join(':');
}

export class UserError extends Error {
  readonly exitCode: ExitCode;
  readonly location: SourceLocation | undefined;
  readonly hint: string | undefined;
  constructor(message: string, options: { location?: SourceLocation; hint?: string; exitCode?: ExitCode } = {}) {
    const where = options.location ? formatLocation(options.location) : '';
    super(where ? `${where}: ${message}` : message);
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? 1;
    this.location = options.location;
    this.hint = options.hint;
  }
}

/** A mistake in how the command was called (unknown flag, bad value): exit code 2. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, hint });
    this.name = 'UsageError';
  }
}

/** A configuration file that does not parse or does not validate. */
export class ConfigError extends UserError {
  constructor(message: string, location?: SourceLocation, hint?: string) {
    super(message, { location, hint, exitCode: 2 });
    this.name = 'ConfigError';
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Not an error: a command's verdict as an exit code (the gate's 1 = regressed), printed by the command itself. */
export class ExitWith extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitWith';
  }
}
