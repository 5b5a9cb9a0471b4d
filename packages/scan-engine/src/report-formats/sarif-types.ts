// The SARIF 2.1.0 shapes both the report's findings (sarif.ts) and its trust records (sarif-trust.ts) are written as.
export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription?: { text: string };
  helpUri?: string;
  defaultConfiguration: { level: SarifLevel };
  properties: { tags: string[]; 'security-severity'?: string; [k: string]: unknown };
}

export interface SarifLocation {
  physicalLocation?: { artifactLocation: { uri: string; uriBaseId: 'ROOTFS' }; region?: { startLine: number } };
  logicalLocations?: { name: string; fullyQualifiedName?: string; kind: string }[];
  properties?: { layerDigest: string };
}
