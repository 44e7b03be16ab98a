/**
 * Values computed from a piece of text alone (a function body, say), kept from one analysis of a document to the
 * next: after a keystroke, the functions whose text did not change get theirs without computing them again. A
 * value is found by its kind and the exact text, and `compute` sees only the text, so a kept value cannot depend on
 * anything else. Values are shared between analyses: never mutate one.
 */
export class TextDerivations {
  private readonly values = new Map<string, Map<string, unknown>>();

  constructor(private prior?: TextDerivations) {}

  get<T>(kind: string, text: string, compute: (text: string) => T): T {
    let own = this.values.get(kind);
    if (!own) this.values.set(kind, (own = new Map()));
    if (own.has(text)) return own.get(text) as T;
    const kept = this.prior?.values.get(kind);
    const value = kept?.has(text) ? (kept.get(text) as T) : compute(text);
    own.set(text, value);
    return value;
  }

  /** Forgets the previous analysis's values (the ones this analysis used are its own now), so versions do not chain. */
  seal(): void {
    this.prior = undefined;
  }
}
