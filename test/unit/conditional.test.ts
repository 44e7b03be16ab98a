/**
 * Conditional compilation (analysis/conditional.ts): `#if` arms are alternatives. A guard in one arm protects only
 * that arm, after the `#endif` only when every arm has one; `#if 0` is dead and `#if 1` always taken; configurations
 * are named in messages; the driver model sees IOCTL cases inside arms.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createAnalyzer, type Analyzer } from '../../server/src/core';
import { withSourceFile } from '../helpers/source-file';

const handler = (body: string) => `#include <ntddk.h>
NTSTATUS Copy(PIRP Irp, PIO_STACK_LOCATION IrpSp) {
    UCHAR local[64];
    PVOID input = Irp->AssociatedIrp.SystemBuffer;
    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
${body}
    return STATUS_SUCCESS;
}
`;
const CHECK = '    if (length > sizeof(local)) return STATUS_INVALID_BUFFER_SIZE;\n';
const COPY = '    RtlCopyMemory(local, input, length);\n';

describe('conditional compilation', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });
  const lines = (code: string, rule: string) => analyzer.analyze({ text: code, fileName: 'c.c' }).findings
    .filter((finding) => finding.ruleId === rule).map((finding) => finding.range.start.line + 1);

  it('a guard in the #ifdef arm does not protect the #else arm', () => {
    const code = handler(`#ifdef CHECKED\n${CHECK}${COPY}#else\n${COPY}#endif`);
    assert.deepEqual(lines(code, 'user-length-copy-unchecked'), [10]);
  });

  it('after the #endif a guard holds only when every arm has one (the implicit #else has none)', () => {
    assert.deepEqual(lines(handler(`#ifdef CHECKED\n${CHECK}#else\n${CHECK}#endif\n${COPY}`), 'user-length-copy-unchecked'), []);
    assert.deepEqual(lines(handler(`#ifdef CHECKED\n${CHECK}#endif\n${COPY}`), 'user-length-copy-unchecked'), [9]);
    assert.deepEqual(lines(handler(`#if defined(A)\n${CHECK}#elif defined(B)\n${CHECK}#else\n    input = input;\n#endif\n${COPY}`), 'user-length-copy-unchecked'), [13]);
    assert.deepEqual(lines(handler(`${CHECK}#ifdef CHECKED\n    length = length;\n#endif\n${COPY}`), 'user-length-copy-unchecked'), []);
  });

  it('#if 0 is dead (no findings, no guards) and #if 1 is always taken', () => {
    assert.deepEqual(lines(handler(`#if 0\n${COPY}#endif`), 'user-length-copy-unchecked'), []);
    assert.deepEqual(lines(handler(`#if 0\n${CHECK}#endif\n${COPY}`), 'user-length-copy-unchecked'), [9]);
    assert.deepEqual(lines(handler(`#if 1\n${CHECK}#endif\n${COPY}`), 'user-length-copy-unchecked'), []);
    assert.deepEqual(lines(handler(`#if 1\n${CHECK}#else\n    length = 0;\n#endif\n${COPY}`), 'user-length-copy-unchecked'), []);
  });

  it('a flag set in one arm holds only in that configuration, and the message names the other', () => {
    const code = `NTSTATUS Open(PIRP Irp) {
    UNICODE_STRING name; OBJECT_ATTRIBUTES oa; HANDLE file; IO_STATUS_BLOCK io;
    ULONG flags = OBJ_KERNEL_HANDLE;
    name.Buffer = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;
#ifdef SAFE_OPEN
    flags |= OBJ_FORCE_ACCESS_CHECK;
#endif
    InitializeObjectAttributes(&oa, &name, flags, NULL, NULL);
    return ZwOpenFile(&file, GENERIC_READ, &oa, &io, 0, 0);
}`;
    const findings = analyzer.analyze({ text: code, fileName: 'o.c' }).findings.filter((finding) => finding.ruleId === 'kernel-file-access-no-force-check');
    assert.equal(findings.length, 1);
    assert.match(findings[0].message, /when `SAFE_OPEN` is not defined/);
    const fixed = code.replace('#ifdef SAFE_OPEN\n    flags |= OBJ_FORCE_ACCESS_CHECK;\n#endif', '#ifdef SAFE_OPEN\n    flags |= OBJ_FORCE_ACCESS_CHECK;\n#else\n    flags |= OBJ_FORCE_ACCESS_CHECK;\n#endif');
    assert.equal(analyzer.analyze({ text: fixed, fileName: 'o.c' }).findings.filter((finding) => finding.ruleId === 'kernel-file-access-no-force-check').length, 0);
  });

  it('the driver model sees IOCTL case labels inside #if arms, and not in #if 0', () => {
    const code = `#include <ntddk.h>
#define IOCTL_A CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_READ_ACCESS)
#define IOCTL_DEBUG CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_OLD CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS)
DRIVER_DISPATCH Control;
NTSTATUS Control(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
    switch (sp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_A:
        status = STATUS_SUCCESS;
        break;
#ifdef DBG
    case IOCTL_DEBUG:
        status = STATUS_SUCCESS;
        break;
#endif
#if 0
    case IOCTL_OLD:
        status = STATUS_SUCCESS;
        break;
#endif
    default:
        break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Control;
    return STATUS_SUCCESS;
}
`;
    withSourceFile(analyzer, code, 'd.c', (file) => {
      const labels = file.driver.ioctlSwitches().flatMap((item) => item.cases.map((entry) => entry.label.text));
      assert.deepEqual(labels, ['IOCTL_A', 'IOCTL_DEBUG']);
    });
  });
});
