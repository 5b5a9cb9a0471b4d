// Pagination of `_catalog` and `tags/list`: the next page is named by the `Link` header
// (`<url>; rel="next"`), relative to the request URL.

export function nextLink(header: string | string[] | undefined, base: string): string | undefined {
  if (header === undefined) return undefined;
  const values = Array.isArray(header) ? header : [header];
  for (const value of values) {
    for (const m of value.matchAll(/<([^>]*)>\s*((?:;\s*[^,;]+)*)/g)) {
      const params = m[2] ?? '';
      if (/;\s*rel="?next"?/i.test(params)) return new URL(m[1] ?? '', base).toString();
    }
  }
  return undefined;
}
