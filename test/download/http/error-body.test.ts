import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serverReasonOf } from '../../../src/download/http/error-body.ts';
import { getFollowingRedirects } from '../../../src/download/http/request.ts';
import { Redactor } from '../../../src/log/redact.ts';
import { testClient } from '../../helpers/http-client.ts';

const signature = 'c2lnbmF0dXJlLXRoYXQtbXVzdC1uZXZlci1sZWFr';
const s3Expired = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>300</X-Amz-Expires><Expires>2026-11-24T00:00:00Z</Expires><RequestId>ABC</RequestId></Error>`;
const s3Mismatch = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><StringToSign>AWS4-HMAC-SHA256 ${signature}</StringToSign><SignatureProvided>${signature}</SignatureProvided></Error>`;

const bodies: Record<string, [string, string]> = {
  '/s3-expired': ['application/xml', s3Expired],
  '/s3-mismatch': ['application/xml', s3Mismatch],
  '/text': [
    'text/plain; charset=utf-8',
    '\nRequest has expired (at 2026-11-24T00:00:00.000Z)\nsecond line\n',
  ],
  '/json': ['application/json', JSON.stringify({ error: { code: 403, message: 'Token expired' } })],
  '/html': ['text/html', '<html><body>Forbidden</body></html>'],
  '/long': ['text/plain', `${'x'.repeat(500)}\u0007`],
  '/binary': ['application/octet-stream', '\u0000\u0001'],
  // The signature straddles the 160-character cut.
  '/long-echo': ['text/plain', `${'x'.repeat(130)} provided ${signature} is wrong`],
  '/xml-echo': [
    'application/xml',
    `<Error><Code>AccessDenied</Code><Message>Denied GET /a.jar?X-Amz-Signature=${signature}&amp;X-Amz-Expires=300</Message></Error>`,
  ],
};

describe('serverReasonOf', () => {
  let server: Server;
  let origin: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.write('');
        return; // never ends
      }
      const [type, body] = bodies[req.url ?? ''] ?? ['text/plain', 'none'];
      res.writeHead(403, { 'content-type': type });
      res.end(body);
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

  const reasonFor = async (path: string, redactor = new Redactor()) => {
    const context = { client, maxRedirects: 0, redactor };
    const answer = await getFollowingRedirects(
      context,
      new URL(path, origin),
      {},
      AbortSignal.timeout(10_000),
    );
    return serverReasonOf({ ...answer, statusText: '' }, redactor);
  };

  it('takes Code and Message of an S3 or GCS XML error, and never the request it echoes', async () => {
    assert.equal(await reasonFor('/s3-expired'), 'AccessDenied: Request has expired');
    const mismatch = await reasonFor('/s3-mismatch');
    assert.match(mismatch ?? '', /^SignatureDoesNotMatch: The request signature we calculated/);
    assert.ok(!mismatch?.includes(signature));
  });

  it('takes the first line of plain text and the message of JSON', async () => {
    assert.equal(await reasonFor('/text'), 'Request has expired (at 2026-11-24T00:00:00.000Z)');
    assert.equal(await reasonFor('/json'), 'Token expired');
  });

  it('ignores HTML and binary bodies, and cuts long or control-laden lines', async () => {
    assert.equal(await reasonFor('/html'), undefined);
    assert.equal(await reasonFor('/binary'), undefined);
    const long = await reasonFor('/long');
    assert.equal(long?.length, 160);
    assert.ok(long?.endsWith('...'));
  });

  it('redacts a reason as server text before it is cut', async () => {
    const redactor = new Redactor();
    redactor.addRaw(`${origin}/a.jar?X-Amz-Signature=${signature}`);
    const reason = await reasonFor('/long-echo', redactor);
    assert.equal(reason, `${'x'.repeat(130)} provided [redacted] is wrong`);
    assert.equal(
      await reasonFor('/xml-echo', new Redactor()),
      'AccessDenied: Denied GET /a.jar?[redacted]',
    );
  });

  it('does not wait long for a body that does not come', async () => {
    assert.equal(await reasonFor('/slow'), undefined);
  });
});
