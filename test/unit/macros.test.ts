import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MacroTable } from '../../server/src/analysis/macros';

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
