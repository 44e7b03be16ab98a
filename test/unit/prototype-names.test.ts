/**
 * C identifiers may be named like members of Object.prototype. Rules look names up in tables; a plain object
 * literal would answer `constructor` or `toString` with an inherited function (a finding once told the user to
 * "Use function toString() { [native code] }").
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createAnalyzer, type Analyzer } from '../../server/src/core';

const NAMES = Object.getOwnPropertyNames(Object.prototype);

describe('identifiers named like Object.prototype members', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });

  it('are plain names to every rule: no rule error, no inherited member in a message', () => {
    const calls = NAMES.map((name) => `    ${name}(Irp, ${name}, buffer->${name}, length);`).join('\n');
    const text = [
      ...NAMES.map((name) => `#define IOCTL_${name} ${name}`),
      'NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {',
      '    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);',
      '    PREQUEST buffer = (PREQUEST)Irp->AssociatedIrp.SystemBuffer;',
      '    ULONG length = stack->Parameters.DeviceIoControl.InputBufferLength;',
      '    POOL_TYPE type = constructor;',
      calls,
      '    switch (stack->Parameters.DeviceIoControl.IoControlCode) {',
      ...NAMES.map((name) => `    case IOCTL_${name}: buffer->${name} = ${name}; break;`),
      '    default: break;',
      '    }',
      '    return STATUS_SUCCESS;',
      '}',
      'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {',
      '    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;',
      '    return STATUS_SUCCESS;',
      '}',
    ].join('\n');
    const result = analyzer.analyze({ text, fileName: 'prototype.c' });
    assert.deepEqual(result.ruleErrors, []);
    for (const finding of result.findings) {
      assert.doesNotMatch(finding.message, /native code|\[object |function \w*\(|undefined|NaN/, `${finding.ruleId}: ${finding.message}`);
      for (const fix of finding.fixes) for (const edit of fix.edits) assert.doesNotMatch(edit.newText, /native code|\[object |undefined/, `${finding.ruleId} fix: ${edit.newText}`);
    }
  });
});
