import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MacroTable } from '../../server/src/analysis/macros';
import { indexText } from '../../server/src/analysis/workspace-index';
import { wppFunctions, wppGuard } from '../../server/src/analysis/wpp';

const CONFIG = `//
// begin_wpp config
// FUNC TraceEvents(LEVEL, FLAGS, MSG, ...);
// FUNC CHK_NT_MSG{CHK=DUMMY,LEVEL=TRACE_LEVEL_ERROR,FLAGS=FlagDriverWideLog}(STATUS, MSG, ...);
// USESUFFIX(CHK_NT_MSG, "[%!STATUS!]", STATUS);
// end_wpp
/* begin_wpp config
   FUNC TRACE_RETURN{FLAG=FLAG_ONE}(EXP);
   end_wpp */
#define WPP_CHK_LEVEL_FLAGS_STATUS_PRE(CHK,LEVEL,FLAGS,STATUS) { \\
    if (NT_SUCCESS(STATUS) != TRUE) {
#define WPP_CHK_LEVEL_FLAGS_STATUS_POST(CHK,LEVEL,FLAGS,STATUS) ;\\
        EventWriteFailure(__FILE__, __LINE__, STATUS); \\
        goto End; \\
    } }
#define WPP_FLAG_EXP_PRE(FLAGS, HR) {if (HR != STATUS_SUCCESS) {
#define WPP_FLAG_EXP_POST(FLAGS, HR) ;}}
`;

describe('WPP trace functions', () => {
  it('reads the FUNC declarations of begin_wpp config blocks: keys and the condition arguments before MSG', () => {
    assert.deepEqual(wppFunctions(CONFIG).map(({ name, keys, params }) => ({ name, keys, params })), [
      { name: 'TraceEvents', keys: [], params: ['LEVEL', 'FLAGS'] },
      { name: 'CHK_NT_MSG', keys: [['CHK', 'DUMMY'], ['LEVEL', 'TRACE_LEVEL_ERROR'], ['FLAGS', 'FlagDriverWideLog']], params: ['STATUS'] },
      { name: 'TRACE_RETURN', keys: [['FLAG', 'FLAG_ONE']], params: ['EXP'] },
    ]);
    assert.deepEqual(indexText(CONFIG, 'trace.h').wpp?.map((fn) => fn.fileName), ['trace.h', 'trace.h', 'trace.h']);
    assert.deepEqual(wppFunctions('// FUNC NotInABlock(MSG, ...);\n'), []);
  });

  it('makes a guard of PRE/POST macros amounting to `if (cond) { …; goto L; }`, and nothing of conditional logging', () => {
    const macros = new MacroTable(indexText(CONFIG, 'trace.h').macros);
    const [traceEvents, check, traceReturn] = wppFunctions(CONFIG);
    const guard = wppGuard(check, macros);
    assert.equal(guard?.label, 'End');
    assert.equal(guard?.condition.map((token) => token.text).join(' '), 'NT_SUCCESS ( __driver_guard_wpp_argument_0 ) != TRUE');
    assert.equal(wppGuard(traceReturn, macros), undefined, 'logs on failure but jumps nowhere');
    assert.equal(wppGuard(traceEvents, macros), undefined, 'no PRE/POST macros');
  });
});
