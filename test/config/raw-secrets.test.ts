import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registerRawSecrets } from '../../src/config/raw-secrets.ts';
import { Redactor } from '../../src/log/redact.ts';

describe('registerRawSecrets', () => {
  it('knows the URL from the variable or either form of --url, and the proxies’ credentials', () => {
    const redactor = new Redactor();
    registerRawSecrets(
      redactor,
      ['--url', 'https://h/a.jar?sig=FLAGSIGNATURE1', '--url=https://h/b.jar?sig=FLAGSIGNATURE2'],
      {
        ARTIFACT_URL: 'ENVSECRETVALUE0001',
        https_proxy: 'http://agent:lowerproxysecret@proxy:3128',
        HTTP_PROXY: 'http://agent:upperproxysecret@proxy:3128',
      },
    );
    const scrubbed = redactor.scrub(
      'FLAGSIGNATURE1 FLAGSIGNATURE2 ENVSECRETVALUE0001 lowerproxysecret upperproxysecret kept',
    );
    for (const secret of [
      'FLAGSIGNATURE1',
      'FLAGSIGNATURE2',
      'ENVSECRETVALUE0001',
      'lowerproxysecret',
      'upperproxysecret',
    ])
      assert.doesNotMatch(scrubbed, new RegExp(secret));
    assert.match(scrubbed, /kept$/);
  });

  it('knows the signature URL from ARTIFACT_SIGNATURE_URL or either form of --signature-url, even unparsable', () => {
    const redactor = new Redactor();
    registerRawSecrets(
      redactor,
      [
        '--signature-url',
        'https://h/a.jar.minisig?sig=SIGFLAGSECRET01',
        '--signature-url=https://h/b.jar.sig?X-Amz-Signature=SIGFLAGSECRET02',
      ],
      { ARTIFACT_SIGNATURE_URL: 'SIGENVSECRET0003' },
    );
    const scrubbed = redactor.scrub('SIGFLAGSECRET01 SIGFLAGSECRET02 SIGENVSECRET0003 kept');
    assert.equal(scrubbed, '[redacted] [redacted] [redacted] kept');
  });
});
