/**
 * Name tables (`FREES[calleeName]`, `FIELD_SOURCES[field]`, …) without `Object.prototype` behind them: a C
 * identifier can be `constructor`, `toString` or `__proto__`, and a plain object literal answers those with its
 * inherited members (a finding once read "Use function toString() { [native code] }").
 */
export function lookupTable<T>(entries: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

/** `text` as a regular expression that matches it literally (C++ names hold `(`, `*`, `:` and friends). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The index of the first value greater than `value` in ascending `values` (`values.length` when there is none). */
export function firstAbove(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (values[mid] <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}
