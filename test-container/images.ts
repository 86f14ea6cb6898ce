// The images every container test uses, under the one name that README, deploy/
// examples and tests share. LOADER_IMAGE overrides the loader's name (APP_IMAGE the
// JVM app's, see scripts/make-jre-image.ts).
//
// The loader image under test comes from one of two places:
//   LOADER_IMAGE_REF set   pulled from its registry by that reference (a digest, as
//                          .ci/run passes the one scripts/release-image.ts pushed): the
//                          image as users receive it. LOADER_IMAGE_PLATFORM (default:
//                          this machine's) is the platform it must be, checked after the
//                          pull; a loopback registry is reached over plain HTTP.
//   unset                  built here from the Dockerfile on local base images (a
//                          developer's `npm run test:container`).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Engine, expectSuccess } from '../scripts/engine.ts';
import { makeBaseImages } from '../scripts/make-base-image.ts';
import { makeJreImage } from '../scripts/make-jre-image.ts';
import { hostArch } from '../scripts/node-for-arch.ts';
import { buildImage, repoRoot } from './image-build.ts';

/** The name in README.md and deploy/: the image the project's release pipeline pushes. */
export const publishedImageName = 'registry.example.com/runtime-loader';

const pullTimeoutMs = 300_000;

export async function packageVersion(): Promise<string> {
  const text = await readFile(join(repoRoot, 'package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** `registry.example.com/runtime-loader:<package version>`, unless LOADER_IMAGE says otherwise. */
export async function loaderImageName(): Promise<string> {
  return process.env.LOADER_IMAGE || `${publishedImageName}:${await packageVersion()}`;
}

/** The reference of a published image to test (LOADER_IMAGE_REF), if one was given. */
export const publishedReference: string | undefined = process.env.LOADER_IMAGE_REF || undefined;

/** The platform the image under test must be: LOADER_IMAGE_PLATFORM, or this machine's. */
export const platformUnderTest: string = process.env.LOADER_IMAGE_PLATFORM || `linux/${hostArch()}`;

/** True when the image under test is not this machine's architecture (it runs under qemu). */
export const emulated = platformUnderTest !== `linux/${hostArch()}`;

export interface LoaderImage {
  /** What `run` is given: the published reference, or the local build's name. */
  readonly image: string;
  readonly fromRegistry: boolean;
  readonly log: string;
}

/** Pulls LOADER_IMAGE_REF when set, builds the loader image here otherwise. */
export async function prepareLoaderImage(engine: Engine): Promise<LoaderImage> {
  const started = performance.now();
  if (publishedReference !== undefined) {
    await pullPublished(engine, publishedReference);
    return {
      image: publishedReference,
      fromRegistry: true,
      log: `${engine.name}: pulled ${publishedReference} (${platformUnderTest}) in ${Math.round(performance.now() - started)} ms`,
    };
  }
  const image = await loaderImageName();
  const bases = await makeBaseImages(engine);
  const { durationMs } = await buildImage(engine, {
    tag: image,
    bases,
    version: await packageVersion(),
  });
  return {
    image,
    fromRegistry: false,
    log: `${engine.name}: base images ${bases.rebuilt.length === 0 ? 'reused' : `built (${bases.rebuilt.join(', ')})`}, ${image} built in ${durationMs} ms`,
  };
}

/**
 * Pulls `reference` and checks that what the engine now has under it is the platform
 * under test (an index pulled on this machine gives this machine's platform).
 */
async function pullPublished(engine: Engine, reference: string): Promise<void> {
  const plainHttp = isLoopbackRegistry(reference);
  // Docker reaches a registry on 127.0.0.0/8 over plain HTTP by default; podman is told.
  const tls = engine.name === 'podman' && plainHttp ? ['--tls-verify=false'] : [];
  expectSuccess(
    await engine.exec(['pull', ...tls, reference], { timeoutMs: pullTimeoutMs }),
    `${engine.name} pull ${reference}`,
  );
  const platform = expectSuccess(
    await engine.exec(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', reference]),
    `${engine.name} image inspect ${reference}`,
  ).trim();
  if (platform !== platformUnderTest) {
    throw new Error(
      `${reference} is ${platform} on ${engine.name}, expected ${platformUnderTest} (LOADER_IMAGE_PLATFORM): for another platform, pass the digest of its manifest in the index`,
    );
  }
}

export function isLoopbackRegistry(reference: string): boolean {
  const host = reference.split('/')[0] ?? '';
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(host);
}

export interface TestImages {
  readonly loaderImage: string;
  readonly appImage: string;
  readonly log: string;
}

/** The loader image under test (pulled or built) and the JRE image, on `engine`. */
export async function prepareImages(engine: Engine): Promise<TestImages> {
  const started = performance.now();
  const loader = await prepareLoaderImage(engine);
  const jre = await makeJreImage(engine);
  return {
    loaderImage: loader.image,
    appImage: jre.image,
    log: `${loader.log}; ${jre.image} (OpenJDK ${jre.javaVersion}) ${jre.rebuilt ? 'built' : 'reused'}; ${Math.round(performance.now() - started)} ms in all`,
  };
}
