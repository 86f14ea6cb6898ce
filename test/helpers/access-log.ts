// The JSON log of an in-process artifact server, kept for assertions and
// awaited as a cue: a request's access-log event is written once the server is
// done with it (its transfer slot already freed), so a test waits for that
// event instead of sleeping or polling.
import { Logger } from '../../src/log/logger.ts';
import { Redactor } from '../../src/log/redact.ts';

export type LogEvent = Record<string, unknown>;

export interface ServerLog {
  /** For `startArtifactServer({ logger })`. */
  readonly logger: Logger;
  /** Every line written so far. */
  readonly lines: string[];
  /** Every event so far whose `event` is `request`. */
  requests(): LogEvent[];
  /** Resolves with the access-log events `test` accepts, past and future, once there are `count`. */
  requestsLogged(test: (event: LogEvent) => boolean, count?: number): Promise<LogEvent[]>;
}

export function serverLog(): ServerLog {
  const lines: string[] = [];
  const events: LogEvent[] = [];
  let waiters: (() => boolean)[] = [];
  const logger = new Logger({
    format: 'json',
    redactor: new Redactor(),
    write: (line) => {
      lines.push(line);
      const event = JSON.parse(line) as LogEvent;
      if (event.event !== 'request') return;
      events.push(event);
      // A waiter that is satisfied leaves the list.
      waiters = waiters.filter((satisfied) => !satisfied());
    },
    interactive: false,
  });
  return {
    logger,
    lines,
    requests: () => [...events],
    requestsLogged: (test, count = 1) =>
      new Promise((resolve) => {
        const satisfied = () => {
          const matching = events.filter(test);
          if (matching.length < count) return false;
          resolve(matching);
          return true;
        };
        if (!satisfied()) waiters.push(satisfied);
      }),
  };
}
