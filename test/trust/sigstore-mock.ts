// A private Sigstore instance for tests, offline: @sigstore/mock's Fulcio (with its CT log), Rekor
// and timestamp authority behind one local HTTP server, @sigstore/sign's real clients signing
// against it, and the trusted_root.json that names the mock's keys and certificates — what an
// operator of a private Sigstore would hand Assay.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bundleToJSON } from '@sigstore/bundle';
import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
  type HandlerFn,
} from '@sigstore/mock';
import { DSSEBundleBuilder, FulcioSigner, MessageSignatureBundleBuilder, RekorWitness, TSAWitness, type Witness } from '@sigstore/sign';

export interface MockSigstore {
  /** The trusted_root.json for this instance (Fulcio CA, Rekor key, CT log key, TSA chain). */
  trustedRoot: string;
  /** A message-signature bundle (JSON) over `data`. */
  signMessage(data: Buffer, opts?: SignOptions): Promise<unknown>;
  /** A DSSE bundle (JSON) over `payload` of `payloadType`. */
  signDsse(payload: Buffer, payloadType: string, opts?: SignOptions): Promise<unknown>;
  close(): Promise<void>;
}

export interface SignOptions {
  /** Log the signature in the mock Rekor (default true). */
  tlog?: boolean;
  /** Timestamp the signature with the mock TSA (default true). */
  tsa?: boolean;
}

/** The OIDC identity the mock Fulcio certifies: the token's `sub` and `iss` claims. */
export const MOCK_IDENTITY = 'builder@assay.example';
export const MOCK_ISSUER = 'https://oidc.assay.example';

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const b64 = (bytes: ArrayBufferView | ArrayBuffer): string =>
  bytes instanceof ArrayBuffer
    ? Buffer.from(bytes).toString('base64')
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export async function startMockSigstore(): Promise<MockSigstore> {
  // One fixed clock, on a whole second, for every mock service: the mock TSA writes fractional
  // seconds with trailing zeros trimmed ('.12'), which @sigstore/core's time parser refuses. A few
  // seconds ahead: the mock's root certificates are made during initialisation with the real time
  // (their notBefore truncated to the second), and a clock behind them (the second rolled over
  // meanwhile) signs with certificates and timestamps from before their root was valid.
  const clock = new Date((Math.ceil(Date.now() / 1000) + 5) * 1000);
  const ctlog = await initializeCTLog(p256(), clock);
  const ca = await initializeCA(p256(), ctlog, clock);
  const routes = new Map<string, HandlerFn>();
  const server = await listen(routes);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tlog = await initializeTLog(base, p256(), clock);
  const tsa = await initializeTSA(p256(), clock);
  for (const handler of [fulcioHandler(ca), rekorHandler(tlog), tsaHandler(tsa)]) routes.set(handler.path, handler.fn);

  // An unsigned JWT is enough: the mock Fulcio decodes the claims without checking a signature.
  const claims = { sub: MOCK_IDENTITY, iss: MOCK_ISSUER, aud: 'sigstore' };
  const jwt = [{ alg: 'none' }, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.x';
  const signer = new FulcioSigner({ fulcioBaseURL: base, identityProvider: { getToken: async () => jwt } });
  const witnesses = (opts: SignOptions = {}): Witness[] => [
    ...(opts.tlog === false ? [] : [new RekorWitness({ rekorBaseURL: base })]),
    ...(opts.tsa === false ? [] : [new TSAWitness({ tsaBaseURL: base })]),
  ];

  const logKey = (publicKey: ArrayBufferView | ArrayBuffer, logId: ArrayBufferView | ArrayBuffer) => ({
    baseUrl: base,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: b64(publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2000-01-01T00:00:00Z' } },
    logId: { keyId: b64(logId) },
  });
  const trustedRoot = JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logKey(tlog.publicKey, createHash('sha256').update(tlog.publicKey).digest())],
    certificateAuthorities: [
      {
        subject: { organization: 'mock', commonName: 'mock fulcio' },
        uri: base,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start: '2000-01-01T00:00:00Z' },
      },
    ],
    ctlogs: [logKey(ctlog.publicKey, ctlog.logID)],
    timestampAuthorities: [
      {
        subject: { organization: 'mock', commonName: 'mock tsa' },
        uri: base,
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
        validFor: { start: '2000-01-01T00:00:00Z' },
      },
    ],
  });

  return {
    trustedRoot,
    async signMessage(data, opts) {
      const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses: witnesses(opts) }).create({ data });
      return bundleToJSON(bundle);
    },
    async signDsse(payload, payloadType, opts) {
      const bundle = await new DSSEBundleBuilder({ signer, witnesses: witnesses(opts) }).create({ data: payload, type: payloadType });
      return bundleToJSON(bundle);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A local HTTP server answering each POST path with its mock handler. */
function listen(routes: Map<string, HandlerFn>): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const handler = req.method === 'POST' ? routes.get(path) : undefined;
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      handler(Buffer.concat(chunks).toString('utf8')).then(
        ({ statusCode, response, contentType }) => {
          res.writeHead(statusCode, { 'content-type': contentType ?? 'text/plain' });
          res.end(typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength));
        },
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * A keyed Sigstore bundle (a public-key hint, no certificate, no log entry) over `payload`, made
 * by @sigstore/sign's DSSE bundler with a local key: what `cosign attest --key … --new-bundle-format`
 * style signers produce.
 */
export async function signKeyedDsse(payload: Buffer, payloadType: string, hint: string) {
  const { privateKey, publicKey } = p256();
  const signer = {
    sign: async (data: Buffer) => ({
      signature: sign('sha256', data, privateKey),
      key: { $case: 'publicKey' as const, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), hint },
    }),
  };
  const bundle = await new DSSEBundleBuilder({ signer, witnesses: [] }).create({ data: payload, type: payloadType });
  return { bundle: bundleToJSON(bundle), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}
