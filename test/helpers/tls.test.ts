// Tests for the throwaway PKI: a server using its certificate is trusted only via the CA.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { access } from 'node:fs/promises';
import { test } from 'node:test';
import { startArtifactServer } from './fault-server.ts';
import { httpGet } from './http-get.ts';
import { makeTestPki } from './tls.ts';

test('makeTestPki: an https server with its certificate is trusted when the CA is given', async () => {
  const pki = await makeTestPki();
  try {
    const cert = new X509Certificate(pki.cert);
    assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
    assert.ok(cert.checkIssued(new X509Certificate(pki.caCert)));

    await using server = await startArtifactServer({ tls: { key: pki.key, cert: pki.cert } });
    assert.match(server.url(), /^https:\/\/127\.0\.0\.1:\d+\//);
    const trusted = await httpGet(server.url(), { ca: pki.caCert });
    assert.equal(trusted.status, 200);
    assert.deepEqual(trusted.body, server.artifact);

    await assert.rejects(httpGet(server.url()), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const byName = await httpGet(server.url().replace('127.0.0.1', 'localhost'), {
      ca: pki.caCert,
    });
    assert.equal(byName.status, 200);
  } finally {
    await pki.cleanup();
  }
  await assert.rejects(access(pki.dir), { code: 'ENOENT' });
});
