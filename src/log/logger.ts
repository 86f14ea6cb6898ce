import { formatProgressBar, formatText } from './format-text.ts';
import type { Redactor } from './redact.ts';

/** ANSI "erase in line" from the cursor to the end, as curl and docker pull end each redraw. */
const clearToEndOfLine = '\x1b[K';

export type LogFormat = 'json' | 'text';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface LoggerOptions {
  readonly format: LogFormat;
  readonly redactor: Redactor;
  /** Writes one finished line (newline included). */
  readonly write: (text: string) => void;
  /** True when the output is a terminal: progress then redraws one line. */
  readonly interactive: boolean;
  readonly now?: () => Date;
}

/**
 * One event per line: JSON objects (`ts`, `level`, `event`, `msg`, fields) for
 * machines, readable text on a terminal. Every string value passes the
 * redactor before the line is built; keys, numbers and the line's structure
 * are never touched, so every JSON line parses.
 */
export class Logger {
  readonly #options: LoggerOptions;
  #progressShown = false;

  constructor(options: LoggerOptions) {
    this.#options = options;
  }

  info(event: string, msg: string, fields: LogFields = {}): void {
    this.log('info', event, msg, fields);
  }

  warn(event: string, msg: string, fields: LogFields = {}): void {
    this.log('warn', event, msg, fields);
  }

  error(event: string, msg: string, fields: LogFields = {}): void {
    this.log('error', event, msg, fields);
  }

  /** Progress: a JSON event, or on a terminal a bar redrawn in place. */
  progress(msg: string, fields: LogFields & { bytes: number; totalBytes: number }): void {
    const { format, interactive, write, redactor } = this.#options;
    if (format === 'text' && interactive) {
      // Back to the line's start, the bar, then clear what a longer earlier bar left (EL, CSI K).
      write(`\r${redactor.scrub(formatProgressBar(fields))}${clearToEndOfLine}`);
      this.#progressShown = true;
      return;
    }
    this.log('info', 'progress', msg, fields);
  }

  log(level: LogLevel, event: string, msg: string, fields: LogFields = {}): void {
    const { format, write, redactor } = this.#options;
    const ts = (this.#options.now?.() ?? new Date()).toISOString();
    const record = redactValues({ ts, level, event, msg, ...fields }, redactor) as LogFields;
    const line = format === 'json' ? JSON.stringify(record) : formatText(record);
    const prefix = this.#progressShown ? '\n' : '';
    this.#progressShown = false;
    write(`${prefix}${line}\n`);
  }
}

/** A copy of `value` with every string scrubbed; a URL becomes `[url]`, an Error its name and message. */
function redactValues(value: unknown, redactor: Redactor): unknown {
  if (typeof value === 'string') return redactor.scrub(value);
  if (value instanceof URL) return '[url]';
  if (value instanceof Error) return { name: value.name, message: redactor.scrub(value.message) };
  if (Array.isArray(value)) return value.map((item) => redactValues(item, redactor));
  if (typeof value === 'object' && value !== null) {
    const { toJSON } = value as { toJSON?: unknown };
    if (typeof toJSON === 'function') return redactValues(toJSON.call(value), redactor);
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, redactValues(item, redactor)]),
    );
  }
  return value;
}
