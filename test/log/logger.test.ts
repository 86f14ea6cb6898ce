import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '../../src/log/logger.ts';
import { Redactor } from '../../src/log/redact.ts';

const fixedNow = () => new Date('2026-11-23T10:11:12.000Z');

function capture(format: 'json' | 'text', interactive: boolean) {
  const written: string[] = [];
  const logger = new Logger({
    format,
    redactor: new Redactor(),
    write: (text) => written.push(text),
    interactive,
    now: fixedNow,
  });
  return { logger, written };
}

describe('Logger', () => {
  it('writes one JSON object per line with ts, level, event, msg and fields', () => {
    const { logger, written } = capture('json', false);
    logger.info('start', 'hello', { bytes: 3 });
    assert.deepEqual(written, [
      '{"ts":"2026-11-23T10:11:12.000Z","level":"info","event":"start","msg":"hello","bytes":3}\n',
    ]);
  });

  it('reports progress as an event when not on a terminal', () => {
    const { logger, written } = capture('json', false);
    logger.progress('50%', { bytes: 5, totalBytes: 10 });
    assert.equal(JSON.parse(written[0] ?? '').event, 'progress');
  });

  it('draws a progress bar in place on a terminal, clearing the rest of the line, then ends the line before the next event', () => {
    const { logger, written } = capture('text', true);
    logger.progress('50%', {
      bytes: 512,
      totalBytes: 1024,
      rateBytesPerSecond: 2048,
      etaSeconds: 0.25,
    });
    logger.info('done', 'finished', { sha256: 'ab' });
    const frame = written[0] ?? '';
    assert.ok(frame.endsWith('\u001b[K'), `ends with erase-in-line: ${JSON.stringify(frame)}`);
    assert.match(
      frame.slice(0, -'\u001b[K'.length),
      /^\r\[#{15}-{15}\] {2}50\.0% 512 B\/1\.0 KiB 2\.0 KiB\/s eta 1s$/,
    );
    assert.equal(written[1], '\n10:11:12 INFO  done: finished  sha256=ab\n');
  });

  it('prints progress as ordinary text lines when text goes to a file', () => {
    const { logger, written } = capture('text', false);
    logger.progress('50%', { bytes: 5, totalBytes: 10 });
    assert.match(written[0] ?? '', /^10:11:12 INFO {2}progress: 50% {2}bytes=5 totalBytes=10\n$/);
  });

  it('redacts string values only: numbers, booleans, keys and the line stay whole', () => {
    const redactor = new Redactor();
    // A credential-named value that is also a number in the line, and short common values.
    redactor.addRaw(
      'https://localhost/app.jar?token=1360000&X-Amz-Expires=3600&download=true&spr=https',
    );
    const written: string[] = [];
    const logger = new Logger({
      format: 'json',
      redactor,
      write: (text) => written.push(text),
      interactive: false,
      now: fixedNow,
    });
    logger.info('start', 'token 1360000 of https://localhost/app.jar', {
      expectedBytes: 1_360_000,
      verifyJar: true,
      nested: { reason: 'echo 1360000', list: ['1360000', 3600] },
      cause: new Error('saw 1360000'),
    });
    const record = JSON.parse(written[0] ?? '');
    assert.deepEqual(record, {
      ts: '2026-11-23T10:11:12.000Z',
      level: 'info',
      event: 'start',
      msg: 'token [redacted] of https://localhost/app.jar',
      expectedBytes: 1_360_000,
      verifyJar: true,
      nested: { reason: 'echo [redacted]', list: ['[redacted]', 3600] },
      cause: { name: 'Error', message: 'saw [redacted]' },
    });
  });

  it('redacts text lines the same way', () => {
    const redactor = new Redactor();
    redactor.addRaw('https://h.example/app.jar?sig=0123456789abcdef');
    const written: string[] = [];
    const logger = new Logger({
      format: 'text',
      redactor,
      write: (text) => written.push(text),
      interactive: false,
      now: fixedNow,
    });
    logger.error('failed', 'server says 0123456789abcdef', {
      bytes: 12,
      reason: '0123456789abcdef',
    });
    assert.equal(
      written[0],
      '10:11:12 ERROR failed: server says [redacted]  bytes=12 reason=[redacted]\n',
    );
  });
});
