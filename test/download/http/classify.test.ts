import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorForNetworkFailure, errorForStatus } from '../../../src/download/http/classify.ts';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('classify', () => {
  for (const status of [408, 425, 429, 500, 502, 503, 504]) {
    it(`treats ${status} as transient (exit 4 if it persists)`, () => {
      const error = errorForStatus(status, '', 'https://h/p', undefined);
      assert.equal(error.transient, true);
      assert.equal(error.exitCode, 4);
    });
  }
  for (const status of [400, 401, 403, 404, 410]) {
    it(`treats ${status} as a permanent rejection (exit 3)`, () => {
      const error = errorForStatus(status, 'Nope', 'https://h/p', undefined);
      assert.equal(error.transient, false);
      assert.equal(error.exitCode, 3);
    });
  }
  it('treats other 5xx as permanent fetch failures', () => {
    const error = errorForStatus(501, '', 'https://h/p', undefined);
    assert.equal(error.transient, false);
    assert.equal(error.exitCode, 4);
  });
  it('carries Retry-After', () => {
    assert.equal(errorForStatus(503, '', 'x', '7').retryAfterMs, 7000);
  });
  it('retries known network errors only', () => {
    assert.equal(errorForNetworkFailure(withCode('ECONNRESET'), 'x').transient, true);
    assert.equal(errorForNetworkFailure(withCode('UND_ERR_BODY_TIMEOUT'), 'x').transient, true);
    assert.equal(errorForNetworkFailure(withCode('EAI_AGAIN'), 'x').transient, true);
    assert.equal(errorForNetworkFailure(withCode('ENOTFOUND'), 'x').transient, false);
    assert.equal(errorForNetworkFailure(new Error('mystery'), 'x').transient, false);
    const tls = errorForNetworkFailure(withCode('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'x');
    assert.match(tls.message, /NODE_EXTRA_CA_CERTS/);
  });

  it('a length mismatch is a short body during the body, invalid framing before any header', () => {
    const mismatch = withCode('UND_ERR_RES_CONTENT_LENGTH_MISMATCH');
    const duringBody = errorForNetworkFailure(mismatch, 'x');
    assert.equal(duringBody.transient, true);
    assert.match(duringBody.message, /shorter than its Content-Length/);
    const beforeHeaders = errorForNetworkFailure(mismatch, 'x', true);
    assert.equal(beforeHeaders.transient, false);
    assert.equal(beforeHeaders.details.errorCode, 'INVALID_CONTENT_LENGTH');
    assert.match(beforeHeaders.message, /repeated or malformed Content-Length header/);
    assert.equal(errorForNetworkFailure(withCode('ECONNRESET'), 'x', true).transient, true);
  });
});
