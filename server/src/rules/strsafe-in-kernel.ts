/**
 * Flags `#include <strsafe.h>` in kernel-mode code: strsafe.h is the user-mode safe string library (StringCb… / StringCch…,
 * built on the user-mode C runtime); the kernel one is ntstrsafe.h (RtlStringCb… / RtlStringCch…, RtlUnicodeString*).
 * A file counts as kernel code only when it includes a kernel header itself (ntddk.h, wdm.h, ntifs.h, fltKernel.h,
 * ndis.h, storport.h, wdmsec.h) and no user-mode one (windows.h, wudfwdm.h — UMDF drivers use strsafe.h rightly), and
 * the include is not inside a conditional that selects a mode or build (`#ifdef _KERNEL_MODE`, `#if !UMDF`, …).
 */
import type { Node } from '../analysis/query';
import { type Rule } from '../analysis/rule';

const KERNEL_HEADER = /^(ntddk|wdm|ntifs|fltkernel|ndis|storport|wdmsec|ntosp)\.h$/i;
const USER_HEADER = /^(windows|wudfwdm|wudfddi|winbase|windef)\.h$/i;
const MODE_CONDITION = /MODE|UMDF|KMDF|USER|WIN32|WINDOWS|WINAPI|NTDDK|WDMDDK|NTIFS/i;
const CONDITIONALS = new Set(['preproc_if', 'preproc_ifdef', 'preproc_elif', 'preproc_elifdef']);

/** The header name of an include (`<strsafe.h>` / `"strsafe.h"` → `strsafe.h`), without directories. */
function headerOf(include: Node): string | undefined {
  const path = include.childForFieldName('path');
  if (!path || (path.type !== 'system_lib_string' && path.type !== 'string_literal')) return undefined;
  return path.text.slice(1, -1).trim().split(/[\\/]/).pop();
}

/** Whether an enclosing #if/#ifdef tests a mode or build macro (then the include may be the user-mode arm). */
function underModeConditional(include: Node): boolean {
  for (let node = include.parent; node; node = node.parent) {
    if (!CONDITIONALS.has(node.type)) continue;
    const condition = node.childForFieldName('condition') ?? node.childForFieldName('name');
    if (condition && MODE_CONDITION.test(condition.text)) return true;
  }
  return false;
}

export const rule: Rule = {
  meta: {
    id: 'strsafe-in-kernel',
    title: 'strsafe.h included in kernel-mode code',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.secure-coding',
    description: 'A kernel-mode source includes strsafe.h, the user-mode safe string header, instead of ntstrsafe.h.',
    rationale: "Microsoft documents ntstrsafe.h as the safe string library for kernel-mode drivers and strsafe.h as the one for applications. strsafe.h's StringCb*/StringCch* routines are built for the user-mode runtime; ntstrsafe.h gives the same checked, always-terminating routines for the kernel (RtlStringCbCopyW, RtlStringCchPrintfW), adds the UNICODE_STRING versions drivers need (RtlUnicodeStringCopy, RtlUnicodeStringPrintf) and documents the IRQL each may be called at (the Unicode and formatting ones at PASSIVE_LEVEL only). A kernel file that pulls in strsafe.h is using string code that was not written or reviewed for kernel mode.",
    cwe: ['CWE-676'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/using-safe-string-functions',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/ntstrsafe/',
    ],
    confidence: 'high',
    messages: {
      strsafe: 'Kernel-mode file (it includes {{kernelHeader}}) includes `{{include}}`, the user-mode string library; include `<ntstrsafe.h>` and use its Rtl* routines{{uses}}.',
    },
    hasSuggestions: true,
    examples: {
      bad: '#include <ntddk.h>\n#include <strsafe.h>\n\nstatus = StringCchCopyW(name, ARRAYSIZE(name), L"Device");',
      good: '#include <ntddk.h>\n#include <ntstrsafe.h>\n\nstatus = RtlStringCchCopyW(name, ARRAYSIZE(name), L"Device");',
    },
  },
  create(context) {
    const { file } = context;
    const includes: Node[] = [];
    return {
      preproc_include(include) {
        includes.push(include);
      },
      onEnd() {
        const headers = includes.map(headerOf);
        if (headers.some((header) => header && USER_HEADER.test(header))) return;
        const kernelHeader = headers.find((header) => header && KERNEL_HEADER.test(header));
        if (!kernelHeader) return;
        const used = [...new Set(Array.from(file.text.matchAll(/\b(String(?:Cb|Cch)\w+)\s*\(/g), (match) => match[1]))];
        const uses = used.length ? ` (this file calls ${used.slice(0, 3).map((name) => `${name} → Rtl${name}`).join(', ')}${used.length > 3 ? ', …' : ''})` : '';
        includes.forEach((include, index) => {
          if (headers[index]?.toLowerCase() !== 'strsafe.h' || underModeConditional(include)) return;
          const path = include.childForFieldName('path')!;
          context.report({
            node: include,
            messageId: 'strsafe',
            data: { kernelHeader, include: path.text, uses },
            suggestions: [{
              title: used.length ? 'Include <ntstrsafe.h> (rename the StringCb*/StringCch* calls to their Rtl* versions)' : 'Include <ntstrsafe.h>',
              edits: [{ start: path.startIndex, end: path.endIndex, text: '<ntstrsafe.h>' }],
            }],
          });
        });
      },
    };
  },
};
