// Bounds on what one layer may cost the scanner. A layer that exceeds one is aborted with a
// LayerLimitError naming the layer and the bound: the scan fails cleanly, memory stays bounded.

export interface LayerLimits {
  /** Most bytes a layer may inflate to (decompression bombs). */
  readonly maxInflatedBytes: number;
  /** Most tar entries in one layer. */
  readonly maxEntries: number;
  /** Longest entry path, in bytes. */
  readonly maxPathLength: number;
  /** Largest file handed to any analyzer (an analyzer's own maxFileSize may be lower). */
  readonly maxFileSize: number;
  /** Bytes of file content group analyzers may hold at once, per layer. */
  readonly maxGroupBytes: number;
  /** Hardlink targets kept (content) per layer, so a hardlink an analyzer wants can be read. */
  readonly maxHardlinkBytes: number;
  /** Largest PAX or GNU long-name header entry (the tar reader holds one whole in memory). */
  readonly maxHeaderBytes: number;
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export const DEFAULT_LIMITS: LayerLimits = {
  maxInflatedBytes: 8 * GiB,
  maxEntries: 1_000_000,
  maxPathLength: 4096,
  maxFileSize: 64 * MiB,
  maxGroupBytes: 256 * MiB,
  maxHardlinkBytes: 16 * MiB,
  maxHeaderBytes: 1 * MiB,
};

export function formatBytes(n: number): string {
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** A layer broke one of the LayerLimits: the scan of its image fails (never retried). */
export class LayerLimitError extends Error {
  readonly layerDigest: string;
  readonly limit: keyof LayerLimits;
  constructor(layerDigest: string, limit: keyof LayerLimits, message: string) {
    super(`LayerLimitError: layer ${layerDigest} ${message}`);
    this.name = 'LayerLimitError';
    this.layerDigest = layerDigest;
    this.limit = limit;
  }
}

/** The layer's bytes are not what the image says they are (diff_id), or not a layer at all. */
export class LayerFormatError extends Error {
  readonly layerDigest: string;
  constructor(layerDigest: string, message: string, options?: { cause?: unknown }) {
    super(`layer ${layerDigest}: ${message}`, options);
    this.name = 'LayerFormatError';
    this.layerDigest = layerDigest;
  }
}
