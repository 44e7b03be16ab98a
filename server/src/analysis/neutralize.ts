import { changedSpan, firstAbove, lookupTable } from './lookup';
/**
 * Driver code is full of SAL annotations (`_In_`, `_Inout_updates_bytes_(n)`, `__drv_maxIRQL(2)`) and
 * calling-convention macros (`NTAPI`) that tree-sitter's C grammar does not know. Parsing them as written
 * produces ERROR nodes around every function signature. We replace each such token (with its argument list)
 * by spaces of the same length, keeping line breaks, so every byte offset and position stays the same.
 */

/** First word of SAL 2 annotation names: `_In_`, `_Out_writes_bytes_`, `_IRQL_requires_max_`, … */
const SAL_FIRST_WORDS = new Set([
  'In', 'Out', 'Inout', 'Outptr', 'Outref', 'Ret', 'Deref', 'Pre', 'Post', 'IRQL', 'Must', 'Check',
  'Success', 'Use', 'When', 'At', 'Function', 'Dispatch', 'Requires', 'Acquires', 'Releases', 'Guarded',
  'Field', 'Struct', 'Kernel', 'Interlocked', 'Frees', 'Printf', 'Scanf', 'Null', 'NullNull', 'Reserved',
  'Notnull', 'Maybenull', 'Readable', 'Writable', 'Strict', 'Points', 'Literal', 'Notliteral', 'Const',
  'Always', 'Return', 'Has', 'Satisfies', 'Unchanged', 'Inexpressible', 'On', 'Result', 'Called', 'Enum',
  'Benign', 'No', 'Analysis', 'Allocator', 'Maybe', 'Post', 'Format', 'Create', 'Lock', 'Write', 'Raises',
  'Flt', // filter manager: _Flt_CompletionContext_Outptr_, _Flt_ConnectionCookie_Outptr_
]);

/** SAL 2 annotations that never take arguments: a `(` after them belongs to the code. */
const SAL_WITHOUT_ARGUMENTS = /^_(In|Out|Inout|In_opt|Out_opt|Inout_opt|Use_decl_annotations|Must_inspect_result|Check_return|Ret_maybenull|Ret_notnull|Outptr|Outptr_opt|Reserved|Null_terminated|Notnull|Maybenull|Kernel_float_saved|Kernel_float_restored)_$/;

/** Words that are blanked as a whole, optionally with an argument list (listed in FUNCTION_LIKE). */
const BLANKED_WORDS = new Set([
  'NTAPI', 'WINAPI', 'APIENTRY', 'CALLBACK', 'STDCALL', 'FASTCALL', 'STDMETHODCALLTYPE', '_stdcall', '_cdecl',
  'NTSYSAPI', 'NTSYSCALLAPI', 'NTKERNELAPI', 'NTHALAPI', 'NTSTRSAFEAPI', 'NTSTRSAFEDDI', 'NTSTRSAFEVAPI',
  'DECLSPEC_NOINLINE', 'DECLSPEC_NORETURN', 'DECLSPEC_IMPORT', 'DECLSPEC_EXPORT', 'DECLSPEC_ALIGN',
  'DECLSPEC_CACHEALIGN', 'DECLSPEC_SELECTANY', 'DECLSPEC_NOTHROW', 'DECLSPEC_GUARDNOCF', 'EXTERN_C', 'EXTERN_C_START',
  'EXTERN_C_END', 'FORCEINLINE', 'CFORCEINLINE', 'NOINLINE', 'CODE_SEG', 'INIT_CODE', 'PAGED_CODE_SEG', 'NONPAGED_CODE_SEG',
  'UNALIGNED', '__unaligned', '__ptr32', '__ptr64', '__sptr', '__uptr', 'POINTER_32', 'POINTER_64', '__RPC_FAR',
]);

const FUNCTION_LIKE_WORDS = new Set(['DECLSPEC_ALIGN', 'CODE_SEG', 'WDF_DECLARE_CONTEXT_TYPE', 'WDF_DECLARE_CONTEXT_TYPE_WITH_NAME']);

/**
 * KMDF context declarations expand to a typedef and an accessor function and are written without a trailing `;`,
 * so the grammar glues them to the next declaration. They are only blanked with their argument list.
 */
const BLANKED_ONLY_WITH_ARGUMENTS = new Set(['WDF_DECLARE_CONTEXT_TYPE', 'WDF_DECLARE_CONTEXT_TYPE_WITH_NAME']);

/**
 * Old-style parameter annotations from the DDK (`#define IN`, `OUT`, `OPTIONAL`) and the `CONST` qualifier macro.
 * They are ordinary words, so they are blanked only where they annotate: `IN`, `OUT` and `CONST` directly before a
 * type name (`IN OUT PIRP Irp`), `OPTIONAL` directly before `,` or `)`; never in a preprocessor line that names them.
 */
const ANNOTATION_BEFORE_TYPE = new Set(['IN', 'OUT', 'CONST']);
const ANNOTATION_BEFORE_END = 'OPTIONAL';

const SAL1 = /^__(in|out|inout|deref|checkReturn|success|reserved|nullterminated|nullnullterminated|field|range|bcount|ecount|typefix|callback|format_string|allocator|notnull|maybenull|readonly|override|post|pre|drv)(_[A-Za-z0-9_]*)?$/;

function isIdentifierStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isIdentifierPart(code: number): boolean {
  return isIdentifierStart(code) || (code >= 48 && code <= 57);
}

/** Whether an identifier is an annotation or decoration to blank, and whether it may carry an argument list. */
function classify(word: string): 'no' | 'word' | 'maybe-call' | 'call-only' {
  if (word.length > 2 && word.charCodeAt(0) === 95 && word.charCodeAt(word.length - 1) === 95 && word.charCodeAt(1) !== 95) {
    const first = word.slice(1, word.indexOf('_', 1) === -1 ? undefined : word.indexOf('_', 1));
    if (SAL_FIRST_WORDS.has(first)) return SAL_WITHOUT_ARGUMENTS.test(word) ? 'word' : 'maybe-call';
    return 'no';
  }
  if (BLANKED_ONLY_WITH_ARGUMENTS.has(word)) return 'call-only';
  if (BLANKED_WORDS.has(word)) return FUNCTION_LIKE_WORDS.has(word) ? 'maybe-call' : 'word';
  // Both need a leading `__`: most words (STATUS_SUCCESS, NULL, PIRP) are ruled out without the pattern.
  if (word.charCodeAt(1) === 95 && word.charCodeAt(0) === 95 && (word.startsWith('__drv_') || SAL1.test(word))) return 'maybe-call';
  return 'no';
}

/** Whether the identifier ending at `end` is followed (after spaces or tabs) by another identifier on the same line. */
function followedByIdentifier(source: string, end: number): boolean {
  let next = end;
  while (source.charCodeAt(next) === 32 || source.charCodeAt(next) === 9) next++;
  touch(next);
  return next > end && isIdentifierStart(source.charCodeAt(next));
}

/** Whether the identifier ending at `end` is followed (after any white space) by `,` or `)`. */
function followedByListEnd(source: string, end: number): boolean {
  let next = end;
  while (next < source.length && /\s/.test(source[next])) next++;
  touch(next);
  const code = source.charCodeAt(next);
  return code === 44 || code === 41;
}

/** Whether the word at `start` sits in a preprocessor line (`#define IN`, `#ifdef OPTIONAL`). */
function inPreprocessorLine(source: string, start: number): boolean {
  const lineStart = source.lastIndexOf('\n', start - 1) + 1;
  return /^[ \t]*#/.test(source.slice(lineStart, start));
}

/**
 * C drivers write structured exception handling with the `try` / `except` / `finally` / `leave` macros from
 * <excpt.h> (`#define try __try`, …), which the C grammar does not know. The keywords cannot be rewritten to
 * `__try` without moving offsets, so the statement is kept in equal-length C the grammar does know: `try` becomes
 * blanks (the guarded block stays a block), `except (filter)` becomes `if     (filter)` (the handler runs only
 * sometimes), `finally` becomes blanks and `leave;` becomes `break;` (it leaves the guarded block).
 */
const SEH_REWRITE: Record<string, string> = lookupTable({ except: 'if    ', finally: '       ', leave: 'break' });

/** Index of the `}` that closes the block opening at `open`, skipping comments and literals; -1 when unbalanced. */
function matchingBrace(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const code = source.charCodeAt(i);
    if (code === 47 && source.charCodeAt(i + 1) === 47) {
      const end = source.indexOf('\n', i);
      if (end === -1) return -1;
      i = end;
    } else if (code === 47 && source.charCodeAt(i + 1) === 42) {
      const end = source.indexOf('*/', i + 2);
      if (end === -1) return -1;
      i = end + 1;
    } else if (code === 34 || code === 39) {
      i = skipQuoted(source, i);
    } else if (code === 123) {
      depth++;
    } else if (code === 125 && --depth === 0) {
      return i;
    }
  }
  return -1;
}

/** Index of the next character that is not white space or a comment. */
function skipSpaceAndComments(source: string, from: number): number {
  let i = from;
  for (;;) {
    while (i < source.length && /\s/.test(source[i])) i++;
    if (source.startsWith('//', i)) {
      const end = source.indexOf('\n', i);
      if (end === -1) return source.length;
      i = end;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end === -1) return source.length;
      i = end + 2;
    } else {
      return i;
    }
  }
}

/**
 * Index of the next character that is not white space, a comment or a `#pragma` line: compilers take
 * `#pragma warning(suppress: …)` between a `try` block and its `except` (to silence a warning on the handler).
 */
export function skipToSehHandler(source: string, from: number): number {
  let i = skipSpaceAndComments(source, from);
  while (source.startsWith('#', i) && /^#[ \t]*pragma\b/.test(source.slice(i, i + 16))) {
    let end = source.indexOf('\n', i);
    // A `\` at the end of the line continues the directive.
    while (end !== -1 && /\\\r?$/.test(source.slice(Math.max(i, end - 2), end))) end = source.indexOf('\n', end + 1);
    if (end === -1) return source.length;
    i = skipSpaceAndComments(source, end);
  }
  return i;
}

/**
 * For `try {…} except (…)` / `try {…} finally` written with the macros: the offsets of the words to rewrite (the
 * handler keyword, every `leave;` in the guarded block) and their replacements. Undefined for anything else
 * (a C++ `try {…} catch`, an identifier named `try`).
 */
function sehRewrites(source: string, tryStart: number): Map<number, string> | undefined {
  const open = skipSpaceAndComments(source, tryStart + 3);
  touch(open);
  if (source.charCodeAt(open) !== 123) return undefined;
  const close = matchingBrace(source, open);
  // Unbalanced: the search may have read to the end.
  if (close === -1) touch(source.length);
  if (close === -1) return undefined;
  const handler = skipToSehHandler(source, close + 1);
  touch(handler + 8);
  const keyword = /^(except|finally)\b/.exec(source.slice(handler, handler + 8))?.[1];
  if (!keyword) return undefined;
  const rewrites = new Map<number, string>([[tryStart, '   '], [handler, SEH_REWRITE[keyword]]]);
  for (const match of source.slice(open, close).matchAll(/\bleave\s*;/g)) rewrites.set(open + match.index, SEH_REWRITE.leave);
  return rewrites;
}

/** Index just past the argument list that starts at `open` (a `(`), or -1 when it is unbalanced. */
function skipArguments(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 40) depth++;
    else if (code === 41) {
      depth--;
      if (depth === 0) {
        touch(i);
        return i + 1;
      }
    } else if (code === 34 || code === 39) {
      i = skipQuoted(text, i);
    } else if (code === 59 || code === 123) {
      touch(i);
      return -1; // `;` or `{` inside an annotation's arguments means we misread it
    }
  }
  touch(text.length);
  return -1;
}

function skipQuoted(text: string, start: number): number {
  const quote = text.charCodeAt(start);
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 92) i++;
    else if (code === quote || code === 10) return i;
  }
  return text.length;
}

export interface NeutralizeResult {
  text: string;
  /** How many annotations or decorations were blanked. */
  count: number;
  /** With `keepCheckpoints`: where a later scan of an edited text can start again (see `neutralizeEdit`). */
  checkpoints?: Checkpoints;
}

/**
 * Line starts where the scan was at rest: outside comments and literals, no rewrite pending further on, and nothing
 * before them looked at or past them. From such a line start the rest of the result depends only on the text after
 * it, so the scan of an edited text can start at the last one before the edit and stop at the first one after it
 * where the old scan was at rest too.
 */
export interface Checkpoints {
  offsets: number[];
  /** Blanked annotations before each offset. */
  counts: number[];
}

/** How far the lookaheads of the current scan have read (set through `touch`; the scan is synchronous). */
let reached = 0;

function touch(index: number): void {
  if (index > reached) reached = index;
}

interface ScanResult {
  /** The result from `from` to `stop`, or undefined when nothing there was blanked. */
  pieces: string[] | undefined;
  stop: number;
  count: number;
}

/**
 * Scans `source` from `from` (a line start at rest, or 0) to the end, or to the first checkpoint `stopAt` accepts.
 * Checkpoints passed on the way go to `record`.
 */
function scan(source: string, from: number, countBefore: number, record?: Checkpoints, stopAt?: (offset: number) => boolean): ScanResult {
  let out: string[] | undefined;
  let last = from;
  let count = 0;
  const rewrites = new Map<number, string>();
  reached = 0;
  const length = source.length;
  let i = from;
  while (i < length) {
    const code = source.charCodeAt(i);
    if (code === 47 && source.charCodeAt(i + 1) === 47) {
      const end = source.indexOf('\n', i);
      i = end === -1 ? length : end;
      continue;
    }
    if (code === 47 && source.charCodeAt(i + 1) === 42) {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? length : end + 2;
      continue;
    }
    if (code === 34 || code === 39) {
      i = skipQuoted(source, i) + 1;
      continue;
    }
    if (!isIdentifierStart(code)) {
      i++;
      // (A `try`'s rewrites lie within what its lookahead read, so none is pending past such a line start.)
      if (code === 10 && reached < i) {
        if (stopAt?.(i)) {
          if (out) out.push(source.slice(last, i));
          return { pieces: out, stop: i, count };
        }
        if (record) {
          record.offsets.push(i);
          record.counts.push(countBefore + count);
        }
      }
      continue;
    }
    let end = i + 1;
    while (end < length && isIdentifierPart(source.charCodeAt(end))) end++;
    if (end - i === 3 && source.startsWith('try', i) && !rewrites.has(i)) {
      for (const [at, text] of sehRewrites(source, i) ?? []) rewrites.set(at, text);
    }
    const rewrite = rewrites.size === 0 ? undefined : rewrites.get(i);
    if (rewrite !== undefined) {
      out ??= [];
      out.push(source.slice(last, i), rewrite);
      last = i + rewrite.length;
      count++;
      i = last;
      continue;
    }
    const word = code === 95 || (code >= 65 && code <= 90) ? source.slice(i, end) : '';
    let kind = word ? classify(word) : 'no';
    if (kind === 'no' && (ANNOTATION_BEFORE_TYPE.has(word) || word === ANNOTATION_BEFORE_END) && !inPreprocessorLine(source, i)) {
      kind = (word === ANNOTATION_BEFORE_END ? followedByListEnd(source, end) : followedByIdentifier(source, end)) ? 'word' : 'no';
    }
    if (kind === 'call-only') {
      let next = end;
      while (next < length && (source.charCodeAt(next) === 32 || source.charCodeAt(next) === 9)) next++;
      touch(next);
      const close = source.charCodeAt(next) === 40 && !inPreprocessorLine(source, i) ? skipArguments(source, next) : -1;
      kind = close === -1 ? 'no' : 'maybe-call';
    }
    if (kind !== 'no') {
      let blankEnd = end;
      if (kind === 'maybe-call') {
        let next = end;
        while (next < length && (source.charCodeAt(next) === 32 || source.charCodeAt(next) === 9)) next++;
        touch(next);
        if (source.charCodeAt(next) === 40) {
          const close = skipArguments(source, next);
          if (close !== -1) blankEnd = close;
        }
      }
      out ??= [];
      out.push(source.slice(last, i), blank(source, i, blankEnd));
      last = blankEnd;
      count++;
      end = blankEnd;
    }
    i = end;
  }
  if (out) out.push(source.slice(last));
  return { pieces: out, stop: length, count };
}

/** Returns the text with annotations replaced by equal-length blanks (line breaks kept). */
export function neutralizeAnnotations(source: string, keepCheckpoints = false): NeutralizeResult {
  const checkpoints: Checkpoints | undefined = keepCheckpoints ? { offsets: [], counts: [] } : undefined;
  const { pieces, count } = scan(source, 0, 0, checkpoints);
  return { text: pieces ? pieces.join('') : source, count, ...(checkpoints && { checkpoints }) };
}

/**
 * The result of `neutralizeAnnotations(after, true)`, given that of `before` (with checkpoints): only the text
 * between the checkpoint before the edit and the first one after it where both scans are at rest is scanned again.
 */
export function neutralizeEdit(before: string, previous: NeutralizeResult, after: string): NeutralizeResult {
  const old = previous.checkpoints;
  if (!old) return neutralizeAnnotations(after, true);
  const span = changedSpan(before, after);
  if (!span) return previous;
  const delta = span.newEnd - span.oldEnd;
  // The last checkpoint at or before the edit: the text before it is the same, and so is the scan up to it.
  const kept = firstAbove(old.offsets, span.start);
  const from = kept > 0 ? old.offsets[kept - 1] : 0;
  const countBefore = kept > 0 ? old.counts[kept - 1] : 0;
  const checkpoints: Checkpoints = { offsets: old.offsets.slice(0, kept), counts: old.counts.slice(0, kept) };
  let join = -1;
  const result = scan(after, from, countBefore, checkpoints, (offset) => {
    if (offset < span.newEnd) return false;
    const index = firstAbove(old.offsets, offset - delta) - 1;
    if (index < 0 || old.offsets[index] !== offset - delta) return false;
    join = index;
    return true;
  });
  const middle = result.pieces ? result.pieces.join('') : after.slice(from, result.stop);
  const countAtStop = countBefore + result.count;
  if (join === -1) return { text: previous.text.slice(0, from) + middle, count: countAtStop, checkpoints };
  // From the joining checkpoint on, the old result holds, moved by the edit.
  const shift = countAtStop - old.counts[join];
  for (let index = join; index < old.offsets.length; index++) {
    checkpoints.offsets.push(old.offsets[index] + delta);
    checkpoints.counts.push(old.counts[index] + shift);
  }
  return { text: previous.text.slice(0, from) + middle + previous.text.slice(old.offsets[join]), count: previous.count + shift, checkpoints };
}

function blank(source: string, start: number, end: number): string {
  const slice = source.slice(start, end);
  return /[\r\n]/.test(slice) ? slice.replace(/[^\r\n]/g, ' ') : ' '.repeat(end - start);
}
