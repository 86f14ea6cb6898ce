import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authFileLocation } from '../../src/config/registry-settings.ts';

describe('authFileLocation', () => {
  const names = 'LOADER_REGISTRY_AUTH_FILE (or --registry-auth-file)';

  it('takes the auth-file setting first, then $DOCKER_CONFIG/config.json, else none', () => {
    assert.deepEqual(authFileLocation({ path: '/s/c.json', names }, { DOCKER_CONFIG: '/d' }), {
      path: '/s/c.json',
      source: `${names} (/s/c.json)`,
    });
    assert.deepEqual(authFileLocation({ path: '', names }, { DOCKER_CONFIG: '/d' }), {
      path: '/d/config.json',
      source: 'DOCKER_CONFIG (/d/config.json)',
    });
    assert.equal(authFileLocation({ path: undefined, names }, { DOCKER_CONFIG: '' }), undefined);
    assert.equal(authFileLocation({ path: undefined, names }, {}), undefined);
  });
});
