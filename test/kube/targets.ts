// Where the @assay/kube tests run: always against the Kubernetes API stand-in; in addition
// against a real API server when KUBE_API_URL is set (KUBE_TOKEN: bearer token, KUBE_CA_FILE: its
// CA). The real server must have Assay's CRDs applied (the assay.dev resources the tests write).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KubeConnection, ResourceRef } from '@assay/kube';
import { KubeApiStandin } from '../support/kube-apiserver-standin.ts';

export interface Target {
  kind: string;
  connection: KubeConnection;
  /** Only the stand-in can drop watches, expire versions and send bookmarks on demand. */
  standin?: KubeApiStandin;
  close(): Promise<void>;
}

export const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
export const RUNTIME_POLICIES: ResourceRef = { group: 'assay.dev', version: 'v1', plural: 'runtimepolicies', namespaced: false };
export const POLICY_EXCEPTIONS: ResourceRef = { group: 'assay.dev', version: 'v1', plural: 'policyexceptions', namespaced: true };

/** A schema the stand-in validates runtime policies with (the 422 test). */
export const RUNTIME_POLICY_SCHEMA = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['action'],
      properties: { action: { type: 'string', enum: ['deny', 'warn', 'audit'] }, images: { type: 'array', items: { type: 'string' } } },
    },
  },
};

export const targets: Array<{ kind: string; make(): Promise<Target> }> = [
  {
    kind: 'stand-in',
    async make() {
      const token = randomBytes(16).toString('hex');
      const standin = await KubeApiStandin.start({ token, crdSchemas: { runtimepolicies: RUNTIME_POLICY_SCHEMA } });
      return { kind: 'stand-in', connection: { url: standin.url, token }, standin, close: () => standin.close() };
    },
  },
];
if (process.env.KUBE_API_URL) {
  targets.push({
    kind: 'real API server',
    async make() {
      const ca = process.env.KUBE_CA_FILE ? readFileSync(process.env.KUBE_CA_FILE, 'utf8') : undefined;
      return {
        kind: 'real API server',
        connection: { url: process.env.KUBE_API_URL!.replace(/\/+$/, ''), token: process.env.KUBE_TOKEN, ca },
        close: async () => {},
      };
    },
  });
}

/** A short unique name prefix, so runs against a shared real cluster do not collide. */
export const uniquePrefix = (what: string) => `assay-${what}-${randomBytes(3).toString('hex')}`;
