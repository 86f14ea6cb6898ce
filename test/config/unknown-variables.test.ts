// A mistyped ARTIFACT_*/LOADER_* variable is a warning naming the setting it
// probably meant, and part of the error when a required setting is missing.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.ts';
import { settings } from '../../src/config/settings.ts';
import { findUnknownVariables, knownVariables } from '../../src/config/unknown-variables.ts';
import { ConfigError } from '../../src/errors.ts';
import { eventsNamed, finalEvent } from '../helpers/events.ts';
import { startArtifactServer } from '../helpers/fault-server.ts';
import { loaderEnv } from '../helpers/loader-env.ts';
import { runLoader } from '../helpers/run-loader.ts';
import { makeTempDir } from '../helpers/tmp.ts';

/** A value shaped like a signed URL: it must never be printed, whatever the name it is under. */
const secretValue = 'https://bucket.example/app.jar?X-Amz-Signature=VALUE0F4TYP0';

describe('findUnknownVariables', () => {
  it('knows exactly the variables of the settings table', () => {
    const table = Object.values(settings).map((spec) => spec.env);
    assert.deepEqual([...knownVariables].sort(), table.sort());
    const env = Object.fromEntries(table.map((name) => [name, 'x']));
    assert.deepEqual(findUnknownVariables(env), []);
  });

  it('knows every ARTIFACT_*/LOADER_* name the sources mention, so none read outside the table is warned about', async () => {
    const sourceRoot = new URL('../../src/', import.meta.url);
    const files = (await readdir(sourceRoot, { recursive: true })).filter((file) =>
      file.endsWith('.ts'),
    );
    const mentioned = new Set<string>();
    for (const file of files) {
      const text = await readFile(new URL(file, sourceRoot), 'utf8');
      for (const [name] of text.matchAll(/\b(?:ARTIFACT|LOADER)_[A-Z0-9_]*[A-Z0-9]/g)) {
        mentioned.add(name);
      }
    }
    assert.ok(mentioned.has('ARTIFACT_URL'), 'the scan finds names at all');
    assert.deepEqual(
      [...mentioned].filter((name) => !knownVariables.includes(name)),
      [],
      'a variable the loader reads must be a row of the settings table',
    );
  });

  it('names each unknown ARTIFACT_* or LOADER_* variable, in any case, with the nearest setting', () => {
    const unknown = findUnknownVariables({
      ARTIFACT_EXPECTED_SIZES: '5',
      LOADER_DEADLINE_SECOND: '5',
      loader_verify_jar: 'false',
      LOADER_IMAGE: 'registry/loader:1',
      ARTIFACT_URL: secretValue,
      HOME: '/root',
      MY_LOADER_SETTING: '1',
    });
    assert.deepEqual(unknown, [
      { name: 'ARTIFACT_EXPECTED_SIZES', nearest: 'ARTIFACT_EXPECTED_SIZE', likely: true },
      { name: 'LOADER_DEADLINE_SECOND', nearest: 'LOADER_DEADLINE_SECONDS', likely: true },
      { name: 'LOADER_IMAGE', nearest: unknown[2]?.nearest ?? '', likely: false },
      { name: 'loader_verify_jar', nearest: 'LOADER_VERIFY_JAR', likely: true },
    ]);
    assert.ok(knownVariables.includes(unknown[2]?.nearest ?? ''));
  });
});

describe('the variables the kubelet gives a pod for each Service (service links)', () => {
  /** What a pod sees for a Service `name` with one port: the kubelet's shapes, every one. */
  const serviceLinks = (name: string, port: number, portName: string) => {
    const prefix = name.toUpperCase().replaceAll('-', '_');
    const tcp = `${prefix}_PORT_${port}_TCP`;
    return {
      [`${prefix}_SERVICE_HOST`]: '10.0.0.5',
      [`${prefix}_SERVICE_PORT`]: String(port),
      [`${prefix}_SERVICE_PORT_${portName.toUpperCase().replaceAll('-', '_')}`]: String(port),
      [`${prefix}_PORT`]: `tcp://10.0.0.5:${port}`,
      [tcp]: `tcp://10.0.0.5:${port}`,
      [`${tcp}_PROTO`]: 'tcp',
      [`${tcp}_PORT`]: String(port),
      [`${tcp}_ADDR`]: '10.0.0.5',
      [`${prefix}_PORT_${port}_UDP_ADDR`]: '10.0.0.5',
      [`${prefix}_PORT_${port}_SCTP`]: `sctp://10.0.0.5:${port}`,
    };
  };

  it('are no unknown settings, for a Service named artifact, loader or artifact-server', () => {
    const env = {
      ...serviceLinks('artifact', 80, 'http'),
      ...serviceLinks('loader', 8080, 'metrics-port'),
      ...serviceLinks('artifact-server', 443, 'https'),
    };
    assert.ok(Object.keys(env).includes('ARTIFACT_PORT'));
    assert.deepEqual(findUnknownVariables(env), []);
  });

  it('do not hide a real typo, nor a name only close to their shapes', () => {
    const unknown = findUnknownVariables({
      ...serviceLinks('artifact', 80, 'http'),
      LOADER_DEADLINE_SECOND: '5',
      ARTIFACT_PORTS: '80',
      ARTIFACT_PORT_80_HTTP: 'tcp://10.0.0.5:80',
      ARTIFACT_PORT_HTTP_TCP: 'tcp://10.0.0.5:80',
      artifact_service_host: '10.0.0.5',
    });
    assert.deepEqual(
      unknown.map((variable) => variable.name),
      [
        'ARTIFACT_PORTS',
        'ARTIFACT_PORT_80_HTTP',
        'ARTIFACT_PORT_HTTP_TCP',
        'LOADER_DEADLINE_SECOND',
        'artifact_service_host',
      ],
    );
    assert.equal(unknown[3]?.nearest, 'LOADER_DEADLINE_SECONDS');
  });
});

describe('loadConfig with a mistyped required variable', () => {
  it('says which variable was probably meant for it', () => {
    const env = { ARTIFACT_URL: secretValue, ARTIFACT_EXPECTED_SIZES: '1024' };
    assert.throws(
      () => loadConfig([], env, false),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(
          error.message,
          /ARTIFACT_EXPECTED_SIZE \(or --expected-size\) is required but not set \(found ARTIFACT_EXPECTED_SIZES: did you mean ARTIFACT_EXPECTED_SIZE\?\)/,
        );
        assert.ok(!error.message.includes('1024'), 'the value is not shown');
        return true;
      },
    );
  });
});

describe('a missing URL names its likely typo', () => {
  for (const [typo, meant] of [
    ['ARTIFACT_ULR', 'ARTIFACT_URL'],
    ['ARTIFACT_URL_FIEL', 'ARTIFACT_URL_FILE'],
  ] as const) {
    it(`${typo}: did you mean ${meant}?`, () => {
      const env = { [typo]: secretValue, ARTIFACT_EXPECTED_SIZE: '1024' };
      assert.throws(
        () => loadConfig([], env, false),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.ok(
            error.message.includes(
              `is required but not set (found ${typo}: did you mean ${meant}?)`,
            ),
            error.message,
          );
          assert.ok(!error.message.includes(secretValue), 'the value is not shown');
          return true;
        },
      );
    });
  }
});

describe('the loader with unknown variables', () => {
  it('warns once for each, then runs with the settings it knows', async () => {
    await using server = await startArtifactServer();
    await using tmp = await makeTempDir('unknown-variables-');
    const target = join(tmp.path, 'app.jar');
    const run = await runLoader({
      env: loaderEnv(
        { server, target },
        {
          LOADER_VERIFY_JAR: 'false',
          LOADER_DEADLINE_SECOND: secretValue,
          ARTIFACT_BUILD_ID: secretValue,
        },
      ),
    });
    assert.equal(run.code, 0, run.stdout);
    const warnings = eventsNamed(run, 'unknown-variable');
    assert.deepEqual(
      warnings.map(({ level, variable, nearest, likely }) => ({
        level,
        variable,
        nearest,
        likely,
      })),
      [
        {
          level: 'warn',
          variable: 'ARTIFACT_BUILD_ID',
          nearest: warnings[0]?.nearest,
          likely: false,
        },
        {
          level: 'warn',
          variable: 'LOADER_DEADLINE_SECOND',
          nearest: 'LOADER_DEADLINE_SECONDS',
          likely: true,
        },
      ],
    );
    assert.match(String(warnings[1]?.msg), /did you mean LOADER_DEADLINE_SECONDS\?/);
    assert.ok(!run.stdout.includes('VALUE0F4TYP0') && !run.stderr.includes('VALUE0F4TYP0'));
    assert.equal(finalEvent(run).event, 'done');
  });

  it('names the typo in the configuration error and the termination message, not its value', async () => {
    await using tmp = await makeTempDir('unknown-variables-');
    const terminationLog = join(tmp.path, 'termination-log');
    await writeFile(terminationLog, '');
    const run = await runLoader({
      env: {
        ARTIFACT_URL: secretValue,
        ARTIFACT_EXPECTED_SIZES: '52428800',
        LOADER_TERMINATION_LOG: terminationLog,
      },
    });
    assert.equal(run.code, 2);
    const expected =
      /ARTIFACT_EXPECTED_SIZE \(or --expected-size\) is required but not set \(found ARTIFACT_EXPECTED_SIZES: did you mean ARTIFACT_EXPECTED_SIZE\?\)/;
    assert.match(String(finalEvent(run).msg), expected);
    assert.equal(eventsNamed(run, 'unknown-variable')[0]?.variable, 'ARTIFACT_EXPECTED_SIZES');
    assert.match(await readFile(terminationLog, 'utf8'), expected);
    assert.ok(!run.stdout.includes('52428800'), 'the value is not shown');
  });
});
