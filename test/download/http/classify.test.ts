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
    assert.equal(errorForNetworkFailure(withCode('BODY_TIMEOUT'), 'x').transient, true);
    assert.equal(errorForNetworkFailure(withCode('EAI_AGAIN'), 'x').transient, true);
    assert.equal(errorForNetworkFailure(withCode('ENOTFOUND'), 'x').transient, false);
    assert.equal(errorForNetworkFailure(new Error('mystery'), 'x').transient, false);
    const tls = errorForNetworkFailure(withCode('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'x');
    assert.match(tls.message, /NODE_EXTRA_CA_CERTS/);
  });

  it('names NODE_EXTRA_CA_CERTS for a certificate no trusted CA signed, and only then', () => {
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']) {
      const untrusted = errorForNetworkFailure(withCode(code), 'x');
      assert.equal(untrusted.transient, false);
      assert.match(untrusted.message, /point NODE_EXTRA_CA_CERTS at its PEM file/, code);
    }
    const mismatch = errorForNetworkFailure(withCode('ERR_TLS_CERT_ALTNAME_INVALID'), 'x');
    assert.equal(mismatch.transient, false);
    assert.doesNotMatch(mismatch.message, /NODE_EXTRA_CA_CERTS/);
    assert.match(mismatch.message, /the certificate is not for this host name/);
    for (const code of ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']) {
      assert.doesNotMatch(
        errorForNetworkFailure(withCode(code), 'x').message,
        /NODE_EXTRA_CA_CERTS/,
        code,
      );
    }
  });

  it("a closed connection is a break-off during the body, the parser's refused framing is invalid framing", () => {
    // node:http's error for a connection closed before the answer was complete: ECONNRESET, no system call.
    const closed = errorForNetworkFailure(withCode('ECONNRESET'), 'x');
    assert.equal(closed.transient, true);
    assert.equal(closed.details.errorCode, 'CONNECTION_CLOSED');
    assert.match(closed.message, /closed by the server before the answer was complete/);
    assert.match(
      errorForNetworkFailure(withCode('ECONNRESET'), 'x', true).message,
      /closed by the server before it answered/,
    );
    // A reset from the peer comes from a read: it stays ECONNRESET.
    const reset = Object.assign(withCode('ECONNRESET'), { syscall: 'read' });
    assert.equal(errorForNetworkFailure(reset, 'x').details.errorCode, 'ECONNRESET');
    for (const code of ['HPE_UNEXPECTED_CONTENT_LENGTH', 'HPE_INVALID_CONTENT_LENGTH']) {
      const refused = errorForNetworkFailure(withCode(code), 'x', true);
      assert.equal(refused.transient, false);
      assert.equal(refused.details.errorCode, 'INVALID_CONTENT_LENGTH');
      assert.match(refused.message, /repeated or malformed Content-Length header/);
    }
    const both = errorForNetworkFailure(withCode('HPE_INVALID_TRANSFER_ENCODING'), 'x', true);
    assert.equal(both.transient, false);
    assert.equal(both.details.errorCode, 'INVALID_TRANSFER_ENCODING');
  });
  it('a code that names a property of every object (constructor, __proto__) is an unknown code', () => {
    for (const code of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const error = errorForNetworkFailure(withCode(code), 'x', true);
      assert.equal(error.message, `request to x failed: ${code} (${code})`, code);
      assert.deepEqual(error.details, { errorCode: code }, code);
      assert.equal(error.transient, false, code);
    }
  });
});
