// Where the console's static files are: served by the policy service from this directory (no
// CDN, so the console works air-gapped).
import { fileURLToPath } from 'node:url';

export const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));
