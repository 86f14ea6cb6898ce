// End-to-end tests of issue 21's credentials against a real registry: Basic (htpasswd) and the
// token flow with our own issuer, each through a Docker config.json as a mounted
// kubernetes.io/dockerconfigjson Secret holds it; wrong or missing credentials (exit 3 with the
// registry's code, no secret in any output); a blob redirected to storage that must not see
// the Authorization header; and an auth file that cannot be read.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { buildJar } from '../../scripts/jar.ts';
import { describeRun, eventsNamed, finalEvent } from '../helpers/events.ts';
import { dockerConfig, ociScenario } from '../helpers/oci-scenario.ts';
import { assertNothingPublished, assertPublished } from '../helpers/published.ts';
import { startBlobStorage } from '../helpers/registry/blob-storage.ts';
import { basic, type Credentials } from '../helpers/registry/client.ts';
import { orasArtifact } from '../helpers/registry/oras.ts';
import { startTokenIssuer, type TokenIssuer } from '../helpers/registry/token-issuer.ts';

const jar = await buildJar();
const oras = orasArtifact(jar);
const user: Credentials = { username: 'robot', password: 'Str0ng-Registry-Passw0rd' };
const wrong: Credentials = { username: 'robot', password: 'Wr0ng-Registry-Passw0rd' };
const run = promisify(execFile);

/** Everything of `credentials` that may never be printed: the password, and how Basic sends it. */
function secretsOf(...all: Credentials[]): string[] {
  return all.flatMap((credentials) => [
    credentials.password,
    basic(credentials).slice('Basic '.length),
  ]);
}

/** The tokens the issuer handed out so far. */
function tokensOf(issuer: TokenIssuer): string[] {
  return issuer.requests.flatMap((request) => (request.token === undefined ? [] : [request.token]));
}

/** A config.json file in the scenario's folder; returns its path. */
async function authFile(dir: string, content: string, name = 'config.json'): Promise<string> {
  const folder = join(dir, `auth-${Math.random().toString(36).slice(2)}`);
  await mkdir(folder);
  const path = join(folder, name);
  await writeFile(path, content, { mode: 0o644 });
  return path;
}

describe('oci:// credentials (issue 21)', () => {
  it('Basic (htpasswd) through LOADER_REGISTRY_AUTH_FILE, and through $DOCKER_CONFIG with username/password', async () => {
    await using s = await ociScenario({
      registry: { auth: { kind: 'htpasswd', credentials: user } },
      artifacts: { 'team/app:1.0': oras },
      pushCredentials: user,
      secrets: () => secretsOf(user),
    });
    const file = await authFile(s.dir.path, dockerConfig(s.relay.host, user));
    const first = await s.run(s.reference('team/app:1.0'), { LOADER_REGISTRY_AUTH_FILE: file });
    assert.equal(first.code, 0, describeRun(first));
    await assertPublished(s.target, jar);
    const sent = s.relay.requests.map((r) => r.headers.authorization);
    assert.equal(sent[0], undefined, 'the first request asks without credentials');
    assert.ok(
      sent.slice(1).every((value) => value === basic(user)),
      String(sent),
    );

    const folder = join(s.dir.path, 'docker-config');
    await mkdir(folder);
    await writeFile(
      join(folder, 'config.json'),
      JSON.stringify({ auths: { [`http://${s.relay.host}`]: user } }),
    );
    const second = await s.run(s.reference('team/app:1.0'), {
      DOCKER_CONFIG: folder,
      ARTIFACT_PATH: join(s.dir.path, 'second', 'app.jar'),
    });
    assert.equal(second.code, 0, describeRun(second));
    assert.deepEqual(
      eventsNamed(second, 'unknown-variable'),
      [],
      'DOCKER_CONFIG is not ours to warn about',
    );
  });

  it('the token flow with our issuer: 401, a token got with Basic, then Bearer for the manifest and the blob', async () => {
    await using issuer = await startTokenIssuer({ credentials: user });
    await using s = await ociScenario({
      registry: { auth: { kind: 'token', issuer } },
      artifacts: { 'team/app:1.0': oras },
      pushCredentials: user,
      secrets: () => [...secretsOf(user), ...tokensOf(issuer)],
    });
    const pushes = issuer.requests.length;
    const file = await authFile(s.dir.path, dockerConfig(s.relay.host, user));
    const from = s.relay.requests.length;
    const result = await s.run(s.reference('team/app:1.0'), { LOADER_REGISTRY_AUTH_FILE: file });
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(s.target, jar);
    const asked = issuer.requests.slice(pushes);
    assert.equal(asked.length, 1, 'one token for the run');
    assert.equal(asked[0]?.username, user.username);
    assert.deepEqual(asked[0]?.scopes, ['repository:team/app:pull']);
    assert.equal(asked[0]?.service, issuer.service);
    const requests = s.relay.requests.slice(from);
    assert.deepEqual(
      requests.map((r) => [r.status, r.headers.authorization?.split(' ')[0]]),
      [
        [401, undefined],
        [200, 'Bearer'],
        [200, 'Bearer'],
      ],
      'the manifest challenged once, the blob sent with the token up front',
    );
  });

  it('anonymous pulls from a token registry that allows them: an anonymous token', async () => {
    await using issuer = await startTokenIssuer({ credentials: user, allowAnonymous: true });
    await using s = await ociScenario({
      registry: { auth: { kind: 'token', issuer } },
      artifacts: { 'team/app:1.0': oras },
      pushCredentials: user,
      secrets: () => tokensOf(issuer),
    });
    const result = await s.run(s.reference('team/app:1.0'));
    assert.equal(result.code, 0, describeRun(result));
    assert.equal(issuer.requests.at(-1)?.authorized, false);
  });

  for (const mode of ['htpasswd', 'token'] as const) {
    it(`${mode}: wrong credentials, or none, are exit 3 with UNAUTHORIZED, and no secret is shown`, async () => {
      await using issuer = await startTokenIssuer({ credentials: user });
      await using s = await ociScenario({
        registry: {
          auth:
            mode === 'token' ? { kind: 'token', issuer } : { kind: 'htpasswd', credentials: user },
        },
        artifacts: { 'team/app:1.0': oras },
        pushCredentials: user,
        secrets: () => [...secretsOf(user, wrong), ...tokensOf(issuer)],
      });
      const file = await authFile(s.dir.path, dockerConfig(s.relay.host, wrong));
      const refused = await s.run(s.reference('team/app:1.0'), {
        LOADER_REGISTRY_AUTH_FILE: file,
      });
      assert.equal(refused.code, 3, describeRun(refused));
      const failed = finalEvent(refused);
      assert.equal(failed.errorCode, 'UNAUTHORIZED');
      assert.equal(failed.status, 401);
      assert.match(String(failed.msg), /the credentials for 127\.0\.0\.1:\d+ \(the auths entry/);
      assert.doesNotMatch(String(failed.msg), /signed URL|expired/);
      await assertNothingPublished(s.target);

      const anonymous = await s.run(s.reference('team/app:1.0'));
      assert.equal(anonymous.code, 3, describeRun(anonymous));
      assert.equal(finalEvent(anonymous).errorCode, 'UNAUTHORIZED');
      assert.match(
        String(finalEvent(anonymous).msg),
        /the pull was anonymous.*LOADER_REGISTRY_AUTH_FILE/,
      );
    });
  }

  it('a blob redirected to storage: followed without the Authorization header the registry got', async () => {
    await using issuer = await startTokenIssuer({ credentials: user });
    // Like S3 with a presigned URL: a request that also carries Authorization is refused (400).
    await using storage = await startBlobStorage({ refuseAuthorization: true });
    await using s = await ociScenario({
      registry: { auth: { kind: 'token', issuer } },
      relay: { redirectBlobs: { storage } },
      artifacts: { 'team/app:1.0': oras },
      pushCredentials: user,
      secrets: () => [...secretsOf(user), ...tokensOf(issuer), 'X-Amz-Signature=0123456789abcdef'],
    });
    const file = await authFile(s.dir.path, dockerConfig(s.relay.host, user));
    const result = await s.run(s.reference('team/app:1.0'), { LOADER_REGISTRY_AUTH_FILE: file });
    assert.equal(result.code, 0, describeRun(result));
    await assertPublished(s.target, jar);
    const redirected = s.relay.requests.find((r) => r.action === 'redirected');
    assert.match(redirected?.headers.authorization ?? '', /^Bearer /, 'the registry got the token');
    assert.equal(storage.paths.length, 1);
    assert.equal(storage.headers[0]?.authorization, undefined, 'the storage got no Authorization');
  });

  it('an auth file that cannot be read is a configuration error, its contents never shown', async () => {
    await using s = await ociScenario({ artifacts: { 'team/app:1.0': oras } });
    const missing = join(s.dir.path, 'nowhere', 'config.json');
    const notJson = await authFile(s.dir.path, `{"auths": {"x": {"auth": "${user.password}"`);
    const fifo = join(s.dir.path, 'fifo.json');
    await run('mkfifo', [fifo]);
    for (const [path, message] of [
      [missing, /LOADER_REGISTRY_AUTH_FILE \(or --registry-auth-file\) \(.*\): no such file/],
      [notJson, /is not valid JSON; expected a Docker config\.json .*\(contents not shown\)/],
      [fifo, /is a FIFO; expected a regular file holding a Docker config\.json/],
    ] as const) {
      const result = await s.run(s.reference('team/app:1.0'), { LOADER_REGISTRY_AUTH_FILE: path });
      assert.equal(result.code, 2, describeRun(result));
      assert.match(String(finalEvent(result).msg), message);
      assert.ok(!result.stdout.includes(user.password));
    }
    assert.equal(
      s.relay.requests.length,
      0,
      'nothing is asked of the registry with credentials unread',
    );
  });
});
