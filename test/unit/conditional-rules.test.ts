/**
 * Rules that search text order for an earlier check (a validator call, a zeroing call, a termination, an access
 * check, an ObReferenceObjectByHandle with the caller's mode) go through analysis/conditional.ts: the check holds in
 * its own `#if` arm, after the `#endif` only when every arm has it, and never from a dead (`#if 0`) arm.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createAnalyzer, type Analyzer } from '../../server/src/core';

interface Scenario {
  rule: string;
  /** The file, with `@` where the check and the use go. */
  template: string;
  check: string;
  use: string;
}

const SCENARIOS: Scenario[] = [
  {
    rule: 'uninitialized-output-buffer',
    template: 'typedef struct _REPLY { ULONG Version; ULONG64 Time; } REPLY;\nNTSTATUS Q(PIRP Irp) {\n    REPLY reply;\n@    return 0;\n}\n',
    check: '    RtlZeroMemory(&reply, sizeof(reply));\n',
    use: '    reply.Version = 1;\n    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, &reply, sizeof(reply));\n',
  },
  {
    rule: 'zw-with-user-handle',
    template: 'typedef struct _FILE_REQUEST { HANDLE File; ULONG Value; UCHAR Data[64]; } FILE_REQUEST, *PFILE_REQUEST;\n'
      + 'NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PFILE_REQUEST request = (PFILE_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n'
      + '    IO_STATUS_BLOCK io;\n    PFILE_OBJECT file;\n    NTSTATUS status = STATUS_SUCCESS;\n@    return status;\n}\n',
    check: '    status = ObReferenceObjectByHandle(request->File, FILE_WRITE_DATA, *IoFileObjectType, Irp->RequestorMode, (PVOID *)&file, NULL);\n    if (!NT_SUCCESS(status)) return status;\n',
    use: '    status = ZwWriteFile(request->File, NULL, NULL, NULL, &io, request->Data, sizeof(request->Data), NULL, NULL);\n',
  },
  {
    rule: 'unicode-string-length-trust',
    template: 'UNICODE_STRING g_Name;\nNTSTATUS SetName(PIRP Irp) {\n    PUNICODE_STRING name = (PUNICODE_STRING)Irp->AssociatedIrp.SystemBuffer;\n    NTSTATUS status;\n@    return STATUS_SUCCESS;\n}\n',
    check: '    status = RtlValidateUnicodeString(0, name);\n',
    use: '    RtlCopyUnicodeString(&g_Name, name);\n',
  },
  {
    rule: 'unterminated-string-from-user',
    template: 'typedef struct _LOG_REQUEST { ULONG Level; CHAR Text[64]; } LOG_REQUEST, *PLOG_REQUEST;\nNTSTATUS Log(PIRP Irp) {\n'
      + '    PLOG_REQUEST request = (PLOG_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n@    return STATUS_SUCCESS;\n}\n',
    check: '    request->Text[RTL_NUMBER_OF(request->Text) - 1] = 0;\n',
    use: '    DbgPrint("log: %s\\n", request->Text);\n',
  },
  {
    rule: 'ioctl-privileged-op-no-caller-check',
    template: 'typedef struct _MAP_REQUEST { PHYSICAL_ADDRESS Address; SIZE_T Length; } MAP_REQUEST, *PMAP_REQUEST;\nDRIVER_DISPATCH DispatchDeviceControl;\n'
      + 'NTSTATUS\nDoIt(PIRP Irp)\n{\n    PMAP_REQUEST request = (PMAP_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    PVOID mapped = NULL;\n@    return mapped ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;\n}\n'
      + 'NTSTATUS\nDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)\n{\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;\n'
      + '    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {\n    case IOCTL_DO_IT:\n        status = DoIt(Irp);\n        break;\n    default:\n        break;\n    }\n'
      + '    Irp->IoStatus.Status = status;\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    return status;\n}\n',
    check: '    if (!SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_TCB_PRIVILEGE), Irp->RequestorMode)) {\n        return STATUS_PRIVILEGE_NOT_HELD;\n    }\n',
    use: '    mapped = MmMapIoSpace(request->Address, request->Length, MmNonCached);\n',
  },
  {
    rule: 'ioctl-handler-no-default-fail',
    template: 'NTSTATUS DeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)\n{\n    ULONG code = IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode;\n'
      + '    NTSTATUS status = STATUS_SUCCESS;\n@    return CompleteRequest(Irp, status);\n}\n',
    check: '    if (!IsSupportedIoctl(code)) {\n        return CompleteRequest(Irp, STATUS_INVALID_DEVICE_REQUEST);\n    }\n',
    use: '    switch (code) {\n    case IOCTL_GET_VERSION:\n        status = GetVersion(Irp);\n        break;\n    }\n',
  },
  {
    rule: 'probe-length-mismatch',
    template: 'typedef struct _MESSAGE { ULONG Length; UCHAR Data[1]; } MESSAGE, *PMESSAGE;\nNTSTATUS Neither(PIRP Irp, PIO_STACK_LOCATION irpSp) {\n'
      + '    PMESSAGE user = (PMESSAGE)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    ULONG inLen = irpSp->Parameters.DeviceIoControl.InputBufferLength;\n'
      + '    UCHAR local[64];\n    ULONG length;\n    __try {\n        ProbeForRead(user, inLen, 1);\n        length = user->Length;\n        if (length > sizeof(local)) return STATUS_INVALID_PARAMETER;\n'
      + '@    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}\n',
    check: '        if (length > inLen) return STATUS_INVALID_PARAMETER;\n',
    use: '        RtlCopyMemory(local, user, length);\n',
  },
];

describe('rules that search for an earlier check see #if arms as alternatives', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });
  const count = (scenario: Scenario, body: string) => analyzer.analyze({ text: scenario.template.replace('@', body), fileName: 'c.c' }).findings
    .filter((finding) => finding.ruleId === scenario.rule).length;

  for (const scenario of SCENARIOS) {
    const { check, use } = scenario;
    it(`${scenario.rule}: the check holds in its arm and after every arm, not from another or a dead arm`, () => {
      // The controls: without the check the rule reports, with it the rule is silent.
      assert.equal(count(scenario, use), 1, 'no check: reported');
      assert.equal(count(scenario, check + use), 0, 'checked: silent');
      assert.equal(count(scenario, `#ifdef SAFE\n${check}${use}#endif\n`), 0, 'check and use in one arm');
      assert.equal(count(scenario, `#ifdef SAFE\n${check}${use}#else\n${use}#endif\n`), 1, 'the #else arm has no check');
      assert.equal(count(scenario, `#ifdef SAFE\n${check}#else\n${check}#endif\n${use}`), 0, 'every arm checks');
      assert.equal(count(scenario, `#ifdef SAFE\n${check}#endif\n${use}`), 1, 'the implicit #else has no check');
      assert.equal(count(scenario, `#if 0\n${check}#endif\n${use}`), 1, '#if 0 checks nothing');
      assert.equal(count(scenario, `#if 1\n${check}#endif\n${use}`), 0, '#if 1 is always taken');
    });
  }
});

describe('uninitialized-local-use: #if arms are alternative paths', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });
  const fn = (body: string) => `NTSTATUS Pick(PIRP Irp, ULONG mode) {\n    PVOID buffer;\n${body}    RtlZeroMemory(buffer, 16);\n    return STATUS_SUCCESS;\n}\n`;
  const ASSIGN = '    buffer = Irp->AssociatedIrp.SystemBuffer;\n';
  const lines = (code: string) => analyzer.analyze({ text: code, fileName: 'u.c' }).findings
    .filter((finding) => finding.ruleId === 'uninitialized-local-use').map((finding) => finding.range.start.line + 1);

  it('assigned in one arm only: the other configuration uses it uninitialized', () => {
    assert.deepEqual(lines(fn(`    if (mode) {\n${ASSIGN}    }\n`)), [6], 'control: assigned on some paths');
    assert.deepEqual(lines(fn(`#ifdef FAST\n${ASSIGN}#endif\n`)), [6]);
    assert.deepEqual(lines(fn(`#ifdef FAST\n${ASSIGN}#else\n    mode = 0;\n#endif\n`)), [8]);
  });

  it('assigned in every arm, in #if 1, or before the chain: initialized', () => {
    assert.deepEqual(lines(fn(ASSIGN)), []);
    assert.deepEqual(lines(fn(`#ifdef FAST\n${ASSIGN}#else\n${ASSIGN}#endif\n`)), []);
    assert.deepEqual(lines(fn(`#if 1\n${ASSIGN}#endif\n`)), []);
    assert.deepEqual(lines(fn(`#if 1\n${ASSIGN}#else\n    mode = 0;\n#endif\n`)), []);
    assert.deepEqual(lines(fn(`${ASSIGN}#ifdef FAST\n    mode = 0;\n#endif\n`)), []);
  });

  it('chains testing the same condition go together (declared, assigned and used under one macro)', () => {
    const code = `VOID Measure(VOID) {\n#if defined(TIMING)\n    LARGE_INTEGER start;\n#endif\n    KeStallExecutionProcessor(1);\n`
      + `#if defined(TIMING)\n    start = KeQueryPerformanceCounter(NULL);\n#endif\n    KeStallExecutionProcessor(1);\n`
      + `#if defined(TIMING)\n    DbgPrint("%I64d", start.QuadPart);\n#endif\n}\n`;
    assert.deepEqual(lines(code), []);
  });

  it('an assignment in #if 0 assigns nothing', () => {
    assert.deepEqual(lines(fn(`    if (mode) {\n${ASSIGN}    }\n#if 0\n${ASSIGN}#endif\n`)), [9]);
  });
});
