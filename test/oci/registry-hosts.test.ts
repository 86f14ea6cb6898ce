import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRegistryHosts } from '../../src/oci/registry-hosts.ts';

describe('parseRegistryHosts', () => {
  it('reads host:port items, normalised as references are, ignoring empty items', () => {
    assert.deepEqual(
      [...parseRegistryHosts(' Registry.Internal:5000 ,,[::1]:5000,localhost,')],
      ['registry.internal:5000', '[::1]:5000', 'localhost'],
    );
  });

  it('refuses a scheme, a bad item or nothing at all, naming the item', () => {
    assert.throws(
      () => parseRegistryHosts('http://reg:5000'),
      /without a scheme, got "http:\/\/reg:5000"/,
    );
    assert.throws(
      () => parseRegistryHosts('reg:5000,reg:x'),
      /^InvalidValueError: "reg:x": expected a registry port/,
    );
    assert.throws(() => parseRegistryHosts(' , '), /one or more registries/);
  });

  it('keeps the order written and drops a repeated registry', () => {
    assert.deepEqual([...parseRegistryHosts('b:5000,a:5000,B:5000')], ['b:5000', 'a:5000']);
  });
});
