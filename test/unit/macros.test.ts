import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MacroTable } from '../../server/src/analysis/macros';
import { WorkspaceIndex } from '../../server/src/analysis/workspace-index';
import { RecordingWorkspace, traceHolds } from '../../server/src/analysis/workspace-trace';

describe('MacroTable', () => {
  const table = new MacroTable([
    { name: 'BUFFER_SIZE', body: '0x200' },
    { name: 'DOUBLE', params: ['x'], body: '((x) * 2)' },
    { name: 'MY_CTL', params: ['f', 'm'], body: 'CTL_CODE(FILE_DEVICE_UNKNOWN, f, m, FILE_READ_ACCESS | FILE_WRITE_ACCESS)' },
    { name: 'IOCTL_A', body: 'MY_CTL(0x801, METHOD_NEITHER)' },
    { name: 'SELF', body: 'SELF + 1' },
  ]);

  it('evaluates constants through object- and function-like macros', () => {
    assert.equal(table.evaluate('BUFFER_SIZE'), 512);
    assert.equal(table.evaluate('DOUBLE(BUFFER_SIZE) + 1'), 1025);
    assert.equal(table.evaluate('(ULONG)(1 << 4)'), 16);
  });

  it('returns undefined for what is not constant and never loops on self-reference', () => {
    assert.equal(table.evaluate('sizeof(x)'), undefined);
    assert.equal(table.evaluate('SELF'), undefined);
    assert.equal(table.evaluate('UNKNOWN_NAME'), undefined);
  });

  it('resolves IOCTL codes through wrapper macros', () => {
    const code = table.resolveIoctl('IOCTL_A');
    assert.deepEqual({ ...code, definition: undefined }, { deviceType: 0x22, function: 0x801, method: 3, access: 3, via: ['IOCTL_A'], definition: undefined });
  });

  it('decodes literal IOCTL codes', () => {
    // CTL_CODE(0x22, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS) = 0x222003
    const code = table.resolveIoctl('0x222003');
    assert.equal(code?.deviceType, 0x22);
    assert.equal(code?.function, 0x800);
    assert.equal(code?.method, 3);
    assert.equal(code?.access, 0);
    assert.equal(table.resolveIoctl('42'), undefined, 'small numbers are not IOCTL codes');
  });

  it('falls back to a workspace table', () => {
    const local = new MacroTable([{ name: 'LOCAL', body: 'BUFFER_SIZE + 1' }], table);
    assert.equal(local.evaluate('LOCAL'), 513);
  });
});

describe('workspace macros per file', () => {
  const code = (method: string) => `#define IOCTL_X CTL_CODE(0x8000, 0x800, ${method}, FILE_ANY_ACCESS)\n`;
  const workspace = () => {
    const index = new WorkspaceIndex();
    index.update('/w/alpha/inc/public.h', code('METHOD_BUFFERED'));
    index.update('/w/beta/inc/public.h', code('METHOD_NEITHER'));
    index.update('/w/beta/sys/local.h', code('METHOD_IN_DIRECT'));
    index.update('/w/shared/one.h', code('METHOD_OUT_DIRECT'));
    index.update('/w/shared/two.h', code('METHOD_NEITHER'));
    return index;
  };
  const methodFor = (index: WorkspaceIndex, fileName: string) => new MacroTable([], index.macrosFor(fileName)).resolveIoctl('IOCTL_X')?.method;

  it('takes the definition nearest to the file: the same folder, then the closest common folder', () => {
    const index = workspace();
    assert.equal(methodFor(index, '/w/alpha/sys/driver.c'), 0, 'alpha/inc over the other drivers');
    assert.equal(methodFor(index, '/w/beta/sys/driver.c'), 1, 'the same folder first');
    assert.equal(methodFor(index, '/w/beta/other/driver.c'), 3, 'beta/inc and beta/sys tie: the first');
    assert.equal(methodFor(index, '/w/alpha/inc/driver.c'), 0);
  });

  it('breaks a tie by the header the file includes by name, then by the first', () => {
    const index = workspace();
    assert.equal(methodFor(index, '/w/shared/x/driver.c'), 2, 'one.h and two.h tie: the first');
    index.update('/w/shared/x/driver.c', '#include "../two.h"\n');
    assert.equal(methodFor(index, '/w/shared/x/driver.c'), 3, 'the included header');
    index.update('/w/beta/other/driver.c', '#include <local.h>\n');
    assert.equal(methodFor(index, '/w/beta/other/driver.c'), 1);
    index.update('/w/beta/other/driver.c', '#include "public.h"\n');
    assert.equal(methodFor(index, '/w/beta/other/driver.c'), 3);
  });

  it('records the question with the file it was asked for, so a trace holds only while that file\'s answer holds', () => {
    const index = workspace();
    const recording = new RecordingWorkspace(index);
    assert.equal(new MacroTable([], recording.macrosFor('/w/alpha/sys/driver.c')).resolveIoctl('IOCTL_X')?.method, 0);
    const trace = recording.trace();
    assert.deepEqual(trace[0].slice(0, 2), ['macro', JSON.stringify(['IOCTL_X', '/w/alpha/sys/driver.c'])]);
    index.update('/w/beta/inc/public.h', code('METHOD_BUFFERED'));
    assert.ok(traceHolds(trace, index), 'another driver\'s definition changed: the answer did not');
    index.update('/w/alpha/inc/public.h', code('METHOD_NEITHER'));
    assert.ok(!traceHolds(trace, index), 'the file\'s own driver\'s definition changed');
  });
});

describe('MacroTable.reusing', () => {
  const local = (method: string, line = 0) => [{ name: 'IOCTL_L', body: `CTL_CODE(0x22, 0x801, ${method}, FILE_ANY_ACCESS)`, fileName: '/w/d.c', line }];
  const header = (method: string) => {
    const index = new WorkspaceIndex();
    index.update('/w/public.h', `#define IOCTL_H CTL_CODE(0x22, 0x802, ${method}, FILE_ANY_ACCESS)\n`);
    return index;
  };
  /** A fallback that counts the questions asked of it. */
  const counting = (lookup: ReturnType<WorkspaceIndex['macrosFor']>) => {
    const asked: string[] = [];
    return { asked, get: (name: string) => (asked.push(name), lookup.get(name)) };
  };

  it('gives the answers a fresh table gives, whether or not it took over the previous table\'s', () => {
    const cases: [string, string, number][] = [
      ['METHOD_NEITHER', 'METHOD_NEITHER', 0],
      ['METHOD_BUFFERED', 'METHOD_NEITHER', 0],
      ['METHOD_NEITHER', 'METHOD_BUFFERED', 0],
      ['METHOD_NEITHER', 'METHOD_NEITHER', 5],
    ];
    for (const [localMethod, headerMethod, line] of cases) {
      const previous = new MacroTable(local('METHOD_NEITHER'), header('METHOD_NEITHER').macrosFor('/w/d.c'));
      for (const name of ['IOCTL_L', 'IOCTL_H']) previous.resolveIoctl(name);
      previous.expand('IOCTL_H');
      const fallback = header(headerMethod).macrosFor('/w/d.c');
      const reused = MacroTable.reusing(local(localMethod, line), fallback, previous);
      const fresh = new MacroTable(local(localMethod, line), fallback);
      for (const name of ['IOCTL_L', 'IOCTL_H']) assert.deepEqual(reused.resolveIoctl(name), fresh.resolveIoctl(name), `${name} (${localMethod}, ${headerMethod}, line ${line})`);
      assert.equal(reused.expand('IOCTL_H'), fresh.expand('IOCTL_H'));
    }
  });

  it('asks the new fallback every name the previous table asked, and then answers from what it took over', () => {
    const previous = new MacroTable(local('METHOD_NEITHER'), header('METHOD_NEITHER').macrosFor('/w/d.c'));
    previous.resolveIoctl('IOCTL_H');
    const fallback = counting(header('METHOD_NEITHER').macrosFor('/w/d.c'));
    const reused = MacroTable.reusing(local('METHOD_NEITHER'), fallback, previous);
    assert.ok(fallback.asked.includes('IOCTL_H'), 'a recording fallback sees the question');
    const asked = fallback.asked.length;
    assert.equal(reused.resolveIoctl('IOCTL_H')?.method, 3);
    assert.equal(fallback.asked.length, asked, 'the resolved code was taken over');
    const changed = counting(header('METHOD_BUFFERED').macrosFor('/w/d.c'));
    assert.equal(MacroTable.reusing(local('METHOD_NEITHER'), changed, previous).resolveIoctl('IOCTL_H')?.method, 0);
  });
});
