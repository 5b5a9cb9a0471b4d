// Which exceptions cover what. An exception is in force until its expiry; its scope narrows it
// to a policy, a control, a registry, a repository glob, one digest and/or listed items
// (vulnerability ids, package names, rule ids…). Without items it covers the whole control.
import type { PolicyException } from '@assay/domain';
import { globMatch } from './globs.ts';
import { imageName, type ImageScope } from './scope.ts';

export function inForce(e: PolicyException, now: Date): boolean {
  return e.expiresAt.getTime() > now.getTime();
}

/** Whether the exception's image scope (registry, repository, digest) covers the image. */
export function exceptionCoversImage(e: PolicyException, image: ImageScope): boolean {
  const s = e.scope;
  if (s.digest !== undefined && s.digest !== image.digest) return false;
  if (s.registry !== undefined && !globMatch(s.registry, image.registry)) return false;
  if (s.repository !== undefined && !globMatch(s.repository, image.repository) && !globMatch(s.repository, imageName(image))) {
    return false;
  }
  return true;
}

/** The exceptions of `all` in force for this image, policy and control. */
export function exceptionsFor(
  all: readonly PolicyException[],
  image: ImageScope,
  policyId: string,
  control: string,
  now: Date,
): PolicyException[] {
  return all.filter(
    (e) =>
      !e.breakGlass &&
      inForce(e, now) &&
      (e.scope.policyId === undefined || e.scope.policyId === policyId) &&
      (e.scope.control === undefined || e.scope.control === control) &&
      exceptionCoversImage(e, image),
  );
}

/** The exception covering an item (by its name or an alias), if any. */
export function coveringException(
  exceptions: readonly PolicyException[],
  item: string,
  aliases: readonly string[] = [],
): PolicyException | undefined {
  return exceptions.find((e) => !e.scope.items || e.scope.items.some((i) => i === item || aliases.includes(i)));
}
