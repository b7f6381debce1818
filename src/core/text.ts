/** How checks word and bound what they say, in the core and in every engine's adapter. */

/** Longest message a check keeps: the whole drill state must fit in Step Functions' 256 KiB. */
export const MAX_MESSAGE_CHARS = 1_000;

export const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export const errorText = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

/** `text`, cut to at most `max` characters ending in an ellipsis when too long. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  // Never leave half a surrogate pair at the end.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
