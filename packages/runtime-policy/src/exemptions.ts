// Which exemption of a runtime policy applies to an image in a namespace: the same rule
// decideAdmission applies (namespace first, then the image by name or repository), naming the
// pattern that matched, so admission can audit every use of one.
import type { RuntimePolicy } from '@assay/domain';
import { globMatch } from './globs.ts';
import { imageName } from './scope.ts';

export interface ExemptionUse {
  kind: 'namespace' | 'image';
  /** The exemption pattern that matched. */
  pattern: string;
}

export function exemptionFor(
  policy: Pick<RuntimePolicy, 'exemptions'>,
  namespace: string,
  image: { registry: string; repository: string },
): ExemptionUse | undefined {
  const ex = policy.exemptions;
  if (!ex) return undefined;
  const ns = ex.namespaces?.find((p) => globMatch(p, namespace));
  if (ns !== undefined) return { kind: 'namespace', pattern: ns };
  if (!ex.images || ex.images.length === 0) return undefined;
  const name = imageName(image);
  const img = ex.images.find((p) => globMatch(p, name) || globMatch(p, image.repository));
  return img !== undefined ? { kind: 'image', pattern: img } : undefined;
}
