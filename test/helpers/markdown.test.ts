// GitHub's anchor rules and what counts as a heading or a link.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anchors, codeBlocks, headings, links, slug } from './markdown.ts';

describe('markdown', () => {
  it('makes anchors as GitHub does', () => {
    assert.equal(slug('The contract'), 'the-contract');
    assert.equal(
      slug('Settings: values, typos and the command line'),
      'settings-values-typos-and-the-command-line',
    );
    assert.equal(
      slug('`oci://` from a registry and a pull-through mirror'),
      'oci-from-a-registry-and-a-pull-through-mirror',
    );
    assert.equal(slug("A publisher signature's cost"), 'a-publisher-signatures-cost');
    assert.equal(slug('Why distroless Node 24'), 'why-distroless-node-24');
    assert.equal(slug('_Emphasis_ stays text'), 'emphasis-stays-text');
    assert.equal(
      slug('**Bold** and [a link](x.md) and LOADER_OCI_FILE'),
      'bold-and-a-link-and-loader_oci_file',
    );
    assert.equal(
      slug('Many replicas at once, and the per-replica floor'),
      'many-replicas-at-once-and-the-per-replica-floor',
    );
  });

  it('numbers repeated headings -1, -2', () => {
    const text = '# Top\n## Details\n## Details\n### Details\n## Details-1\n';
    assert.deepEqual(
      [...anchors(text)],
      ['top', 'details', 'details-1', 'details-2', 'details-1-1'],
    );
  });

  it('takes no heading or link from code', () => {
    const text = [
      '## Real [link](a.md)',
      '```yaml',
      '# not a heading [nor](b.md)',
      '```',
      'text `[code](c.md)` and [d](d.md#x "title") and ![img](e.png)',
      '[ref]: f.md',
    ].join('\n');
    assert.deepEqual(
      headings(text).map((heading) => heading.text),
      ['Real [link](a.md)'],
    );
    assert.deepEqual(
      links(text).map((link) => `${link.line}:${link.target}`),
      ['1:a.md', '5:d.md#x', '5:e.png', '6:f.md'],
    );
    assert.deepEqual(codeBlocks(text), [
      { info: 'yaml', body: '# not a heading [nor](b.md)', line: 2 },
    ]);
  });

  it('closes a block only on a bare fence, for headings and links as for code blocks', () => {
    const text = ['```', '```yaml', '# still code [nor](b.md)', '```', '# Heading'].join('\n');
    assert.deepEqual(
      headings(text).map((heading) => heading.text),
      ['Heading'],
    );
    assert.deepEqual(links(text), []);
    assert.deepEqual(codeBlocks(text), [
      { info: '', body: '```yaml\n# still code [nor](b.md)', line: 1 },
    ]);
  });
});
