// The Node.js binary of the `node` devDependency's exact version, for an architecture:
// this machine's is the one `npm ci` installed; another's comes from the npm package
// `node-linux-<arch>` at the same version (the package `node` installs it for the host),
// fetched with `npm pack` (which checks the registry's integrity) into
// node_modules/.cache/. It cannot be a devDependency: npm refuses to install a package
// whose `cpu` is not this machine's.
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const repoRoot = new URL('..', import.meta.url).pathname;
const packTimeoutMs = 300_000;

/** Image architecture names (as in OCI platforms), with Node's and npm's name for each. */
export const architectures = {
  amd64: { node: 'x64', dynamicLoader: '/lib64/ld-linux-x86-64.so.2', debian: 'amd64' },
  arm64: { node: 'arm64', dynamicLoader: '/lib/ld-linux-aarch64.so.1', debian: 'arm64' },
} as const;
export type Arch = keyof typeof architectures;

export function hostArch(): Arch {
  const found = Object.entries(architectures).find(([, names]) => names.node === process.arch);
  if (found === undefined)
    throw new Error(`no image architecture for this machine's ${process.arch}`);
  return found[0] as Arch;
}

/** The version of the `node` devDependency that `npm ci` installed (e.g. 24.21.0). */
export async function lockedNodeVersion(): Promise<string> {
  const text = await readFile(join(repoRoot, 'node_modules/node/package.json'), 'utf8').catch(
    (error: unknown) => {
      throw new Error(
        'node_modules/node is missing: run `npm ci` first (the `node` devDependency)',
        {
          cause: error,
        },
      );
    },
  );
  return (JSON.parse(text) as { version: string }).version;
}

/** The path of the Node.js binary for `arch`, fetching it first when it is not this machine's. */
export async function nodeBinaryFor(arch: Arch): Promise<string> {
  if (arch === hostArch()) return join(repoRoot, 'node_modules/node/bin/node');
  const version = await lockedNodeVersion();
  const spec = `node-linux-${architectures[arch].node}@${version}`;
  const dir = join(repoRoot, 'node_modules/.cache/runtime-loader', spec.replace('@', '-'));
  const binary = join(dir, 'package/bin/node');
  if (await exists(binary)) return binary;
  const work = `${dir}.partial`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const { stdout } = await execFileAsync(
      'npm',
      ['pack', spec, '--json', '--pack-destination', work],
      { timeout: packTimeoutMs, maxBuffer: 16 * 1024 * 1024 },
    );
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (packed === undefined) throw new Error(`npm pack ${spec} printed no file`);
    await execFileAsync('tar', ['-xzf', join(work, packed.filename), '-C', work]);
    await rm(join(work, packed.filename));
    await rm(dir, { recursive: true, force: true });
    await rename(work, dir);
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw new Error(`could not fetch ${spec} for the ${arch} base image`, { cause: error });
  }
  return binary;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
