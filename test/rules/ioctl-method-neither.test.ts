import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('ioctl-method-neither', {
  valid: [
    '#define IOCTL_A CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_READ_ACCESS)',
    '#define IOCTL_B CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_IN_DIRECT, FILE_WRITE_ACCESS)\n#define IOCTL_C CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)',
    {
      name: 'wrapper macro with a buffered method',
      code: '#define MY_CTL(f, m) CTL_CODE(0x8000, f, m, FILE_ANY_ACCESS)\n#define IOCTL_D MY_CTL(0x900, METHOD_BUFFERED)',
    },
    {
      name: 'literal code with method bits 0',
      code: 'NTSTATUS D(ULONG IoControlCode) {\n  switch (IoControlCode) {\n  case 0x222000: return 0;\n  default: return 1;\n  }\n}',
    },
    {
      name: 'a non-IOCTL define that mentions METHOD_NEITHER',
      code: '#define TRANSFER_KIND METHOD_NEITHER',
    },
  ],
  invalid: [
    {
      code: '#define IOCTL_A CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)',
      errors: [{ messageId: 'defined', line: 1, message: 'IOCTL_A' }],
      suggestionOutput: '#define IOCTL_A CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)',
    },
    {
      name: 'through a wrapper macro',
      code: '#define MY_CTL(f, m) CTL_CODE(0x8000, f, m, FILE_ANY_ACCESS)\n#define IOCTL_E MY_CTL(0x901, METHOD_NEITHER)',
      errors: [{ messageId: 'defined', line: 2 }],
      suggestionOutput: '#define MY_CTL(f, m) CTL_CODE(0x8000, f, m, FILE_ANY_ACCESS)\n#define IOCTL_E MY_CTL(0x901, METHOD_BUFFERED)',
    },
    {
      name: 'method given as its number',
      code: '#define IOCTL_F CTL_CODE(FILE_DEVICE_UNKNOWN, 0x810, 3, 0)',
      errors: [{ messageId: 'defined', line: 1 }],
    },
    {
      name: 'literal code in a switch',
      code: 'NTSTATUS D(ULONG IoControlCode) {\n  switch (IoControlCode) {\n  case 0x222003: return 0;\n  default: return 1;\n  }\n}',
      errors: [{ messageId: 'literal', line: 3, message: '0x222003' }],
    },
  ],
});
