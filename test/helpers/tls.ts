/**
 * A throw-away self-signed certificate for loopback HTTPS servers in tests.
 */
import { generateSelfSignedCert } from '../../simulator/cert.js';

export interface TestCert {
  certPem: string;
  keyPem: string;
}

/**
 * A P-256 certificate for `hosts` (default: `localhost` and `127.0.0.1`), valid two days. It is
 * its own CA, so it can be given as `ca` or in NODE_EXTRA_CA_CERTS.
 *
 * Async so a slower generator (the openssl CLI, used before simulator/cert.ts existed) could
 * stand behind it without touching the tests.
 */
export function makeTestCert(hosts: string[] = ['localhost', '127.0.0.1']): Promise<TestCert> {
  return Promise.resolve(generateSelfSignedCert({ hosts, days: 2 }));
}
