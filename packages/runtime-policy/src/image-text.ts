// How a decision names an image to people: the reference as the user wrote it (what they will
// search their manifests for), then the digest that was judged (what the verdict is about). The
// one builder of that text, so a denial, a warning, the CLI and the audit record read alike.

export interface ImageNaming {
  registry: string;
  repository: string;
  tag?: string | undefined;
  /** The manifest digest judged; undefined when a tag could not be resolved. */
  digest?: string | undefined;
  /** The reference as written in the object (`nginx:1.27`); the canonical name when absent. */
  reference?: string | undefined;
}

/**
 * `"nginx:1.27" (sha256:…)`; `"reg.example/app:1" (digest unknown)` for an unresolved tag (never
 * a made-up digest); `"app@sha256:…"` when the reference already shows the digest.
 */
export function referenceText(image: ImageNaming): string {
  const written =
    image.reference ??
    `${image.registry}/${image.repository}${image.tag !== undefined ? `:${image.tag}` : ''}${image.digest !== undefined ? `@${image.digest}` : ''}`;
  const digest = image.digest === undefined ? ' (digest unknown)' : written.endsWith(`@${image.digest}`) ? '' : ` (${image.digest})`;
  return `${JSON.stringify(written)}${digest}`;
}

/** `image "nginx:1.27" (sha256:…)`: the subject of every decision message about one image. */
export function imageText(image: ImageNaming): string {
  return `image ${referenceText(image)}`;
}
