import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Analyzer, type Rule } from '../../server/src/core';
import { analyzePaths, flowGraph } from '../../server/src/analysis/paths';
import { calleeName } from '../../server/src/analysis/query';

/** A probe rule: `Take()` adds the fact, `Drop()` removes it; every exit still holding it is reported with its line. */
const probe: Rule = {
  meta: { id: 'paths-probe', title: 'probe', type: 'problem', severity: 'error', checklistItem: 'checklist.secure-coding', description: 'probe', rationale: 'probe', confidence: 'high', messages: { held: 'held at exit' , gaveUp: 'gave up' } },
  create(context) {
    const { file } = context;
    return {
      call_expression() {},
      function_definition(node) {
        const fn = file.functions().find((candidate) => candidate.node.id === node.id);
        if (!fn) return;
        const result = analyzePaths(file, fn, {
          step(flowNode, state) {
            let facts = [...state.facts];
            for (const call of file.within(flowNode.node!, 'call_expression')) {
              if (calleeName(call) === 'Take') facts.push('taken');
              if (calleeName(call) === 'Drop') facts = facts.filter((fact) => fact !== 'taken');
            }
            return facts;
          },
        });
        if (!result) {
          context.report({ node, messageId: 'gaveUp' });
          return;
        }
        for (const exit of result.exits) {
          if (result.after(exit).some((state) => state.facts.includes('taken'))) context.report({ node: exit.kind === 'end' ? node : exit.node!, messageId: 'held' });
        }
      },
    };
  },
};

function body(code: string): string {
  return `int F(int a, int b) {\n${code}\n}\n`;
}

describe('paths', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create([probe]);
  });
  const held = (code: string): number[] => analyzer.analyze({ text: body(code), fileName: 'p.c' }).findings.map((finding) => finding.message === 'gave up' ? -1 : finding.range.start.line);

  it('balanced straight-line code and branches', () => {
    assert.deepEqual(held('Take();\nDrop();\nreturn 0;'), []);
    assert.deepEqual(held('Take();\nif (a) {\n    Drop();\n    return 1;\n}\nDrop();\nreturn 0;'), []);
  });

  it('finds the early return that skips the release', () => {
    assert.deepEqual(held('Take();\nif (a) {\n    return 1;\n}\nDrop();\nreturn 0;'), [3]);
  });

  it('follows goto cleanup labels', () => {
    assert.deepEqual(held('Take();\nif (a) goto out;\nb = 2;\nout:\nDrop();\nreturn b;'), []);
    assert.deepEqual(held('Take();\nif (a) goto out;\nDrop();\nout:\nreturn b;'), [5]);
  });

  it('handles switch fall-through, break and default', () => {
    assert.deepEqual(held('Take();\nswitch (a) {\ncase 1:\n    b = 1;\n    break;\ndefault:\n    Drop();\n    return 2;\n}\nDrop();\nreturn 0;'), []);
    assert.deepEqual(held('Take();\nswitch (a) {\ncase 1:\n    return 1;\ndefault:\n    break;\n}\nDrop();\nreturn 0;'), [4]);
  });

  it('handles loops with break and continue', () => {
    assert.deepEqual(held('while (a) {\n    Take();\n    if (b) continue;\n    Drop();\n}\nreturn 0;'), [6]);
    assert.deepEqual(held('for (;;) {\n    Take();\n    if (b) { Drop(); break; }\n    Drop();\n}\nreturn 0;'), []);
    assert.deepEqual(held('do {\n    Take();\n    Drop();\n} while (a);\nreturn 0;'), []);
  });

  it('prunes paths by flag values', () => {
    assert.deepEqual(held('int locked = 0;\nif (a) {\n    Take();\n    locked = 1;\n}\nb = 3;\nif (locked) {\n    Drop();\n}\nreturn b;'), []);
    assert.deepEqual(held('int status = STATUS_SUCCESS;\nTake();\nif (a) status = STATUS_PENDING;\nif (status != STATUS_PENDING) Drop();\nreturn status;'), [5]);
    assert.deepEqual(held('int status = STATUS_SUCCESS;\nTake();\nif (!NT_SUCCESS(status)) return status;\nDrop();\nreturn status;'), []);
    assert.deepEqual(held('int status;\nTake();\nstatus = b = STATUS_PENDING;\nif (status == STATUS_PENDING) Drop();\nreturn status;'), []);
  });

  it('learns the success class from NT_SUCCESS of an unknown status, and its truth from `== TRUE` / `!= TRUE` / `== 0`', () => {
    // Past `if (!NT_SUCCESS(s)) goto out;` s succeeded: the failure test at `out` cannot hold on that path.
    assert.deepEqual(held('int s = Call();\nif (!NT_SUCCESS(s)) goto out;\nTake();\nout:\nif (NT_SUCCESS(s)) Drop();\nreturn 0;'), []);
    assert.deepEqual(held('int s = Call();\nif (NT_SUCCESS(s) != TRUE) goto out;\nTake();\nout:\nif (NT_SUCCESS(s) == FALSE) return 1;\nDrop();\nreturn 0;'), []);
    assert.deepEqual(held('int s = Call();\nif (NT_SUCCESS(s) == 0) goto out;\nTake();\nout:\nif (!NT_SUCCESS(s)) return 1;\nDrop();\nreturn 0;'), []);
    // Learned on the branch: an error status is not STATUS_SUCCESS, a success status may be STATUS_PENDING.
    assert.deepEqual(held('int s = Call();\nif (!NT_SUCCESS(s)) {\n    if (s == STATUS_SUCCESS) Take();\n    return 1;\n}\nTake();\nif (s == STATUS_PENDING) Drop();\nreturn 0;'), [8]);
    // A later assignment forgets what was learned.
    assert.deepEqual(held('int s = Call();\nif (!NT_SUCCESS(s)) goto out;\nTake();\ns = Other();\nout:\nif (!NT_SUCCESS(s)) return 1;\nDrop();\nreturn 0;'), [6]);
  });

  it('reads C++ conditions (condition_clause) and range loops', () => {
    const cpp = (code: string) => analyzer.analyze({ text: body(code), fileName: 'p.cpp' }).findings.map((finding) => finding.range.start.line);
    assert.deepEqual(cpp('bool locked = false;\nif (a) {\n    Take();\n    locked = true;\n}\nif (locked) {\n    Drop();\n}\nreturn b;'), []);
    assert.deepEqual(cpp('for (auto x : items) {\n    Take();\n    if (x) return 1;\n    Drop();\n}\nreturn 0;'), [3]);
  });

  it('collapses literals no condition names, so a large switch stays analysable', () => {
    const cases = Array.from({ length: 150 }, (_, index) => `case ${index}:\n    status = STATUS_ERROR_${index};\n    break;`).join('\n');
    assert.deepEqual(held(`int status = STATUS_SUCCESS;\nTake();\nswitch (a) {\n${cases}\ndefault:\n    break;\n}\nif (!NT_SUCCESS(status)) {\n    Drop();\n    return status;\n}\nreturn 0;`), [461]);
  });

  it('forgets flags whose address is taken (a callee may change them)', () => {
    assert.deepEqual(held('int locked = 0;\nTake();\nQuery((PVOID)&locked);\nif (!locked) Drop();\nreturn 0;'), [5]);
    assert.deepEqual(held('int locked = 0;\nTake();\nQuery(a & locked, a && locked);\nif (!locked) Drop();\nreturn 0;'), []);
  });

  it('treats #if branches and no-return calls as paths', () => {
    assert.deepEqual(held('Take();\n#if DBG\nreturn 1;\n#else\nDrop();\n#endif\nreturn 0;'), [3]);
    assert.deepEqual(held('Take();\nif (a) KeBugCheckEx(1, 0, 0, 0, 0);\nDrop();\nreturn 0;'), []);
  });

  it('falls off the end and gives up on unknown labels', () => {
    assert.deepEqual(held('Take();\nif (a) return 0;\nDrop();'), [2]);
    assert.deepEqual(held('Take();\nif (a) Drop();'), [0]);
    assert.deepEqual(held('Take();\ngoto nowhere;'), [-1]);
  });

  it('gives up on very deep nesting and long conditions without overflowing or hanging', () => {
    const deep = analyzer.analyze({ text: body(`Take();\n${'{'.repeat(10_000)} a = 1; ${'}'.repeat(10_000)}\nreturn 0;`), fileName: 'deep.c' });
    assert.deepEqual(deep.ruleErrors, []);
    const chain = Array.from({ length: 2000 }, (_, index) => `a == ${index}`).join(' && ');
    const long = analyzer.analyze({ text: body(`int f = 0;\nTake();\nif (${chain}) { Drop(); }\nelse { Drop(); }\nreturn f;`), fileName: 'long.c' });
    assert.deepEqual(long.ruleErrors, []);
  });
});
