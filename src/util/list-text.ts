/**
 * A list for a person to read on one line: the first `max` items, then how many more. A swarm of
 * 20,000 tasks has a ready queue of thousands; `-o json` keeps every item.
 */
export function listShort(items: readonly string[], max = 10): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')}, … and ${items.length - max} more`;
}
