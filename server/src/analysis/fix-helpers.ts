/** Code snippets that quick fixes insert, shaped to the function they land in. */
import type { FunctionInfo } from './source-file';

/**
 * The statement that leaves the function with a failure status: `return STATUS_X;` in NTSTATUS routines,
 * `WdfRequestComplete(Request, STATUS_X); return;` in KMDF callbacks (which return VOID).
 */
export function failureExit(fn: FunctionInfo | undefined, status: string): string {
  if (!fn || !/^\s*(VOID|void)\s*$/.test(fn.returnType)) return `return ${status};`;
  const request = fn.params.find((param) => param.type === 'WDFREQUEST');
  return request ? `WdfRequestComplete(${request.name}, ${status}); return;` : 'return;';
}

/** `if (condition) { exit }` on its own line before a statement, indented like it. */
export function guardBefore(indent: string, eol: string, condition: string, exit: string): string {
  return `if (${condition}) {${eol}${indent}    ${exit}${eol}${indent}}${eol}${indent}`;
}
