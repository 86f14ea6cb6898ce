import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.ts';
import { settingList, settings } from '../../src/config/settings.ts';
import type { LoaderConfig } from '../../src/config/types.ts';
import { ConfigError } from '../../src/errors.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const signedUrl = 'https://bucket.example/app.jar?X-Amz-Signature=TOPSECRETSIG';
const base = { ARTIFACT_URL: signedUrl, ARTIFACT_EXPECTED_SIZE: '1024' };

function configOf(
  env: Record<string, string>,
  argv: string[] = [],
  terminal = false,
): LoaderConfig {
  const invocation = loadConfig(argv, env, terminal);
  assert.equal(invocation.kind, 'run');
  return (invocation as { config: LoaderConfig }).config;
}

function configError(env: Record<string, string>, argv: string[] = []): ConfigError {
  try {
    loadConfig(argv, env, false);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.exitCode, 2);
    return error;
  }
  assert.fail('expected a ConfigError');
}

/** The signed URL and size of a configuration that fetches one. */
function urlOf(config: LoaderConfig): { url: URL; expectedSizeBytes: number } {
  assert.equal(config.artifact.kind, 'url');
  return config.artifact as { url: URL; expectedSizeBytes: number };
}

/** The configuration, or undefined when it is refused. */
function loadConfigOrError(env: Record<string, string>): LoaderConfig | undefined {
  try {
    return configOf(env);
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

describe('loadConfig', () => {
  it('reads the contract variables and applies documented defaults', () => {
    const config = configOf(base);
    assert.equal(urlOf(config).url.href, signedUrl);
    assert.equal(urlOf(config).expectedSizeBytes, 1024);
    assert.equal(config.outputPath, '/app/jars/app.jar');
    assert.equal(config.verifyJar, 'auto');
    assert.equal(config.sha256, undefined);
    assert.equal(config.deadlineMs, 100_000);
    assert.equal(config.connectTimeoutMs, 10_000);
    assert.equal(config.stallTimeoutMs, 20_000);
    assert.equal(config.maxAttempts, 8);
    assert.equal(config.connections, 4);
    assert.equal(config.parallelThresholdBytes, 64 * 1024 * 1024);
    assert.equal(config.logFormat, 'json');
  });

  it('logs text on a terminal unless told otherwise', () => {
    assert.equal(configOf(base, [], true).logFormat, 'text');
    assert.equal(configOf({ ...base, LOADER_LOG_FORMAT: 'json' }, [], true).logFormat, 'json');
  });

  it('lets flags mirror and override the environment', () => {
    const config = configOf(base, [
      '--expected-size',
      '7',
      '--output=/tmp/x.jar',
      '--no-verify-jar',
      '--stall-timeout-seconds',
      '0.25',
      '--sha256',
      `sha256:${'AB'.repeat(32)}`,
    ]);
    assert.equal(urlOf(config).expectedSizeBytes, 7);
    assert.equal(config.outputPath, '/tmp/x.jar');
    assert.equal(config.verifyJar, false);
    assert.equal(config.stallTimeoutMs, 250);
    assert.equal(config.sha256, 'ab'.repeat(32));
  });

  it('accepts LOADER_VERIFY_JAR=false and seconds with decimals', () => {
    const config = configOf({
      ...base,
      LOADER_VERIFY_JAR: 'false',
      LOADER_DEADLINE_SECONDS: '1.5',
    });
    assert.equal(config.verifyJar, false);
    assert.equal(config.deadlineMs, 1500);
  });

  it('reads LOADER_VERIFY_JAR as true, false or auto; --verify-jar means true', () => {
    assert.equal(configOf({ ...base, LOADER_VERIFY_JAR: 'true' }).verifyJar, true);
    assert.equal(configOf({ ...base, LOADER_VERIFY_JAR: 'AUTO' }).verifyJar, 'auto');
    assert.equal(configOf({ ...base, LOADER_VERIFY_JAR: 'no' }).verifyJar, false);
    assert.equal(configOf(base, ['--verify-jar']).verifyJar, true);
    assert.equal(
      configOf({ ...base, LOADER_VERIFY_JAR: 'false' }, ['--verify-jar']).verifyJar,
      true,
    );
  });

  it('takes connections and the parallel threshold from the environment or flags', () => {
    const fromEnv = configOf({
      ...base,
      LOADER_CONNECTIONS: '16',
      LOADER_PARALLEL_THRESHOLD_BYTES: '1048576',
    });
    assert.equal(fromEnv.connections, 16);
    assert.equal(fromEnv.parallelThresholdBytes, 1_048_576);
    const fromFlags = configOf({ ...base, LOADER_CONNECTIONS: '8' }, [
      '--connections',
      '1',
      '--parallel-threshold-bytes=4096',
    ]);
    assert.equal(fromFlags.connections, 1);
    assert.equal(fromFlags.parallelThresholdBytes, 4096);
  });

  for (const value of ['0', '17', '2.5', '-1', 'four']) {
    it(`refuses LOADER_CONNECTIONS=${JSON.stringify(value)} saying the range`, () => {
      const error = configError({ ...base, LOADER_CONNECTIONS: value });
      assert.match(
        error.message,
        /LOADER_CONNECTIONS \(or --connections\): expected a whole number from 1 to 16/,
      );
    });
  }

  it('answers --help and --version without needing the required variables', () => {
    assert.equal(loadConfig(['--help'], {}, false).kind, 'help');
    assert.equal(loadConfig(['-V'], {}, false).kind, 'version');
  });

  for (const value of ['-1', '1.5', '10MB', ' 10', '+10', '0', String(2n ** 60n), '1e6']) {
    it(`refuses ARTIFACT_EXPECTED_SIZE=${JSON.stringify(value)} naming the variable`, () => {
      const error = configError({ ...base, ARTIFACT_EXPECTED_SIZE: value });
      assert.match(error.message, /ARTIFACT_EXPECTED_SIZE/);
      assert.match(error.message, /expected|empty/);
    });
  }

  it('refuses a missing ARTIFACT_EXPECTED_SIZE and a missing ARTIFACT_URL in one message', () => {
    const error = configError({});
    assert.match(
      error.message,
      /ARTIFACT_URL \(or --url\) or ARTIFACT_URL_FILE \(or --url-file\) is required/,
    );
    assert.match(error.message, /ARTIFACT_EXPECTED_SIZE \(or --expected-size\) is required/);
  });

  for (const url of [
    'ftp://host/app.jar?sig=TOPSECRETSIG',
    'file:///etc/passwd?sig=TOPSECRETSIG',
    'not a url TOPSECRETSIG',
  ]) {
    it(`refuses the URL ${url.split(':')[0]}: without echoing it`, () => {
      const error = configError({ ...base, ARTIFACT_URL: url });
      assert.match(error.message, /ARTIFACT_URL/);
      assert.doesNotMatch(error.message, /TOPSECRETSIG/);
    });
  }

  for (const [label, url] of [
    ['password', 'http://deploy:pa%zzword9@host.example/app.jar?sig=TOPSECRETSIG'],
    ['user name', 'https://de%E0ploy:pass@host.example/app.jar'],
  ] as const) {
    it(`refuses a ${label} with an invalid percent-escape, naming ARTIFACT_URL and not the value`, () => {
      const error = configError({ ...base, ARTIFACT_URL: url });
      assert.match(error.message, new RegExp(`ARTIFACT_URL.*${label}.*percent-encoded`));
      for (const piece of ['pa%zzword9', 'zzword', 'de%E0ploy', 'TOPSECRETSIG'])
        assert.doesNotMatch(error.message, new RegExp(piece));
    });
  }

  it('accepts valid escapes in the credentials, and refuses a proxy whose are not', () => {
    assert.equal(
      urlOf(configOf({ ...base, ARTIFACT_URL: 'https://de%40ploy:p%25ss@host.example/a.jar' })).url
        .password,
      'p%25ss',
    );
    const error = configError({ ...base, HTTPS_PROXY: 'http://u:pa%zz@proxy.example:3128' });
    assert.match(error.message, /HTTPS_PROXY.*password.*percent-encoded/);
    assert.doesNotMatch(error.message, /pa%zz/);
  });

  it('refuses a bad boolean listing exactly the words the parser accepts', () => {
    const message = configError({ ...base, LOADER_VERIFY_JAR: 'maybe' }).message;
    const [, onWords = '', offWords = ''] =
      /LOADER_VERIFY_JAR \(or --verify-jar\): expected auto, or (.*) to turn it on, or (.*) to turn it off, got "maybe"/.exec(
        message,
      ) ?? [];
    const words = (list: string) => list.split(/, | or /).filter((word) => word !== '');
    // Every word the message lists turns the setting on or off as it says, in any case ...
    for (const [list, on] of [
      [words(onWords), true],
      [words(offWords), false],
    ] as const) {
      for (const word of list) {
        assert.equal(configOf({ ...base, LOADER_VERIFY_JAR: word }).verifyJar, on, word);
        assert.equal(configOf({ ...base, LOADER_VERIFY_JAR: word.toUpperCase() }).verifyJar, on);
      }
    }
    // ... and every word it accepts is listed.
    const candidates = ['true', 'false', 'yes', 'no', 'on', 'off', '1', '0', 'y', 'n', 't', 'f'];
    const accepted = candidates.filter(
      (word) => loadConfigOrError({ ...base, LOADER_VERIFY_JAR: word }) !== undefined,
    );
    assert.deepEqual([...words(onWords), ...words(offWords)].sort(), accepted.sort(), message);
  });

  it('refuses a malformed digest, a bad duration and an unknown flag', () => {
    assert.match(
      configError({ ...base, ARTIFACT_SHA256: 'abc' }).message,
      /ARTIFACT_SHA256.*64 hexadecimal/,
    );
    assert.match(
      configError({ ...base, ARTIFACT_SHA256: `${'g'.repeat(64)}` }).message,
      /ARTIFACT_SHA256/,
    );
    assert.match(
      configError({ ...base, LOADER_STALL_TIMEOUT_SECONDS: '-3' }).message,
      /LOADER_STALL_TIMEOUT_SECONDS/,
    );
    assert.match(configError({ ...base, LOADER_MAX_ATTEMPTS: '0' }).message, /LOADER_MAX_ATTEMPTS/);
    assert.match(
      configError({ ...base, LOADER_PARALLEL_THRESHOLD_BYTES: '64MiB' }).message,
      /LOADER_PARALLEL_THRESHOLD_BYTES.*digits only/,
    );
    assert.match(
      configError({ ...base, LOADER_LOG_FORMAT: 'xml' }).message,
      /LOADER_LOG_FORMAT.*json, text/,
    );
    assert.match(configError(base, ['--frobnicate']).message, /--frobnicate/);
    assert.match(
      configError(base, ['--deadline-second', '5']).message,
      /Unknown option '--deadline-second': did you mean --deadline-seconds\?/,
    );
    assert.match(
      configError(base, ['--verify-jar=maybe']).message,
      /write --verify-jar or --no-verify-jar, without a value \(or set LOADER_VERIFY_JAR\)/,
    );
    assert.match(configError(base, ['--output', '/app/jars/']).message, /ARTIFACT_PATH/);
  });
});

describe('an empty value', () => {
  /** The configuration as plain data, the URL as its text, to compare two reads. */
  const comparable = (config: LoaderConfig) => ({
    ...config,
    artifact: { ...urlOf(config), url: urlOf(config).url.href },
  });
  const required = [settings.url.env, settings.urlFile.env, settings.expectedSizeBytes.env];

  it('of a variable means unset, for every setting: its default', () => {
    const unset = comparable(configOf(base));
    for (const spec of settingList.filter((spec) => !required.includes(spec.env))) {
      assert.deepEqual(comparable(configOf({ ...base, [spec.env]: '' })), unset, spec.env);
    }
  });

  it('of a required variable means unset: "required but not set"', () => {
    const noSize = configError({ ...base, ARTIFACT_EXPECTED_SIZE: '' }).message;
    assert.equal(
      noSize,
      'invalid configuration: ARTIFACT_EXPECTED_SIZE (or --expected-size) is required but not set',
    );
    const noUrl = configError({ ...base, ARTIFACT_URL: '', ARTIFACT_URL_FILE: '' }).message;
    assert.equal(
      noUrl,
      'invalid configuration: ARTIFACT_URL (or --url) or ARTIFACT_URL_FILE (or --url-file) is required but not set',
    );
  });

  it('of a flag is a configuration error naming the flag, for every flag that takes a value', () => {
    for (const spec of settingList.filter((spec) => spec.negatedFlag === undefined)) {
      for (const argv of [[`--${spec.flag}=`], [`--${spec.flag}`, '']]) {
        const { message } = configError(base, argv);
        assert.ok(
          message.includes(`--${spec.flag} is given an empty value; expected ${spec.valueName}`),
          `${argv.join(' ')}: ${message}`,
        );
      }
    }
  });

  it('of --url or --url-file is named as such, not as a second URL', () => {
    const { message } = configError({ ARTIFACT_EXPECTED_SIZE: '1024' }, [
      '--url-file=',
      '--url',
      signedUrl,
    ]);
    assert.equal(
      message,
      'invalid configuration: --url-file is given an empty value; expected PATH',
    );
  });
});

describe('the configuration type', () => {
  it('is derived from the settings table: each setting has its parser’s type (checked by tsc)', () => {
    const config = configOf({ ...base, LOADER_DEADLINE_SECONDS: '2.5', LOADER_VERIFY_JAR: 'on' });
    const deadlineMs: number = config.deadlineMs;
    const verifyJar: boolean | 'auto' = config.verifyJar;
    const sha256: string | undefined = config.sha256;
    const { artifact } = config;
    // @ts-expect-error the size may be left out for an oci:// reference
    const size: number = artifact.expectedSizeBytes;
    const expectedSizeBytes: number = artifact.kind === 'url' ? artifact.expectedSizeBytes : size;
    // @ts-expect-error a count is a number, not a string
    const maxAttempts: string = config.maxAttempts;
    // @ts-expect-error a digest without a default may be undefined
    const digest: string = config.sha256;
    assert.deepEqual(
      [deadlineMs, verifyJar, sha256, expectedSizeBytes, maxAttempts, digest],
      [2500, true, undefined, 1024, 8, undefined],
    );
  });
});

describe('an oci:// reference', () => {
  const reference = 'oci://Registry.Example:5000/team/app:1.0';

  it('is read from ARTIFACT_URL or the file, normalised; ARTIFACT_EXPECTED_SIZE may be left out', () => {
    const config = configOf({ ARTIFACT_URL: reference });
    assert.equal(config.artifact.kind, 'oci');
    if (config.artifact.kind !== 'oci') return;
    assert.equal(config.artifact.reference.display, 'oci://registry.example:5000/team/app:1.0');
    assert.equal(config.artifact.expectedSizeBytes, undefined);
    assert.deepEqual(config.artifact.registry, {
      plainHttp: new Set(),
      mirrors: [],
      authFile: undefined,
      imageFile: '/app.jar',
    });
    const sized = configOf({ ARTIFACT_URL: reference, ARTIFACT_EXPECTED_SIZE: '7' });
    assert.equal(sized.artifact.expectedSizeBytes, 7);
  });

  it('reads the registry settings; the auth file is the setting, else $DOCKER_CONFIG/config.json', () => {
    const config = configOf({
      ARTIFACT_URL: reference,
      LOADER_REGISTRY_PLAIN_HTTP: 'registry.example:5000, mirror.example',
      LOADER_REGISTRY_MIRRORS: 'mirror.example,other.example:5001',
      LOADER_OCI_FILE: 'opt//service/./app.jar',
      DOCKER_CONFIG: '/home/u/.docker/',
    });
    assert.equal(config.artifact.kind, 'oci');
    if (config.artifact.kind !== 'oci') return;
    const { registry } = config.artifact;
    assert.deepEqual([...registry.plainHttp], ['registry.example:5000', 'mirror.example']);
    assert.deepEqual(registry.mirrors, ['mirror.example', 'other.example:5001']);
    assert.equal(registry.imageFile, '/opt/service/app.jar');
    assert.deepEqual(registry.authFile, {
      path: '/home/u/.docker/config.json',
      source: 'DOCKER_CONFIG (/home/u/.docker/config.json)',
    });
    const named = configOf({
      ARTIFACT_URL: reference,
      LOADER_REGISTRY_AUTH_FILE: '/var/run/registry/.dockerconfigjson',
      DOCKER_CONFIG: '/home/u/.docker',
    });
    assert.equal(
      named.artifact.kind === 'oci' && named.artifact.registry.authFile?.path,
      '/var/run/registry/.dockerconfigjson',
    );
  });

  it('is refused when malformed or carrying credentials, with every other problem, never shown whole', () => {
    const { message } = configError({
      ARTIFACT_URL: 'oci://robot:hunter2pass@registry.example/team/app:1.0',
      LOADER_REGISTRY_MIRRORS: 'http://mirror.example',
      LOADER_OCI_FILE: '/opt/../app.jar',
    });
    assert.match(
      message,
      /ARTIFACT_URL \(or --url\): expected oci:\/\/REGISTRY.*credentials belong in the registry auth file/,
    );
    assert.match(
      message,
      /LOADER_REGISTRY_MIRRORS \(or --registry-mirrors\): expected registries as host:port/,
    );
    assert.match(
      message,
      /LOADER_OCI_FILE \(or --oci-file\): expected a path inside the image without "\.\." parts/,
    );
    assert.doesNotMatch(message, /hunter2pass/);
    assert.match(
      configError({ ARTIFACT_URL: 'oci://registry.example/team/app' }).message,
      /"latest" is not assumed/,
    );
  });

  it('a URL still needs ARTIFACT_EXPECTED_SIZE, with the same message', () => {
    assert.equal(
      configError({ ARTIFACT_URL: signedUrl }).message,
      'invalid configuration: ARTIFACT_EXPECTED_SIZE (or --expected-size) is required but not set',
    );
    assert.match(
      configError({ ARTIFACT_URL: 'ftp://x.example/a.jar', ARTIFACT_EXPECTED_SIZE: '1' }).message,
      /expected an http:\/\/ or https:\/\/ URL, or an oci:\/\/ reference, got the scheme "ftp"/,
    );
  });
});

describe("the publisher's signature settings", () => {
  const minisignKey = (() => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
    const keyNumber = Buffer.from('0123456789abcdef', 'hex');
    const line = Buffer.concat([Buffer.from('Ed'), keyNumber, raw]).toString('base64');
    return {
      text: `untrusted comment: minisign public key EFCDAB8967452301\n${line}\n`,
      id: 'EFCDAB8967452301',
    };
  })();
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
  const signatureUrl = 'https://bucket.example/app.jar.minisig?X-Amz-Signature=SIGNATURESECRET';

  it('reads the keys from ARTIFACT_PUBLIC_KEY, a minisign key and a PEM block, and the signature URL', () => {
    const config = configOf({
      ...base,
      ARTIFACT_PUBLIC_KEY: `${minisignKey.text}${pem}`,
      ARTIFACT_SIGNATURE_URL: signatureUrl,
    });
    assert.equal(config.publicKeys?.source, 'ARTIFACT_PUBLIC_KEY');
    assert.deepEqual(
      config.publicKeys?.keys.map((key) => key.kind),
      ['minisign', 'ecdsa-p256'],
    );
    assert.equal(config.publicKeys?.keys[0]?.id, minisignKey.id);
    assert.equal(config.signatureUrl?.href, signatureUrl);
  });

  it('reads ARTIFACT_PUBLIC_KEY_FILE once, a leading BOM dropped, and names it in the key set', async () => {
    await using dir = await makeTempDir('public-key-file-');
    const path = join(dir.path, 'keys.pub');
    await writeFile(path, `\uFEFF${minisignKey.text}`);
    const config = configOf({
      ...base,
      ARTIFACT_PUBLIC_KEY_FILE: path,
      ARTIFACT_SIGNATURE_URL: signatureUrl,
    });
    assert.equal(config.publicKeys?.source, `ARTIFACT_PUBLIC_KEY_FILE (${path})`);
    assert.equal(config.publicKeys?.keys[0]?.id, minisignKey.id);
  });

  it('refuses a key file that is missing, a FIFO or over 64 KiB, as ARTIFACT_URL_FILE would', async () => {
    await using dir = await makeTempDir('public-key-file-');
    const fifo = join(dir.path, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const large = join(dir.path, 'large.pub');
    await writeFile(large, `${minisignKey.text}${' '.repeat(64 * 1024)}`);
    for (const [path, problem] of [
      [join(dir.path, 'missing.pub'), 'no such file (is the ConfigMap or Secret volume mounted?)'],
      [fifo, "is a FIFO; expected a regular file holding the publisher's public keys"],
      [large, 'too large to hold public keys; expected at most 65536 bytes'],
    ] as const) {
      const { message } = configError({
        ...base,
        ARTIFACT_PUBLIC_KEY_FILE: path,
        ARTIFACT_SIGNATURE_URL: signatureUrl,
      });
      assert.ok(
        message.includes(`ARTIFACT_PUBLIC_KEY_FILE (or --public-key-file): `) &&
          message.includes(problem),
        message,
      );
    }
  });

  it('names the line that is not a key, with every other problem at once', () => {
    const { message } = configError({
      ...base,
      ARTIFACT_PUBLIC_KEY: `${minisignKey.text}not-a-key\n`,
      ARTIFACT_SIGNATURE_URL: signatureUrl,
      LOADER_MAX_ATTEMPTS: 'many',
    });
    assert.match(message, /ARTIFACT_PUBLIC_KEY line 3 is not a minisign public key/);
    assert.match(message, /LOADER_MAX_ATTEMPTS/);
  });

  it('refuses both key settings, a key without a signature URL, and a signature URL without a key', () => {
    const both = configError({
      ...base,
      ARTIFACT_PUBLIC_KEY: minisignKey.text,
      ARTIFACT_PUBLIC_KEY_FILE: '/keys/minisign.pub',
      ARTIFACT_SIGNATURE_URL: signatureUrl,
    }).message;
    assert.equal(
      both,
      'invalid configuration: ARTIFACT_PUBLIC_KEY (or --public-key) and ARTIFACT_PUBLIC_KEY_FILE (or --public-key-file) are both set; set only one of them',
    );
    const unsigned = configError({ ...base, ARTIFACT_PUBLIC_KEY: minisignKey.text }).message;
    assert.equal(
      unsigned,
      "invalid configuration: ARTIFACT_PUBLIC_KEY (or --public-key) is set, so the artifact must carry its publisher's signature, but ARTIFACT_SIGNATURE_URL (or --signature-url) is not: set it to the URL of the signature (only an oci:// artifact's signature is found without it, at its registry)",
    );
    const unchecked = configError({ ...base }, ['--signature-url', signatureUrl]).message;
    assert.equal(
      unchecked,
      'invalid configuration: ARTIFACT_SIGNATURE_URL (or --signature-url) is set but no key to check the signature with: set ARTIFACT_PUBLIC_KEY or ARTIFACT_PUBLIC_KEY_FILE (a signature nobody checks proves nothing)',
    );
    assert.doesNotMatch(unchecked, /SIGNATURESECRET/);
  });

  it('refuses a signature URL that is not an http(s) URL, without showing it', () => {
    const { message } = configError({
      ...base,
      ARTIFACT_PUBLIC_KEY: minisignKey.text,
      ARTIFACT_SIGNATURE_URL: 'not a url SIGNATURESECRET',
    });
    assert.match(
      message,
      /ARTIFACT_SIGNATURE_URL \(or --signature-url\): expected an absolute http/,
    );
    assert.doesNotMatch(message, /SIGNATURESECRET/);
  });

  it('takes keys without a signature URL for an oci:// artifact: its signature is found at the registry', () => {
    const config = configOf({
      ARTIFACT_URL: 'oci://registry.example/team/app:1.0',
      ARTIFACT_PUBLIC_KEY: pem,
    });
    assert.equal(config.artifact.kind, 'oci');
    assert.deepEqual(
      config.publicKeys?.keys.map((key) => key.kind),
      ['ecdsa-p256'],
    );
    assert.equal(config.signatureUrl, undefined);
    // With a signature URL it is a detached signature of the JAR, as for an http(s) URL.
    const detached = configOf({
      ARTIFACT_URL: 'oci://registry.example/team/app:1.0',
      ARTIFACT_PUBLIC_KEY: pem,
      ARTIFACT_SIGNATURE_URL: signatureUrl,
    });
    assert.equal(detached.signatureUrl?.href, signatureUrl);
  });

  it('refuses minisign keys alone for an oci:// image signature, which cosign makes with a PEM key', () => {
    const oci = { ARTIFACT_URL: 'oci://registry.example/team/app:1.0' };
    assert.equal(
      configError({ ...oci, ARTIFACT_PUBLIC_KEY: minisignKey.text }).message,
      `invalid configuration: ARTIFACT_PUBLIC_KEY (or --public-key) holds only minisign key ${minisignKey.id}, and without ARTIFACT_SIGNATURE_URL (or --signature-url) an oci:// artifact's signature is the image's cosign signature, which only a PEM key checks (cosign.pub, ECDSA P-256, or Ed25519): add the cosign public key, or set ARTIFACT_SIGNATURE_URL to a minisign signature of the JAR`,
    );
    // A minisign key beside a PEM key, or with a detached signature of the JAR, is fine.
    assert.equal(
      configOf({ ...oci, ARTIFACT_PUBLIC_KEY: `${minisignKey.text}${pem}` }).publicKeys?.keys
        .length,
      2,
    );
    assert.equal(
      configOf({
        ...oci,
        ARTIFACT_PUBLIC_KEY: minisignKey.text,
        ARTIFACT_SIGNATURE_URL: signatureUrl,
      }).signatureUrl?.href,
      signatureUrl,
    );
  });

  it('leaves both unset without a key', () => {
    const config = configOf(base);
    assert.equal(config.publicKeys, undefined);
    assert.equal(config.signatureUrl, undefined);
  });
});
