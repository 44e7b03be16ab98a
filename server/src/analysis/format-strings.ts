/** printf-style kernel routines (DbgPrint, KdPrint, RtlStringCch*Printf*): where the format is and which arguments it reads as strings. */
import { callArguments, unwrap, type Node, typeOf } from './query';
import { lookupTable } from './lookup';

/** Format argument index, and whether the format is a wide string. Double-parenthesized macros count inside. */
export interface Formatter {
  index: number;
  wide: boolean;
  /** KdPrint((fmt, …)) and KdPrintEx((…, fmt, …)): the arguments are one parenthesized comma expression. */
  doubleParen?: boolean;
}

export const FORMATTERS: Record<string, Formatter> = lookupTable({
  DbgPrint: { index: 0, wide: false },
  DbgPrintEx: { index: 2, wide: false },
  vDbgPrintEx: { index: 2, wide: false },
  vDbgPrintExWithPrefix: { index: 3, wide: false },
  KdPrint: { index: 0, wide: false, doubleParen: true },
  KdPrintEx: { index: 2, wide: false, doubleParen: true },
});
for (const unit of ['Cch', 'Cb']) {
  for (const [suffix, wide] of [['A', false], ['W', true]] as const) {
    FORMATTERS[`RtlString${unit}Printf${suffix}`] = { index: 2, wide };
    FORMATTERS[`RtlString${unit}VPrintf${suffix}`] = { index: 2, wide };
    FORMATTERS[`RtlString${unit}PrintfEx${suffix}`] = { index: 5, wide };
    FORMATTERS[`RtlString${unit}VPrintfEx${suffix}`] = { index: 5, wide };
  }
}

export const WIDE_TYPES = /^(PWCHAR|PWSTR|PWCH|LPWSTR|PCWSTR|LPCWSTR|PCWCH|PCWCHAR|WCHAR|wchar_t)$/;
export const NARROW_TYPES = /^(PCHAR|PSTR|PCH|LPSTR|PCSTR|LPCSTR|PCCH|PUCHAR|CHAR|char|UCHAR)$/;

/** The format argument of a call, looking inside `((…))` for the KdPrint macros. */
export function formatArgument(call: Node, formatter: Formatter): Node | undefined {
  return formatterArguments(call, formatter)[formatter.index];
}

/** Unpacked `KdPrint((…))` arguments per call node (two rules read them for every such call). */
const unpackedArguments = new WeakMap<Node, readonly Node[]>();

/** All arguments of a formatter call after unpacking `KdPrint((…))`. */
export function formatterArguments(call: Node, formatter: Formatter): readonly Node[] {
  if (!formatter.doubleParen) return callArguments(call);
  let parts = unpackedArguments.get(call);
  if (!parts) {
    parts = Object.freeze(unpackParenthesized(callArguments(call)));
    unpackedArguments.set(call, parts);
  }
  return parts;
}

function unpackParenthesized(args: readonly Node[]): Node[] {
  if (args.length !== 1 || args[0].type !== 'parenthesized_expression') return [];
  const parts: Node[] = [];
  let current: Node | null = args[0].namedChild(0);
  while (current?.type === 'comma_expression') {
    const left = current.childForFieldName('left');
    if (left) parts.push(left);
    current = current.childForFieldName('right');
  }
  if (current) parts.push(current);
  return parts;
}

const CONVERSION = /%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|I64|I32|I|w|z|j|t|L)?([a-zA-Z%])/g;

/**
 * The arguments a literal format reads as NUL-terminated strings (`%s`, `%ws`, `%S`, `%ls`, `%hs`) without a
 * precision; `%.*s` and `%.20s` are bounded and left out. Undefined when the format is not a literal.
 */
export function unboundedStringArguments(call: Node, formatter: Formatter): Node[] | undefined {
  const args = formatterArguments(call, formatter);
  const format = unwrap(args[formatter.index]);
  const formatType = format && typeOf(format);
  if (!format || (formatType !== 'string_literal' && formatType !== 'concatenated_string')) return undefined;
  // va_list variants take no variadic arguments to inspect.
  if (/VPrintf|^vDbg/.test(call.childForFieldName('function')?.text ?? '')) return [];
  const text = format.text.replace(/^L?"|"$/g, '').replace(/"\s*L?"/g, '');
  const result: Node[] = [];
  let next = formatter.index + 1;
  for (const match of text.matchAll(CONVERSION)) {
    const [, , width, precision, , conversion] = match;
    if (conversion === '%') continue;
    if (width === '*') next++;
    if (precision === '*') next++;
    if ((conversion === 's' || conversion === 'S') && precision === undefined && args[next]) result.push(args[next]);
    next++;
  }
  return result;
}
