import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { newRecord, writeRecord } from '../../src/artifact/verification-record.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { plan } from '../../src/plan/plan.ts';
import { makeTempDir, sha256Hex } from '../helpers/tmp.ts';

const manifestDigest = `sha256:${'1'.repeat(64)}`;
const jar = Buffer.from('jar bytes');

function configFor(outputPath: string) {
  const invocation = loadConfig(
    [],
    {
      ARTIFACT_URL: `oci://registry.example/team/image@${manifestDigest}`,
      ARTIFACT_PATH: outputPath,
    },
    false,
  );
  assert.equal(invocation.kind, 'run');
  return invocation.config;
}

describe('plan', () => {
  it('keeps a file pinned by digest without a request, and names no signer when no key is given', async () => {
    await using tmp = await makeTempDir('plan-');
    const outputPath = join(tmp.path, 'app.jar');
    await writeFile(outputPath, jar);
    // An earlier run with keys recorded its signer; this one is given none, so nothing checks it.
    const origin = {
      repository: 'oci://registry.example/team/image',
      reference: `oci://registry.example/team/image@${manifestDigest}`,
      manifestDigest,
      blobDigest: `sha256:${'2'.repeat(64)}`,
      file: '/app.jar',
    };
    const version = { etag: undefined, lastModified: undefined };
    const sha256 = sha256Hex(jar);
    await writeRecord(
      outputPath,
      newRecord(origin, jar.length, sha256, 'checked', version, 'RWQf6LRCGA9i53ml'),
    );
    const planned = await plan(configFor(outputPath), AbortSignal.timeout(10_000));
    assert.equal(planned.action, 'skip', JSON.stringify(planned));
    assert.equal(planned.sha256, sha256);
    assert.equal(planned.bytes, jar.length);
    assert.equal('signedBy' in planned, false, 'no key given: the record vouches for no signer');
  });
});
