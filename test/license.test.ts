// The project's own licence: LICENSE at the root is the text of the licence that
// package.json declares, and the image's licences label says the same.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

const read = (file: string) => readFile(new URL(`../${file}`, import.meta.url), 'utf8');

/** How each licence's own text begins, for the licences this project could declare. */
const headings: Record<string, RegExp> = {
  'Apache-2.0': /^\s*Apache License\s+Version 2\.0, January 2004\s/,
  MIT: /^\s*MIT License\s/,
};

describe('LICENSE', () => {
  it("is the text of package.json's licence, and the Dockerfile's label names it", async () => {
    const { license } = JSON.parse(await read('package.json')) as { license: string };
    const heading = headings[license];
    assert.ok(heading !== undefined, `no known text for package.json's licence ${license}`);
    const text = await read('LICENSE');
    assert.match(text, heading);
    if (license === 'Apache-2.0') {
      assert.match(text, /TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
      assert.match(text, /END OF TERMS AND CONDITIONS/);
    }
    const dockerfile = await read('Dockerfile');
    assert.match(dockerfile, new RegExp(`org\\.opencontainers\\.image\\.licenses="${license}"`));
  });
});
