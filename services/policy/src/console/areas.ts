// The console's areas, in navigation order; each adds its pages to the router.
import { decisionPages } from './decisions.ts';
import { exceptionPages } from './exceptions.ts';
import { imagePages } from './images.ts';
import { overviewPages } from './overview.ts';
import { policyPages } from './policies.ts';
import { runtimePolicyPages } from './runtime-policies.ts';
import type { ConsoleArea } from './router.ts';

export const consoleAreas: readonly ConsoleArea[] = [
  overviewPages,
  imagePages,
  policyPages,
  runtimePolicyPages,
  exceptionPages,
  decisionPages,
];
