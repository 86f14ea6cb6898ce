// The main container's application: a one-class JVM program compiled with javac
// and packed with jar at test time, so phase 2 runs a real JAR on a real JVM.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const appMainClass = 'com.example.hello.Main';
/** What the app prints, followed by how it was started (its arguments). */
export const appGreeting = 'jvm-app started from /app/jars/app.jar';

const source = `package com.example.hello;

public final class Main {
  public static void main(String[] args) {
    String from = Main.class.getProtectionDomain().getCodeSource().getLocation().getPath();
    System.out.println("jvm-app started from " + from + " as " + String.join(" ", args)
        + " (java " + System.getProperty("java.version") + ")");
  }
}
`;

/**
 * Compiles and packs the app. With `sizeBytes`, a stored padding entry makes the
 * JAR exactly that long (so a manifest's fixed ARTIFACT_EXPECTED_SIZE can be met).
 */
export async function buildJvmApp(options: { sizeBytes?: number } = {}): Promise<Buffer> {
  const work = await mkdtemp(join(tmpdir(), 'runtime-loader-jvm-app-'));
  try {
    const sourceDir = join(work, 'src/com/example/hello');
    const classes = join(work, 'classes');
    await mkdir(sourceDir, { recursive: true });
    await writeFile(join(sourceDir, 'Main.java'), source);
    await execFileAsync('javac', ['--release', '17', '-d', classes, join(sourceDir, 'Main.java')]);
    const pack = async (paddingBytes: number): Promise<string> => {
      await writeFile(join(classes, 'padding.bin'), Buffer.alloc(paddingBytes, 0x2a));
      const jar = join(work, 'app.jar');
      await rm(jar, { force: true });
      // Stored (-0) and dated, so the size is a fixed overhead plus the padding.
      await execFileAsync('jar', [
        '--create',
        '--no-compress',
        '--date=2024-01-02T03:04:05Z',
        '--file',
        jar,
        '--main-class',
        appMainClass,
        '-C',
        classes,
        '.',
      ]);
      return jar;
    };
    let jar = await pack(0);
    if (options.sizeBytes !== undefined) {
      const overhead = (await stat(jar)).size;
      jar = await pack(options.sizeBytes - overhead);
      const { size } = await stat(jar);
      if (size !== options.sizeBytes) {
        throw new Error(`padded app.jar is ${size} bytes, wanted ${options.sizeBytes}`);
      }
    }
    return await readFile(jar);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
