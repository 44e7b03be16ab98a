import { runRuleTests } from '../helpers/rule-tester';

const HELPER = 'NTSTATUS LookUp(PUNICODE_STRING name) {\n    return name->Length == 0 ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;\n}\n';

runRuleTests('allocated-string-not-freed', {
  valid: [
    {
      name: 'freed after use',
      code: `${HELPER}NTSTATUS OpenByName(PANSI_STRING name) {
    UNICODE_STRING wide;
    NTSTATUS status = RtlAnsiStringToUnicodeString(&wide, name, TRUE);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = LookUp(&wide);
    RtlFreeUnicodeString(&wide);
    return status;
}`,
    },
    {
      name: 'converted into a caller-supplied buffer (AllocateDestinationString FALSE)',
      code: `NTSTATUS Convert(PANSI_STRING name, PUNICODE_STRING out) {
    UNICODE_STRING wide;
    wide.Buffer = out->Buffer;
    wide.MaximumLength = out->MaximumLength;
    return RtlAnsiStringToUnicodeString(&wide, name, FALSE);
}`,
    },
    {
      name: 'the string is stored in the device extension (freed at removal)',
      code: `typedef struct _DEVICE_EXTENSION { UNICODE_STRING InterfaceName; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;
NTSTATUS SaveName(PDEVICE_EXTENSION ext, PCWSTR source) {
    UNICODE_STRING copy;
    if (!RtlCreateUnicodeString(&copy, source)) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ext->InterfaceName = copy;
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'handed to a routine of another file that may keep it',
      code: `NTSTATUS Register(PCWSTR source) {
    UNICODE_STRING name;
    if (!RtlCreateUnicodeString(&name, source)) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    return AddToNameTable(&name);
}`,
    },
  ],
  invalid: [
    {
      name: 'converted with allocation, used, never freed',
      code: `${HELPER}NTSTATUS OpenByName(PANSI_STRING name) {
    UNICODE_STRING wide;
    NTSTATUS status = RtlAnsiStringToUnicodeString(&wide, name, TRUE);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    return LookUp(&wide);
}`,
      errors: [{ messageId: 'leaked', line: 6, message: 'RtlAnsiStringToUnicodeString allocates the buffer of `wide`, but OpenByName never calls RtlFreeUnicodeString(&wide): the buffer leaks on every call.' }],
    },
    {
      name: 'RtlCreateUnicodeString copy read by system routines only',
      code: `NTSTATUS OpenKey(PCWSTR path, PHANDLE key) {
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    if (!RtlCreateUnicodeString(&name, path)) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    return ZwOpenKey(key, KEY_READ, &attributes);
}`,
      errors: [{ messageId: 'leaked', line: 4 }],
    },
    {
      name: 'an upcased ANSI copy leaked in a dispatch helper',
      code: `NTSTATUS MatchName(PUNICODE_STRING name, PCSZ expected) {
    ANSI_STRING upper;
    ANSI_STRING target;
    NTSTATUS status = RtlUpcaseUnicodeStringToAnsiString(&upper, name, TRUE);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    RtlInitAnsiString(&target, expected);
    return RtlEqualString(&upper, &target, FALSE) ? STATUS_SUCCESS : STATUS_NOT_FOUND;
}`,
      errors: [{ messageId: 'leaked', line: 4, message: /never calls RtlFreeAnsiString\(&upper\)/ }],
    },
  ],
});
