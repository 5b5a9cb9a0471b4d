// Test TLS material made with the openssl CLI: a self-signed CA, a server certificate for
// 127.0.0.1/localhost signed by it, and a client certificate (the API server's) signed by it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../support/tempdir.ts';

export interface TlsFixtures {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** PEM text of the CA certificate, for clients. */
  ca: string;
  /** Issues a fresh server certificate (new key) into the same two files. */
  renewServer(): void;
  remove(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export async function makeTlsFixtures(): Promise<TlsFixtures> {
  const tmp = await makeTempDir('admission-tls');
  const dir = tmp.path;
  const p = (f: string) => join(dir, f);
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=assay-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt'],
    dir,
  );
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  let serial = 1;
  const issue = (name: string, cn: string, ext: string) => {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key.new`, '-out', `${name}.csr`], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-set_serial',
        String(serial++),
        '-days',
        '2',
        '-extfile',
        ext,
        '-out',
        `${name}.crt.new`,
      ],
      dir,
    );
    // Replace both files the way a Secret update does: whole files, one after the other.
    writeFileSync(p(`${name}.key`), readFileSync(p(`${name}.key.new`)));
    writeFileSync(p(`${name}.crt`), readFileSync(p(`${name}.crt.new`)));
  };
  issue('server', 'assay-admission', 'server.ext');
  issue('client', 'kube-apiserver', 'client.ext');
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    ca: readFileSync(p('ca.crt'), 'utf8'),
    renewServer: () => issue('server', 'assay-admission', 'server.ext'),
    remove: () => tmp.remove(),
  };
}
