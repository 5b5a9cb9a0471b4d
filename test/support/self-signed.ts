// A self-signed certificate for a test server on this machine (CN and SAN localhost and
// 127.0.0.1, one day), made with the openssl CLI into `dir`: its key and certificate files. The
// certificate is its own CA, so clients trust it by naming it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function selfSignedLocalhost(dir: string): { key: string; cert: string } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { key, cert };
}
