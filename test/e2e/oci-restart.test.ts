// End-to-end tests of issue 21's restarts against a real registry: the record of an oci://
// pull keeps the manifest digest; a re-run pinned by digest whose file matches asks the
// registry nothing; a re-run of a tag asks only what the tag points at (HEAD) and downloads
// nothing when that is unchanged, the new version when it moved; a registry out of reach, or
// one that refuses the credentials, keeps the verified JAR, exactly as for URLs.
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildJar } from '../../scripts/jar.ts';
import { recordPathFor } from '../../src/artifact/verification-record.ts';
import { describeRun, eventsNamed, finalEvent, firstEventNamed } from '../helpers/events.ts';
import { dockerConfig, type OciScenario, ociScenario } from '../helpers/oci-scenario.ts';
import { assertPublished } from '../helpers/published.ts';
import { pushArtifact } from '../helpers/registry/artifact.ts';
import type { Credentials } from '../helpers/registry/client.ts';
import { imageArtifact } from '../helpers/registry/image.ts';
import { orasArtifact } from '../helpers/registry/oras.ts';
import { sha256Hex } from '../helpers/tmp.ts';

const jar = await buildJar();
const newerJar = await buildJar({ extra: { 'newer.txt': Buffer.from('2.0') } });
const oras = orasArtifact(jar);
const newer = orasArtifact(newerJar);
const image = imageArtifact(jar);
const user: Credentials = { username: 'robot', password: 'Rest4rt-Test-Passw0rd' };

async function fileState(path: string) {
  const stats = await stat(path);
  return { ino: stats.ino, mtimeMs: stats.mtimeMs, sha256: sha256Hex(await readFile(path)) };
}

/** The relay's requests made by `run`. */
async function counted(
  s: OciScenario,
  run: () => Promise<Awaited<ReturnType<OciScenario['run']>>>,
) {
  const from = s.relay.requests.length;
  const result = await run();
  return { result, requests: s.relay.requests.slice(from) };
}

describe('oci:// restarts (issue 21)', () => {
  it('pinned by digest: a re-run whose file matches its record asks the registry nothing', async () => {
    await using s = await ociScenario({ artifacts: { 'team/image:1.0': image } });
    const pinned = `oci://${s.relay.host}/team/image@${image.digest}`;
    const first = await s.run(pinned);
    assert.equal(first.code, 0, describeRun(first));
    const record = JSON.parse(await readFile(recordPathFor(s.target), 'utf8'));
    assert.equal(record.manifestDigest, image.digest);
    const before = await fileState(s.target);
    const { result, requests } = await counted(s, () => s.run(pinned));
    assert.equal(result.code, 0, describeRun(result));
    assert.deepEqual(requests, [], 'no request at all');
    const done = finalEvent(result);
    assert.equal(done.outcome, 'already-present');
    assert.equal(done.attempts, 0);
    assert.match(String(firstEventNamed(result, 'already-present').msg), /pinned digest/);
    assert.deepEqual(await fileState(s.target), before, 'the file is not touched');

    // Another digest pinned: the record does not vouch for it.
    const { result: other } = await counted(s, () =>
      s.run(`oci://${s.relay.host}/team/image@sha256:${'0'.repeat(64)}`),
    );
    assert.equal(other.code, 3, describeRun(other));
    assert.match(
      String(firstEventNamed(other, 'plan').reason),
      /verified for sha256:\S+, and the reference is pinned to/,
    );
  });

  it('a tag: the re-run asks HEAD only and keeps the file; a tag that moved is downloaded', async () => {
    await using s = await ociScenario({ artifacts: { 'team/app:1.0': oras } });
    const tag = s.reference('team/app:1.0');
    assert.equal((await s.run(tag)).code, 0);
    const before = await fileState(s.target);
    const again = await counted(s, () => s.run(tag));
    assert.equal(again.result.code, 0, describeRun(again.result));
    assert.deepEqual(
      again.requests.map((r) => `${r.method} ${r.path}`),
      ['HEAD /v2/team/app/manifests/1.0'],
    );
    assert.match(
      String(again.requests[0]?.headers.accept),
      /application\/vnd\.oci\.image\.index\.v1\+json/,
    );
    assert.equal(finalEvent(again.result).outcome, 'not-modified');
    assert.equal(finalEvent(again.result).manifestDigest, oras.digest);
    assert.deepEqual(await fileState(s.target), before);

    await pushArtifact(s.registry, 'team/app', '1.0', newer);
    const moved = await counted(s, () => s.run(tag));
    assert.equal(moved.result.code, 0, describeRun(moved.result));
    await assertPublished(s.target, newerJar);
    assert.deepEqual(
      moved.requests.map((r) => `${r.method} ${r.path}`),
      [
        'HEAD /v2/team/app/manifests/1.0',
        `GET /v2/team/app/manifests/${newer.digest}`,
        `GET /v2/team/app/blobs/${newer.blobs[1]?.digest}`,
      ],
    );
    assert.match(String(firstEventNamed(moved.result, 'plan').reason), /now points at sha256:/);
    const record = JSON.parse(await readFile(recordPathFor(s.target), 'utf8'));
    assert.equal(record.manifestDigest, newer.digest);
  });

  it('a registry out of reach keeps the verified JAR (kept-verified); LOADER_KEEP_VERIFIED=false fails', async () => {
    await using s = await ociScenario({ artifacts: { 'team/app:1.0': oras } });
    const tag = s.reference('team/app:1.0');
    assert.equal((await s.run(tag)).code, 0);
    const before = await fileState(s.target);
    await s.relay.close();
    const kept = await s.run(tag, { LOADER_MAX_ATTEMPTS: '2' });
    assert.equal(kept.code, 0, describeRun(kept));
    const warning = firstEventNamed(kept, 'kept-verified');
    assert.equal(warning.level, 'warn');
    assert.equal(warning.errorCode, 'ECONNREFUSED');
    assert.equal(finalEvent(kept).outcome, 'kept-verified');
    assert.deepEqual(await fileState(s.target), before);
    const failed = await s.run(tag, { LOADER_MAX_ATTEMPTS: '2', LOADER_KEEP_VERIFIED: 'false' });
    assert.equal(failed.code, 4, describeRun(failed));
    assert.deepEqual(await fileState(s.target), before);
  });

  it('a registry that refuses the credentials now keeps the verified JAR, with its error code', async () => {
    await using s = await ociScenario({
      registry: { auth: { kind: 'htpasswd', credentials: user } },
      artifacts: { 'team/app:1.0': oras },
      pushCredentials: user,
      secrets: () => [user.password, 'Wr0ng-Passw0rd-Now'],
    });
    const folder = join(s.dir.path, 'auth');
    await mkdir(folder);
    const file = join(folder, 'config.json');
    await writeFile(file, dockerConfig(s.relay.host, user));
    const tag = s.reference('team/app:1.0');
    assert.equal((await s.run(tag, { LOADER_REGISTRY_AUTH_FILE: file })).code, 0);
    await writeFile(file, dockerConfig(s.relay.host, { ...user, password: 'Wr0ng-Passw0rd-Now' }));
    const kept = await s.run(tag, { LOADER_REGISTRY_AUTH_FILE: file });
    assert.equal(kept.code, 0, describeRun(kept));
    const warning = firstEventNamed(kept, 'kept-verified');
    assert.equal(warning.status, 401);
    assert.equal(warning.errorCode, 'UNAUTHORIZED');
    assert.equal(finalEvent(kept).outcome, 'kept-verified');
    assert.deepEqual(eventsNamed(kept, 'retry'), [], 'a refusal is not retried');
  });

  it('another LOADER_OCI_FILE is another file: not kept, downloaded', async () => {
    await using s = await ociScenario({ artifacts: { 'team/image:1.0': image } });
    const tag = s.reference('team/image:1.0');
    assert.equal((await s.run(tag)).code, 0);
    const other = await s.run(tag, { LOADER_OCI_FILE: '/opt/app.jar' });
    assert.equal(other.code, 2, describeRun(other));
    assert.match(
      String(firstEventNamed(other, 'plan').reason),
      /taken from \/app\.jar in the image, and LOADER_OCI_FILE is \/opt\/app\.jar/,
    );
  });
});
