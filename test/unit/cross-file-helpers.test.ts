import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Analyzer, createAnalyzer, WorkspaceIndex } from '../../server/src/core';
import { calledNames, indexText, pagedFunctionNames } from '../../server/src/analysis/workspace-index';
import { matchesAt, occurrences, pathStartsBefore } from '../../server/src/analysis/lookup';
import { NAMED_PATH_SCANS, PathText, RootOccurrences } from '../../server/src/rules/null-pointer-dereference';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A helper in its own file reads the request's input buffer; its only caller, in another file, checked the length. */
const HELPER = [
  'typedef struct _QUERY { ULONG Kind; } QUERY, *PQUERY;',
  'NTSTATUS',
  'QueryKind(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  '{',
  '    PQUERY query = (PQUERY)Irp->AssociatedIrp.SystemBuffer;',
  '    if (query->Kind == 1) {',
  '        return STATUS_SUCCESS;',
  '    }',
  '    return STATUS_NOT_SUPPORTED;',
  '}',
  '',
].join('\n');

const DISPATCH = [
  'NTSTATUS',
  'Control(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  '{',
  '    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);',
  '    if (irpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(QUERY)) {',
  '        return STATUS_INVALID_PARAMETER;',
  '    }',
  '    return QueryKind(DeviceObject, Irp);',
  '}',
  '',
].join('\n');

describe('helpers called from another file of the driver', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });

  const lengthFindings = (workspace: WorkspaceIndex | undefined) =>
    analyzer.analyze({ text: HELPER, fileName: '/drv/src/helpers.c' }, { workspace }).findings.filter((finding) => finding.ruleId === 'input-length-not-validated');

  it('the index records calls but not the definitions that start a line', () => {
    assert.deepEqual(calledNames(DISPATCH), ['IoGetCurrentIrpStackLocation', 'QueryKind']);
    assert.deepEqual(calledNames(HELPER), []);
  });

  it('the scan for called names answers as the pattern that defines it, on corpus files and random text', () => {
    const reference = (text: string) => {
      const names = new Set<string>();
      for (const match of text.matchAll(/(^|[^\w\n])[ \t]*([A-Za-z_]\w*)\s*\(/g)) {
        if (match.index === 0 && match[1] === '') continue;
        if (!['if', 'while', 'for', 'switch', 'return', 'sizeof', 'do', 'else'].includes(match[2])) names.add(match[2]);
      }
      return [...names].sort();
    };
    const corpus = path.resolve(__dirname, '..', '..', '..', 'test', 'corpus');
    const files = readdirSync(corpus, { recursive: true, encoding: 'utf8' }).filter((name) => /\.(c|h|cpp)$/.test(name));
    assert.ok(files.length > 10);
    for (const name of files) {
      const text = readFileSync(path.join(corpus, name), 'utf8');
      assert.deepEqual(calledNames(text), reference(text), name);
    }
    // Short texts over the characters that matter: blanks, line breaks, parentheses, words, other punctuation.
    const pieces = fc.constantFrom(' ', '\t', '\n', '(', ')', 'f', 'g1', '_x', 'if', '9', '*', ',', ';', '\r');
    fc.assert(fc.property(fc.array(pieces, { maxLength: 24 }), (parts) => {
      const text = parts.join('');
      assert.deepEqual(calledNames(text), reference(text), JSON.stringify(text));
    }), { numRuns: 3000 });
  });

  it('macros and includes are read line by line as splitting the text would, CRLF and continuations included', () => {
    // The definition the scan replaced: split into lines (a CR before the LF dropped), look at lines holding `#`.
    const reference = (text: string) => {
      const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
      const macros: unknown[] = [];
      const includes: string[] = [];
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i].includes('#')) continue;
        const match = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(\(([^)]*)\))?[ \t]*(.*)$/.exec(lines[i]);
        if (!match) {
          const include = /^[ \t]*#[ \t]*include[ \t]*["<]([^">]+)[">]/.exec(lines[i]);
          if (include) includes.push(include[1].trim());
          continue;
        }
        const line = i;
        let body = match[4];
        while (body.endsWith('\\') && i + 1 < lines.length) body = body.slice(0, -1) + ' ' + lines[++i];
        body = body.replace(/\/\/.*$/, '').replace(/\/\*.*?\*\//g, '').trim();
        const params = match[2] === undefined ? undefined : match[3].split(',').map((param) => param.trim()).filter(Boolean);
        macros.push({ name: match[1], params, body, fileName: 'f.h', line });
      }
      return { macros, includes };
    };
    const scanned = (text: string) => {
      const entry = indexText(text, 'f.h');
      return { macros: entry.macros, includes: entry.includes ?? [] };
    };
    const pieces = fc.constantFrom('#define A 1', '#define F(x, y) ((x) + (y))', '# include "a.h"', '#include <b.h>', '#if X', '\\', '\n', '\r\n', '\r', ' ', 'x', '// c', '/* c */', '#');
    fc.assert(fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
      const text = parts.join('');
      assert.deepEqual(scanned(text), reference(text), JSON.stringify(text));
    }), { numRuns: 3000 });
  });

  it('patterns tried only where their literal occurs match as a global scan does', () => {
    const patterns = [/\}\s*([A-Za-z_*][^;{}()]*;)|\btypedef\s+[^;{}()]*\*\s*[A-Za-z_]\w*\s*;/g, /\b(struct|union)\b[^;{}()]*\{/g];
    const needles = [['}', 'typedef'], ['struct', 'union']];
    const pieces = fc.constantFrom('}', '{', ';', ' ', '\n', 'typedef', 'struct', 'union', 'X', '*', 'PX', ',', '(', 'x_struct', 'typedefs');
    fc.assert(fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
      const text = parts.join('');
      patterns.forEach((pattern, index) => {
        const expected = [...text.matchAll(pattern)].map((match) => [match.index, ...match]);
        const found = matchesAt(text, new RegExp(pattern.source, 'y'), occurrences(text, ...needles[index])).map((match) => [match.index, ...match]);
        assert.deepEqual(found, expected, JSON.stringify(text));
      });
    }), { numRuns: 3000 });
  });

  it('patterns that reach an anchor over an access path, tried only at the starts before their anchors, match as a global scan does', () => {
    const pieces = fc.constantFrom('p', 'Ctx', '_x1', '->', '-', '>', '.', ' ', '\t', '\n', '\u00a0', '\u2028', '!', '=', '==', '!=', '&', '&&', '||', '|', 'NULL', 'nullptr', '0', 'if', 'while', 'xif', '(', ')', '[', '*', ',', ';', 'ExAllocatePool2(');
    fc.assert(fc.property(fc.array(pieces, { maxLength: 24 }), (parts) => {
      const text = parts.join('');
      for (const { pattern, anchors } of NAMED_PATH_SCANS) {
        const expected = [...text.matchAll(new RegExp(pattern.source, 'g'))].map((match) => [match.index, ...match]);
        const found = matchesAt(text, pattern, pathStartsBefore(text, anchors)).map((match) => [match.index, ...match]);
        assert.deepEqual(found, expected, JSON.stringify(text));
      }
    }), { numRuns: 5000 });
  });

  it("a path's mentions, address and assignments are read in place as its patterns read them", () => {
    const pattern = (path: string) => path.split(/(->|\.)/).map((part) => (part === '->' || part === '.' ? `\\s*${part === '.' ? '\\.' : part}\\s*` : part)).join('');
    const pieces = fc.constantFrom('p', 'q', 'a', 'pa', '_p', '->', ' -> ', ' . ', '-', '>', '.', ' ', '\n', '\u00a0', '&', '&&', '(', ')', '[', '=', '==', '!', ';', '*');
    const paths = fc.constantFrom('p', 'a', 'p->a', 'p.a', 'p->a.p', 'a->a', 'p.p');
    const check = (text: string, path: string, from: number, to: number) => {
      const window = text.slice(from, to);
      const forms = new PathText(path);
      const P = pattern(path);
      const label = JSON.stringify({ text, path, from, to });
      const expected = [...window.matchAll(new RegExp(`(?<![\\w>.])${P}\\b`, 'g'))].map((match) => [from + match.index, from + match.index + match[0].length]);
      assert.deepEqual(forms.mentions(text, from, to), expected, label);
      assert.deepEqual(forms.mentions(text, from, to, new RootOccurrences(text, from, to)), expected, label);
      assert.equal(forms.addressed(text, from, to), new RegExp(`(?<!&)&\\s*\\(?\\s*${P}\\b(?!\\s*(?:->|\\.|\\[))`).test(window), label);
      assert.equal(forms.addressed(text, from, to, new RootOccurrences(text, from, to)), new RegExp(`(?<!&)&\\s*\\(?\\s*${P}\\b(?!\\s*(?:->|\\.|\\[))`).test(window), label);
      assert.equal(forms.assigned(text, from, to), new RegExp(`(?<![\\w>.])${P}\\s*=(?!=)`).test(window), label);
    };
    // Mentions that would overlap (a global scan goes on after the first), rare in random text.
    check('a -> a -> a', 'a->a', 0, 11);
    check('x(p . p . p = 0)', 'p.p', 0, 16);
    fc.assert(fc.property(fc.array(pieces, { maxLength: 24 }), paths, fc.nat(), fc.nat(), (parts, path, one, two) => {
      const text = parts.join('');
      const from = Math.min(one, two) % (text.length + 1);
      check(text, path, from, from + (Math.max(one, two) % (text.length + 1 - from)));
    }), { numRuns: 8000 });
  });

  it('a path the text shows dereferenced or handed to a call is one whose uses the tree is asked about', () => {
    // The scan it replaced: every dereference or argument the pattern finds, and its prefixes before `->`.
    const PATH = '[A-Za-z_]\\w*(?:\\s*(?:->|\\.)\\s*[A-Za-z_]\\w*)*';
    const USE = new RegExp(`(?<![\\w>.])(${PATH})\\s*(?=->|\\[|\\()|\\*\\s*\\(?\\s*(${PATH})|[(,]\\s*(?:\\([^()]*\\)\\s*)?(${PATH})\\s*(?=[,)])`, 'g');
    const reference = (window: string) => {
      const used = new Set<string>();
      for (const match of window.matchAll(USE)) {
        const path = (match[1] ?? match[2] ?? match[3]).replace(/\s+/g, '');
        used.add(path);
        for (let index = path.indexOf('->'); index > 0; index = path.indexOf('->', index + 2)) used.add(path.slice(0, index));
      }
      return used;
    };
    for (const [text, path] of [['if (p == NULL) return;', 'p'], ['p = 0;', 'p'], ['x = *p.a;', 'p'], ['y = x.p->a;', 'p'], ['q = p + 1;', 'p']]) {
      assert.equal(new PathText(path).shownUsed(text, 0, text.length), false, text);
    }
    const pieces = fc.constantFrom('p', 'q', 'a', 'pa', '->', ' -> ', ' . ', '-', '>', '.', ' ', '\n', '\u00a0', '&', '(', ')', '[', '=', '==', '*', ',', ';', '(PVOID)', 'f(');
    const paths = fc.constantFrom('p', 'a', 'p->a', 'p.a', 'p->a.p', 'a->a', 'p.p');
    // Text around one written form of the path (spaces around its `->` and `.`), and a window that may cut either end.
    const spacing = fc.constantFrom('', ' ', '\n ');
    let shown = 0;
    let cases = 0;
    fc.assert(fc.property(fc.array(pieces, { maxLength: 8 }), paths, spacing, fc.array(pieces, { maxLength: 8 }), fc.nat(3), fc.nat(3), (before, path, space, after, cutStart, cutEnd) => {
      const text = before.join('') + path.replace(/->|\./g, (separator) => space + separator + space) + after.join('');
      const from = Math.min(cutStart, text.length);
      const to = Math.max(from, text.length - cutEnd);
      cases++;
      if (!reference(text.slice(from, to)).has(path)) return;
      shown++;
      assert.equal(new PathText(path).shownUsed(text, from, to, new RootOccurrences(text, from, to)), true, JSON.stringify({ text, path, from, to }));
    }), { numRuns: 8000 });
    assert.ok(shown > cases / 10, `paths the pattern shows used: ${shown} of ${cases}`);
  });

  it('pageable functions are found as the patterns that define them find them, CR, LF and U+2028 line breaks included', () => {
    // The definition the scan replaced: `#pragma alloc_text(PAGE…, names)`, and for each `^[ \t]+PAGED_CODE();` the
    // last `^Name(` (not `if (` and friends) in the 4000 characters before it.
    const reference = (text: string) => {
      const names = new Set<string>();
      if (!text.includes('PAGE')) return [];
      for (const match of text.matchAll(/alloc_text\s*\(\s*PAGE\w*\s*,([^)]*)\)/g)) {
        for (const name of match[1].split(',')) if (/^\s*[A-Za-z_]\w*\s*$/.test(name)) names.add(name.trim());
      }
      for (const use of text.matchAll(/^[ \t]+PAGED_CODE\s*\(\s*\)\s*;/gm)) {
        let name: string | undefined;
        const before = text.slice(Math.max(0, use.index - 4000), use.index);
        for (const match of before.matchAll(/^([A-Za-z_]\w*)\s*\(/gm)) if (!['if', 'while', 'for', 'switch', 'return', 'sizeof', 'do', 'else'].includes(match[1])) name = match[1];
        if (name) names.add(name);
      }
      return [...names];
    };
    const pieces = fc.constantFrom('Foo', 'Bar2', 'if', ' ', '\t', '\n', '\r\n', '\r', '\u2028', '(', ')', ';', '{', '}', 'PAGED_CODE', 'PAGED_CODE();', '    PAGED_CODE();', '#pragma alloc_text(PAGE, Foo, Bar2)', 'x'.repeat(900));
    fc.assert(fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
      const text = parts.join('');
      assert.deepEqual(pagedFunctionNames(text), reference(text), JSON.stringify(text));
    }), { numRuns: 3000 });
  });

  it('a helper whose caller is another file of the same driver leaves the length check to that caller', () => {
    const workspace = new WorkspaceIndex();
    workspace.update('/drv/src/helpers.c', HELPER);
    workspace.update('/drv/src/dispatch.c', DISPATCH);
    assert.equal(workspace.calledFromOtherFile('QueryKind', '/drv/src/helpers.c'), true);
    assert.deepEqual(lengthFindings(workspace), []);
  });

  it('still reports it when no other file calls it, or only another driver does', () => {
    assert.equal(lengthFindings(undefined).length, 1);
    const workspace = new WorkspaceIndex();
    workspace.update('/drv/src/helpers.c', HELPER);
    workspace.update('/other/driver/dispatch.c', DISPATCH);
    workspace.update('/drv/src/helpers.h', 'NTSTATUS QueryKind(PDEVICE_OBJECT DeviceObject, PIRP Irp);\n    VOID Use() { QueryKind(0, 0); }\n');
    assert.equal(workspace.calledFromOtherFile('QueryKind', '/drv/src/helpers.c'), false);
    assert.equal(lengthFindings(workspace).length, 1);
  });
});

describe('structure fields declared in another file (field shapes in the workspace index)', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });
  const HEADER = 'typedef struct _XFER {\n    PVOID Buffer;\n    ULONG Length;\n    UCHAR Inline[16];\n} XFER, *PXFER;\n';
  const HANDLER = [
    'ULONG g_Table[4];',
    'NTSTATUS Copy(PIRP Irp)',
    '{',
    '    PXFER in = (PXFER)Irp->AssociatedIrp.SystemBuffer;',
    '    RtlCopyMemory(in->Buffer, g_Table, sizeof(g_Table));',
    '    *in->Inline = 0;',
    '    return STATUS_SUCCESS;',
    '}',
    '',
  ].join('\n');
  const embedded = (workspace: WorkspaceIndex | undefined) =>
    analyzer.analyze({ text: HANDLER, fileName: '/drv/copy.c' }, { workspace }).findings.filter((finding) => finding.ruleId === 'embedded-user-pointer').map((finding) => finding.range.start.line + 1);

  it('a pointer field of a header structure is a user pointer, an embedded array is not', () => {
    const workspace = new WorkspaceIndex();
    workspace.update('/drv/public.h', HEADER);
    workspace.update('/drv/copy.c', HANDLER);
    // Line 5: the copy into `in->Buffer`; line 6 (`*in->Inline`) writes the kernel copy of the request.
    assert.deepEqual(embedded(workspace), [5]);
  });

  it('without the header the shapes are unknown: the copy is not reported, the dereference is (as before)', () => {
    assert.deepEqual(embedded(undefined), [6]);
  });

  it('a field declared with different shapes in different files is unknown', () => {
    const workspace = new WorkspaceIndex();
    workspace.update('/drv/public.h', HEADER);
    workspace.update('/drv/other.h', 'typedef struct _OTHER { UCHAR Buffer[8]; UCHAR Inline[16]; } OTHER;\n');
    assert.equal(workspace.fieldShapeOf('Buffer'), null);
    assert.deepEqual(workspace.fieldShapeOf('Inline'), { pointer: false, array: true });
    assert.equal(workspace.fieldShapeOf('Missing'), undefined);
  });

  it('the structure the base variable is declared with decides when field names clash', () => {
    const workspace = new WorkspaceIndex();
    workspace.update('/drv/public.h', HEADER);
    workspace.update('/drv/other.h', 'typedef struct _OTHER { UCHAR Buffer[8]; PUCHAR Inline; } OTHER, *POTHER;\n');
    workspace.update('/drv/copy.c', HANDLER);
    assert.deepEqual(workspace.structFieldShapeOf('*PXFER', 'Buffer'), { pointer: true, array: false, type: 'PVOID' });
    assert.deepEqual(workspace.structFieldShapeOf('_OTHER', 'Buffer'), { pointer: false, array: true, type: 'UCHAR[]' });
    assert.deepEqual(embedded(workspace), [5]);
  });
});
