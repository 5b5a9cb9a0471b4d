// Whether output to a stream gets colour, by the conventions terminals and CI agree on:
// FORCE_COLOR wins (anything but 0/false turns it on), a non-empty NO_COLOR turns it off, else
// colour only on a terminal.
export function useColor(stream: { isTTY?: boolean | undefined }, env: Record<string, string | undefined> = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}
