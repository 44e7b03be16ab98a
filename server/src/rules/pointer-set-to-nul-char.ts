/**
 * Flags `p = '\0'` where p is a pointer: the character constant is a null pointer constant, so the pointer is set
 * to NULL instead of terminating the string it points to (`*p = '\0'` was meant). The string stays unterminated and
 * the next use of p dereferences NULL.
 */
import { findDeclaration } from '../analysis/declarations';
import { unwrap } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';

/**
 * Pointer typedefs of the Windows headers a string terminator is written through (PCHAR, PWSTR, LPSTR, PUCHAR, PVOID…).
 * A P-named type outside this list may be an enum or a structure (POOL_TYPE, PHYSICAL_ADDRESS, a driver's PARSE_STATE),
 * so only an explicit `*` declarator counts for those.
 */
const POINTER_TYPEDEF = /^(P|LP|PC|LPC|NP)(CHAR|UCHAR|WCHAR|TCHAR|CH|WCH|STR|WSTR|TSTR|USTR|SZ|ZZSTR|ZZWSTR|NZCH|NZWCH|BYTE|UINT8|INT8|BOOLEAN|VOID|USHORT|SHORT|ULONG|LONG|CCH|CWCH)$/;

export const rule: Rule = {
  meta: {
    id: 'pointer-set-to-nul-char',
    title: "Pointer assigned '\\0' instead of the character it points to",
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: "A pointer variable is assigned the character constant '\\0' (`p = '\\0'`), which sets the pointer to NULL; the string terminator `*p = '\\0'` was meant.",
    rationale: "In C '\\0' is an integer constant zero, which converts silently to a null pointer. The assignment leaves the string unterminated — a later copy or print reads past its end into adjacent pool — and turns the pointer into NULL, so the next write through it bug-checks. Compilers accept it without a warning at the default level.",
    cwe: ['CWE-480', 'CWE-170'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/devtest/28730-possible-null-character-assignment', 'https://cwe.mitre.org/data/definitions/480.html'],
    confidence: 'high',
    messages: {
      nulToPointer: "`{{name}}` is a pointer ({{type}}): `{{name}} = {{literal}}` sets it to NULL instead of terminating the string. Write `*{{name}} = {{literal}}`.",
    },
    fixable: true,
    examples: {
      bad: "PCHAR end = buffer + length - 1;\nend = '\\0';",
      good: "PCHAR end = buffer + length - 1;\n*end = '\\0';",
    },
  },
  create(context) {
    const { file } = context;
    return {
      assignment_expression(assignment) {
        if (assignment.childForFieldName('operator')?.text !== '=') return;
        const right = unwrap(assignment.childForFieldName('right'));
        if (right?.type !== 'char_literal' || !/^[LuU]?'\\0+'$/.test(right.text)) return;
        const left = unwrap(assignment.childForFieldName('left'));
        if (left?.type !== 'identifier') return;
        const declaration = findDeclaration(file, file.enclosingFunction(assignment), left.text);
        if (!declaration || declaration.isArray) return;
        const type = declaration.typeText.trim();
        const pointerDeclarator = declaration.declarator.text.replace(/=.*$/s, '').trim().startsWith('*');
        if (!pointerDeclarator && !POINTER_TYPEDEF.test(type)) return;
        context.report({
          node: assignment,
          messageId: 'nulToPointer',
          data: { name: left.text, type: pointerDeclarator ? `${type} *` : type, literal: right.text },
          fix: { title: `Write through the pointer (*${left.text} = ${right.text})`, edits: [fixer.insertBefore(left, '*')] },
        });
      },
    };
  },
};
