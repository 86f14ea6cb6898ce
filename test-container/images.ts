// The images every container test uses, under the one name that README, deploy/
// examples and tests share. LOADER_IMAGE overrides the loader's name (APP_IMAGE the
// JVM app's, see scripts/make-jre-image.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from '../scripts/engine.ts';
import { makeBaseImages } from '../scripts/make-base-image.ts';
import { makeJreImage } from '../scripts/make-jre-image.ts';
import { buildImage, repoRoot } from './image-build.ts';

/** The name in README.md and deploy/: the image the project's release pipeline pushes. */
export const publishedImageName = 'registry.example.com/runtime-loader';

export async function packageVersion(): Promise<string> {
  const text = await readFile(join(repoRoot, 'package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** `registry.example.com/runtime-loader:<package version>`, unless LOADER_IMAGE says otherwise. */
export async function loaderImageName(): Promise<string> {
  return process.env.LOADER_IMAGE || `${publishedImageName}:${await packageVersion()}`;
}

export interface TestImages {
  readonly loaderImage: string;
  readonly appImage: string;
  readonly log: string;
}

/** Builds (or reuses from the layer cache) the loader image and the JRE image on `engine`. */
export async function prepareImages(engine: Engine): Promise<TestImages> {
  const started = performance.now();
  const version = await packageVersion();
  const loaderImage = await loaderImageName();
  const bases = await makeBaseImages(engine);
  const { durationMs } = await buildImage(engine, { tag: loaderImage, bases, version });
  const jre = await makeJreImage(engine);
  return {
    loaderImage,
    appImage: jre.image,
    log: `${engine.name}: ${loaderImage} built in ${durationMs} ms, ${jre.image} (OpenJDK ${jre.javaVersion}) ${jre.rebuilt ? 'built' : 'reused'}; ${Math.round(performance.now() - started)} ms in all`,
  };
}
