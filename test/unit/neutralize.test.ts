import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { neutralizeAnnotations, neutralizeEdit } from '../../server/src/analysis/neutralize';
import { languageFor } from '../../server/src/analysis/parser';

describe('neutralizeAnnotations', () => {
  it('blanks SAL annotations with their arguments and keeps every offset', () => {
    const source = 'NTSTATUS Foo(_In_ PDEVICE_OBJECT d, _Inout_updates_bytes_(len) PVOID p, _In_ ULONG len);';
    const { text, count } = neutralizeAnnotations(source);
    assert.equal(text.length, source.length);
    assert.equal(count, 3);
    assert.equal(text, 'NTSTATUS Foo(     PDEVICE_OBJECT d,                            PVOID p,      ULONG len);');
  });

  it('blanks IRQL annotations, __drv_ annotations and calling conventions', () => {
    const source = '_IRQL_requires_max_(DISPATCH_LEVEL)\n__drv_dispatchType(IRP_MJ_CREATE)\nNTSTATUS NTAPI F(VOID);';
    const { text } = neutralizeAnnotations(source);
    assert.equal(text, `${' '.repeat(35)}\n${' '.repeat(33)}\nNTSTATUS       F(VOID);`);
  });

  it('keeps line breaks inside multi-line annotation arguments', () => {
    const source = '_When_(x > 0,\n  _In_) int f(int x);';
    const { text } = neutralizeAnnotations(source);
    assert.equal(text.split('\n').length, 2);
    assert.equal(text.length, source.length);
    assert.match(text, /^\s+\n\s+int f\(int x\);$/);
  });

  it('leaves identifiers that only look similar, strings and comments alone', () => {
    const source = 'int _Internal_ = 1; __int64 x; __inline int y; const char *s = "_In_"; // _Out_\nMY_In_VALUE z;';
    const { text, count } = neutralizeAnnotations(source);
    assert.equal(count, 0);
    assert.equal(text, source);
  });

  it('does not treat a SAL name without arguments as a call', () => {
    const source = 'void f(_In_ (int) x);';
    const { text } = neutralizeAnnotations(source);
    assert.equal(text, 'void f(     (int) x);');
  });

  it('gives up on an unbalanced argument list instead of blanking code', () => {
    const source = '_Success_(return == 0 int f(void) { return 0; }';
    const { text } = neutralizeAnnotations(source);
    assert.ok(text.includes('int f(void) { return 0; }'));
  });

  it('blanks the DDK parameter words IN, OUT and OPTIONAL where they annotate a parameter', () => {
    const source = 'NTSTATUS F(\n    IN OUT PDEVICE_OBJECT Device,\n    IN PVOID Context OPTIONAL\n    );';
    const { text } = neutralizeAnnotations(source);
    assert.equal(text.length, source.length);
    assert.equal(text, 'NTSTATUS F(\n           PDEVICE_OBJECT Device,\n       PVOID Context         \n    );');
  });

  it('keeps IN, OUT and OPTIONAL used as values or named by the preprocessor', () => {
    const source = '#define IN\n#ifdef OPTIONAL\ncase IN: x = OUT; y = IN + 1; f(OPTIONAL_FLAG);';
    const { text, count } = neutralizeAnnotations(source);
    assert.equal(count, 0);
    assert.equal(text, source);
  });

  it('blanks CONST before a type and the filter manager annotations', () => {
    const source = 'CONST FLT_REGISTRATION R = { 0 };\nVOID F(_Flt_CompletionContext_Outptr_ PVOID *C);';
    const { text } = neutralizeAnnotations(source);
    assert.equal(text, `      FLT_REGISTRATION R = { 0 };\nVOID F(${' '.repeat(31)}PVOID *C);`);
  });

  it('blanks a KMDF context declaration written without a semicolon, but not a bare mention', () => {
    const source = 'WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, GetContext)\nNTSTATUS F(void);\n#define X WDF_DECLARE_CONTEXT_TYPE(T)';
    const { text } = neutralizeAnnotations(source);
    assert.equal(text.split('\n')[0].trim(), '');
    assert.equal(text.split('\n')[1], 'NTSTATUS F(void);');
    assert.equal(text.split('\n')[2], '#define X WDF_DECLARE_CONTEXT_TYPE(T)');
  });

  it('rewrites the try/except/finally/leave macros into equal-length C the grammar knows', () => {
    const source = 'void F(PVOID p) {\n    try {\n        ProbeForRead(p, 4, 1);\n        if (!p) leave;\n    } except (EXCEPTION_EXECUTE_HANDLER) {\n        return;\n    }\n    try { G(); } finally { H(); }\n}';
    const { text } = neutralizeAnnotations(source);
    assert.equal(text.length, source.length);
    assert.equal(text, 'void F(PVOID p) {\n        {\n        ProbeForRead(p, 4, 1);\n        if (!p) break;\n    } if     (EXCEPTION_EXECUTE_HANDLER) {\n        return;\n    }\n        { G(); }         { H(); }\n}');
  });

  it('finds the except of a try block past a #pragma line between them', () => {
    const source = 'void F(PVOID p) {\n    try {\n        G(p);\n    }\n    #pragma warning(suppress: 6320)\n    except (EXCEPTION_EXECUTE_HANDLER) {\n        H();\n    }\n}';
    const { text } = neutralizeAnnotations(source);
    assert.equal(text.length, source.length);
    assert.equal(text, 'void F(PVOID p) {\n        {\n        G(p);\n    }\n    #pragma warning(suppress: 6320)\n    if     (EXCEPTION_EXECUTE_HANDLER) {\n        H();\n    }\n}');
  });

  it('blanks CFORCEINLINE between the return type and the name of an inline helper', () => {
    const { text } = neutralizeAnnotations('BOOLEAN\nCFORCEINLINE\nIsListEmpty(const LIST_ENTRY * ListHead)');
    assert.equal(text, 'BOOLEAN\n            \nIsListEmpty(const LIST_ENTRY * ListHead)');
  });

  it('leaves C++ try/catch, __try and identifiers named try alone', () => {
    const source = 'void F() { try { G(); } catch (...) { } __try { G(); } __except (1) { } int try_count = 0; leave(); }';
    const { text, count } = neutralizeAnnotations(source);
    assert.equal(count, 0);
    assert.equal(text, source);
  });
});

describe('languageFor', () => {
  it('parses a .h header as C++ when it declares a class, and as C otherwise', () => {
    assert.equal(languageFor('queue.h', undefined, 'class CQueue\n    : public IBase\n{\npublic:\n    void Run();\n};'), 'cpp');
    assert.equal(languageFor('queue.h', undefined, 'typedef struct _Q { int n; } Q;\n// the class of device { }'), 'c');
    assert.equal(languageFor('queue.h'), 'c');
    assert.equal(languageFor('queue.h', 'c', 'class C { };'), 'c');
  });

  it('parses a .h header as C++ when a prototype has default arguments, not for C assignments or comparisons', () => {
    assert.equal(languageFor('helpers.h', undefined, 'NTSTATUS Alloc(_In_ UINT32 size,\n               _In_opt_ const VOID* pContext = 0);'), 'cpp');
    assert.equal(languageFor('helpers.h', undefined, 'NTSTATUS Reset(ULONG mode = MODE_DEFAULT);'), 'cpp');
    assert.equal(languageFor('helpers.h', undefined, '#define CHECK(s) F(x = 0);\nenum E { A = 0, B = 1 };\nint ok = (status == 0);'), 'c');
    assert.equal(languageFor('helpers.h', undefined, 'FORCEINLINE VOID Init(PLIST_ENTRY h) { h->Flink = h->Blink = h; return; }'), 'c');
  });
});

describe('neutralizeEdit', () => {
  /** Pieces whose neutralizing looks ahead, behind or across lines: annotations with arguments, SEH macros, literals, comments. */
  const PIECES = ['_In_ ', '_Inout_updates_bytes_(len) ', '_When_(x > 0,\n  _In_) ', 'IN OUT PIRP Irp', ' OPTIONAL', ')', '(', ',', ';', '{', '}', '\n', '    ', '#define IN\n',
    'try {\n', '} except (EXCEPTION_EXECUTE_HANDLER) {\n', '} finally {\n', 'leave;\n', '"str_In_"', "'\"'", '// _Out_ comment\n', '/* _In_ */', '/*', '*/', 'NTAPI ',
    'DECLSPEC_ALIGN(8) ', 'WDF_DECLARE_CONTEXT_TYPE(CTX)\n', 'x', 'CONST ', 'ULONG n', '#pragma warning(suppress: 4127)\n', '\\\n', '__drv_maxIRQL(2) '];
  const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 120 }).map((pieces) => pieces.join(''));
  const edit = fc.record({ at: fc.nat(), removed: fc.nat(30), inserted: fc.array(fc.constantFrom(...PIECES), { maxLength: 3 }).map((pieces) => pieces.join('')) });

  it('gives what a full scan gives, edit after edit', () => {
    fc.assert(fc.property(text, fc.array(edit, { minLength: 1, maxLength: 6 }), (source, edits) => {
      let before = source;
      let previous = neutralizeAnnotations(before, true);
      for (const { at, removed, inserted } of edits) {
        const start = before.length === 0 ? 0 : at % before.length;
        const after = before.slice(0, start) + inserted + before.slice(Math.min(before.length, start + removed));
        const incremental = neutralizeEdit(before, previous, after);
        const full = neutralizeAnnotations(after, true);
        assert.equal(incremental.text, full.text);
        assert.equal(incremental.count, full.count);
        assert.deepEqual(incremental.checkpoints, full.checkpoints);
        before = after;
        previous = incremental;
      }
    }), { numRuns: 400 });
  });

  it('handles an edit in the middle of a long text (the scan joins the old result after it)', () => {
    const source = Array.from({ length: 2000 }, (_, index) => `VOID F${index}(_In_ PIRP Irp) { Use(Irp); }\n`).join('');
    const previous = neutralizeAnnotations(source, true);
    const after = source.replace('VOID F1000(_In_ PIRP Irp)', 'VOID F1000(_Inout_ PIRP Irp, _In_opt_ PVOID p)');
    const incremental = neutralizeEdit(source, previous, after);
    assert.equal(incremental.text, neutralizeAnnotations(after).text);
    assert.equal(incremental.count, previous.count + 1);
    // Every line start stays a checkpoint.
    assert.equal(incremental.checkpoints!.offsets.length, previous.checkpoints!.offsets.length);
  });
});
