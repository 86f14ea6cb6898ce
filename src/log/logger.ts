import type { LogFormat } from '../config/types.ts';
import { formatProgressBar, formatText } from './format-text.ts';
import type { Redactor } from './redact.ts';

/** ANSI "erase in line" from the cursor to the end, as curl and docker pull end each redraw. */
const clearToEndOfLine = '\x1b[K';

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
 * machines, readable text on a terminal. Every line passes the redactor.
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
    const record = { ts, level, event, msg, ...fields };
    const line = format === 'json' ? JSON.stringify(record, jsonReplacer) : formatText(record);
    const prefix = this.#progressShown ? '\n' : '';
    this.#progressShown = false;
    write(`${prefix}${redactor.scrub(line)}\n`);
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof URL) return '[url]';
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
