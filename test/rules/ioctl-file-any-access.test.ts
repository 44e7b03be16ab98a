import { runRuleTests } from '../helpers/rule-tester';

const DISPATCH = (body: string) => `NTSTATUS D(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    switch (IrpSp->Parameters.DeviceIoControl.IoControlCode) {\n    case IOCTL_X:\n${body}\n        break;\n    default:\n        return STATUS_INVALID_DEVICE_REQUEST;\n    }\n    return STATUS_SUCCESS;\n}`;

runRuleTests('ioctl-file-any-access', {
  valid: [
    '#define IOCTL_X CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_READ_ACCESS)',
    '#define IOCTL_X CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)',
    { name: 'not an IOCTL', code: '#define DEFAULT_ACCESS FILE_ANY_ACCESS' },
  ],
  invalid: [
    {
      name: 'handler that writes device state',
      code: `#define IOCTL_X CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)\nULONG g_Mode;\n${DISPATCH('        ResetHardware(Irp);')}`,
      errors: [{ messageId: 'writes', line: 1, message: 'FILE_WRITE_ACCESS' }],
      suggestionOutput: `#define IOCTL_X CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_WRITE_ACCESS)\nULONG g_Mode;\n${DISPATCH('        ResetHardware(Irp);')}`,
    },
    {
      name: 'read-only handler',
      code: `#define IOCTL_X CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)\n${DISPATCH('        Irp->IoStatus.Information = 0;')}`,
      errors: [{ messageId: 'readOnly', line: 1 }],
      suggestionOutput: `#define IOCTL_X CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_READ_ACCESS)\n${DISPATCH('        Irp->IoStatus.Information = 0;')}`,
    },
    { name: 'handler not in this file', code: '#define IOCTL_Y CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, 0)', errors: [{ messageId: 'unknownHandler' }] },
    {
      name: 'FILE_SPECIAL_ACCESS is FILE_ANY_ACCESS: the message and the fix name the token as written',
      code: '#define IOCTL_PROTECT CTL_CODE (FILE_DEVICE_UNKNOWN, (0x800 + 2), METHOD_BUFFERED, FILE_SPECIAL_ACCESS)',
      errors: [{ messageId: 'unknownHandler', message: 'uses FILE_SPECIAL_ACCESS (the same as FILE_ANY_ACCESS)' }],
      suggestionOutput: '#define IOCTL_PROTECT CTL_CODE (FILE_DEVICE_UNKNOWN, (0x800 + 2), METHOD_BUFFERED, FILE_READ_ACCESS)',
    },
  ],
});
