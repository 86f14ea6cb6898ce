// Property test (issue 11), in process and so in bulk: random signed URLs with random query
// values, a real node:http server on port 0 that echoes them in its error answers (403/503,
// text/plain, XML or JSON bodies, the reason phrase), read the way the loader reads them and
// logged the way it logs them. Every line must be JSON with the loader's own numbers,
// booleans and URL intact, and no form of a secret may be in any string of any line.
// test/e2e/redaction-property.test.ts runs the same against the built loader, fewer times.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { getFollowingRedirects } from '../../src/download/http/request.ts';
import { unexpectedAnswerError } from '../../src/download/http/unexpected-answer.ts';
import { Logger } from '../../src/log/logger.ts';
import { Redactor } from '../../src/log/redact.ts';
import { redactUrl } from '../../src/urls/shown.ts';
import { testClient } from '../helpers/http-client.ts';
import {
  assertNoSecretIn,
  type Echo,
  echoArbitrary,
  queryArbitrary,
  queryString,
  secretsOf,
  stringsIn,
} from '../helpers/secret-urls.ts';

// REDACTION_RUNS=5000 for a longer soak; PROPERTY_SEED (and PROPERTY_PATH) replay a failure.
const numRuns = Number(process.env.REDACTION_RUNS ?? 300);
const replay = {
  ...(process.env.PROPERTY_SEED === undefined ? {} : { seed: Number(process.env.PROPERTY_SEED) }),
  ...(process.env.PROPERTY_PATH === undefined ? {} : { path: process.env.PROPERTY_PATH }),
};

interface Answer {
  status: number;
  type: 'text/plain' | 'application/xml' | 'application/json';
  echo: Echo;
  /** The echo also goes in the status line's reason phrase. */
  inReasonPhrase: boolean;
}

const answerArbitrary: fc.Arbitrary<Answer> = fc.record({
  status: fc.constantFrom(403, 404, 500, 503),
  type: fc.constantFrom('text/plain', 'application/xml', 'application/json'),
  echo: echoArbitrary,
  inReasonPhrase: fc.boolean(),
});

function bodyOf(answer: Answer, text: string): string {
  if (answer.type === 'application/xml')
    return `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>${text.replaceAll('&', '&amp;')}</Message></Error>`;
  if (answer.type === 'application/json') return JSON.stringify({ error: { message: text } });
  return `${text}\nsecond line\n`;
}

let server: Server;
let origin: string;
let next: Answer | undefined;

before(async () => {
  server = createServer((req, res) => {
    const answer = next;
    if (answer === undefined) {
      res.writeHead(500).end();
      return;
    }
    const text = answer.echo(req.url ?? '');
    const reasonPhrase = answer.inReasonPhrase ? text : 'Denied';
    res.writeHead(answer.status, reasonPhrase, { 'content-type': answer.type });
    res.end(bodyOf(answer, text));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
const client = testClient();
after(() => {
  client.close();
  server.closeAllConnections();
  server.close();
});

test('random query values echoed by a server: no secret in any line, every line JSON', async () => {
  await fc.assert(
    fc.asyncProperty(
      queryArbitrary,
      answerArbitrary,
      fc.integer({ min: 1, max: 2 ** 40 }),
      async (pairs, answer, expectedBytes) => {
        const url = new URL(`${origin}/artifacts/app.jar?${queryString(pairs)}`);
        const redactor = new Redactor();
        redactor.addRaw(url.href);
        const lines: string[] = [];
        const logger = new Logger({
          format: 'json',
          redactor,
          write: (line) => lines.push(line),
          interactive: false,
        });
        const shown = redactUrl(url);
        logger.info('start', `fetching ${shown}`, { url: shown, expectedBytes, verifyJar: true });

        next = answer;
        const answered = await getFollowingRedirects(
          { client, maxRedirects: 0, redactor },
          url,
          {},
          AbortSignal.timeout(10_000),
        );
        const error = await unexpectedAnswerError(answered, 200, redactor, undefined);
        logger.error('failed', error.message, { code: error.code, ...error.details });

        const records = lines.map((line) => JSON.parse(line));
        assert.equal(records.length, 2);
        assert.deepEqual(
          { url: records[0].url, msg: records[0].msg, bytes: records[0].expectedBytes },
          { url: shown, msg: `fetching ${shown}`, bytes: expectedBytes },
        );
        assert.equal(records[0].verifyJar, true);
        assert.equal(records[1].status, answer.status);
        const secrets = secretsOf(pairs);
        for (const record of records) {
          for (const text of stringsIn(record))
            assertNoSecretIn(text, secrets, shown, `line ${JSON.stringify(record)}`);
        }
      },
    ),
    { numRuns, ...replay },
  );
});
