// Builds a local image for the JVM main container, the way make-base-image.ts
// builds the Node base: Debian's OpenJDK 17 runtime folder (openjdk-17-jre-headless,
// or the JDK that contains it) with its symlinks resolved, plus the shared
// libraries `ldd` lists, packed with tar and loaded with `<engine> import`. It
// stands in for a public JRE image (e.g. eclipse-temurin:17-jre) where no
// registry can be reached: `java` on PATH, no shell.
//
// Usage: node scripts/make-jre-image.ts   (prints the image name)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { detectEngine, type Engine } from './engine.ts';
import { copySharedLibraries, ensureImage, writeCommonFiles } from './make-base-image.ts';

const execFileAsync = promisify(execFile);

/** Bump when the layout below changes, so existing local images are rebuilt. */
const layoutRevision = 1;

export const jreImage = process.env.APP_IMAGE || 'localhost/runtime-loader-jre:17';
export const javaHome = '/usr/lib/jvm/java-17-openjdk-amd64';

/**
 * What the main container needs of the runtime folder: the launcher, the
 * module image, the VM, its configuration. Left out: the compiler's ct.sym,
 * src.zip, jmods, and the AWT/sound libraries that would pull in X11.
 */
const skippedInLib = new Set([
  'ct.sym',
  'src.zip',
  'libatk-wrapper.so',
  'libawt_xawt.so',
  'libsplashscreen.so',
  'libjsound.so',
  'libfontmanager.so',
  'libjawt.so',
]);

/** Makes (or reuses) the JRE image; returns its name and whether it was rebuilt. */
export async function makeJreImage(
  engine: Engine,
): Promise<{ image: string; javaVersion: string; rebuilt: boolean }> {
  const java = join(javaHome, 'bin/java');
  if (!existsSync(java)) {
    throw new Error(
      `${java} is missing: install Debian's openjdk-17-jre-headless (apt-get install -y openjdk-17-jre-headless)`,
    );
  }
  const { stderr } = await execFileAsync(java, ['-version']);
  const javaVersion = /version "([^"]+)"/.exec(stderr)?.[1] ?? 'unknown';
  const id = `openjdk-${javaVersion}+layout-${layoutRevision}`;
  const rebuilt = await ensureImage(engine, jreImage, id, async (root) => {
    const home = join(root, javaHome);
    await mkdir(join(home, 'lib'), { recursive: true });
    // dereference: Debian links conf and security files into /etc/java-17-openjdk.
    for (const part of ['bin/java', 'conf', 'release']) {
      await cp(join(javaHome, part), join(home, part), { recursive: true, dereference: true });
    }
    for (const name of await readdir(join(javaHome, 'lib'))) {
      if (skippedInLib.has(name) || !existsSync(join(javaHome, 'lib', name))) continue;
      await cp(join(javaHome, 'lib', name), join(home, 'lib', name), {
        recursive: true,
        dereference: true,
      });
    }
    const libraries = (await readdir(join(home, 'lib')))
      .filter((name) => name.endsWith('.so'))
      .map((name) => join(javaHome, 'lib', name));
    await copySharedLibraries(root, [java, join(javaHome, 'lib/server/libjvm.so'), ...libraries]);
    await writeCommonFiles(root);
    await mkdir(join(root, 'usr/bin'), { recursive: true });
    await symlink(`${javaHome}/bin/java`, join(root, 'usr/bin/java'));
    return {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', JAVA_HOME: javaHome },
      entrypoint: [],
      standsInFor: `a JRE 17 image such as eclipse-temurin:17-jre (Debian OpenJDK ${javaVersion})`,
    };
  });
  return { image: jreImage, javaVersion, rebuilt };
}

if (import.meta.main) {
  const detection = await detectEngine();
  if (!detection.ok) throw new Error(detection.reason);
  console.log(JSON.stringify(await makeJreImage(detection.engine), null, 2));
}
