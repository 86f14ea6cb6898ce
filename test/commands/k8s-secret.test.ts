// `sign --k8s-secret NAME` prints a v1 Secret that Kubernetes accepts: parsed
// as YAML and validated against the API schema (kubernetes-models), holding a
// URL that verifies, and the size when --dir or --size gives it.
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Secret } from 'kubernetes-models/v1/Secret';
import { parseAllDocuments } from 'yaml';
import { expiresAtAnnotation } from '../../src/commands/k8s-secret.ts';
import { verifySignedUrl } from '../../src/urls/verify-url.ts';
import { runLoader } from '../helpers/run-loader.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const signingSecret = 'k'.repeat(44);

async function signInto(...extra: string[]) {
  const tmp = await makeTempDir('k8s-secret-');
  const secretFile = join(tmp.path, 'secret');
  await writeFile(secretFile, signingSecret);
  await chmod(secretFile, 0o600);
  await writeFile(join(tmp.path, 'app.jar'), Buffer.alloc(4321, 7));
  const run = await runLoader({
    args: [
      'sign',
      '--base-url',
      'https://artifacts.example:8443',
      '--path',
      '/app.jar',
      '--secret-file',
      secretFile,
      ...extra.map((arg) => arg.replace('$DIR', tmp.path)),
    ],
  });
  await tmp.cleanup();
  return run;
}

/** The one YAML document of the output, validated as a v1 Secret. */
function secretOf(stdout: string): Secret {
  const documents = parseAllDocuments(stdout);
  assert.ok(Array.isArray(documents));
  assert.equal(documents.length, 1, 'one object');
  const [document] = documents;
  assert.deepEqual(document?.errors, [], 'valid YAML');
  const secret = new Secret(document?.toJS() as never);
  secret.validate(); // throws naming every field that breaks the schema
  return secret;
}

describe('runtime-loader sign --k8s-secret', () => {
  it('prints a valid v1 Secret with the URL, the size and when it expires', async () => {
    const before = Date.now();
    const run = await signInto('--k8s-secret', 'jvm-app-artifact', '--ttl', '6h', '--dir', '$DIR');
    const after = Date.now();
    assert.equal(run.code, 0, run.stderr);
    const secret = secretOf(run.stdout);
    assert.equal(secret.apiVersion, 'v1');
    assert.equal(secret.kind, 'Secret');
    assert.equal(secret.metadata?.name, 'jvm-app-artifact');
    assert.equal(secret.type, 'Opaque');
    const url = secret.stringData?.url ?? '';
    assert.ok(verifySignedUrl(url, signingSecret).ok, 'the URL in it verifies');
    assert.equal(new URL(url).origin, 'https://artifacts.example:8443');
    assert.equal(secret.stringData?.size, '4321');
    const expiresAt = Date.parse(secret.metadata?.annotations?.[expiresAtAnnotation] ?? '');
    // Annotated with its expiry: 6 h after a moment of the run (the annotation has whole seconds).
    const sixHours = 6 * 3_600_000;
    assert.ok(
      expiresAt >= before - 1_000 + sixHours && expiresAt <= after + sixHours,
      `expires at ${expiresAt}, signed between ${before} and ${after}`,
    );
  });

  it('leaves the size out when neither --dir nor --size gives it', async () => {
    const run = await signInto('--k8s-secret', 'a.b-c');
    assert.equal(run.code, 0, run.stderr);
    const secret = secretOf(run.stdout);
    assert.deepEqual(Object.keys(secret.stringData ?? {}), ['url']);
  });

  it('the schema check is real: a number in stringData fails validation', async () => {
    const run = await signInto('--k8s-secret', 'x', '--size', '9');
    assert.equal(secretOf(run.stdout).stringData?.size, '9');
    const raw = parseAllDocuments(run.stdout);
    assert.ok(Array.isArray(raw));
    const object = raw[0]?.toJS() as { stringData: Record<string, unknown> };
    object.stringData.size = 9;
    assert.throws(() => new Secret(object as never).validate(), /stringData/);
  });

  for (const name of ['Jvm-App', '-x', 'a_b', 'x'.repeat(254), '']) {
    it(`refuses the name ${JSON.stringify(name.slice(0, 12))} (exit 2), printing no URL`, async () => {
      const run = await signInto('--k8s-secret', name);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /--k8s-secret/);
    });
  }

  for (const format of ['--env', '--shell']) {
    it(`refuses ${format} with --k8s-secret`, async () => {
      const run = await signInto('--k8s-secret', 'x', format, '--size', '9');
      assert.equal(run.code, 2);
      assert.match(run.stderr, /give --env, --shell or --k8s-secret, not more than one/);
    });
  }
});
