import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('secret-not-securely-cleared', {
  valid: [
    {
      name: 'RtlSecureZeroMemory before return',
      code: `NTSTATUS Unwrap(PUCHAR wrapped, ULONG length) {
    UCHAR sessionKey[32];
    NTSTATUS status = DeriveKey(wrapped, length, sessionKey, sizeof(sessionKey));
    RtlSecureZeroMemory(sessionKey, sizeof(sessionKey));
    return status;
}`,
    },
    {
      name: 'the buffer is used after the wipe (the store is not dead)',
      code: `NTSTATUS Reset(VOID) {
    UCHAR password[64];
    RtlZeroMemory(password, sizeof(password));
    return ReadPassword(password, sizeof(password));
}`,
    },
    {
      name: 'registry key information is not key material',
      code: `NTSTATUS Query(HANDLE key) {
    UCHAR keyValue[128];
    ULONG result;
    NTSTATUS status = ZwQueryValueKey(key, &g_Name, KeyValuePartialInformation, keyValue, sizeof(keyValue), &result);
    RtlZeroMemory(keyValue, sizeof(keyValue));
    return status;
}`,
    },
    {
      name: 'a caller-owned buffer wiped and not freed here',
      code: `VOID Forget(PUCHAR secret, ULONG length) {
    RtlZeroMemory(secret, length);
}`,
    },
    {
      name: 'a non-secret buffer wiped before return',
      code: `NTSTATUS Format(VOID) {
    CHAR message[64];
    RtlZeroMemory(message, sizeof(message));
    return STATUS_SUCCESS;
}`,
    },
  ],
  invalid: [
    {
      name: 'a local key wiped with RtlZeroMemory before return',
      code: `NTSTATUS Unwrap(PUCHAR wrapped, ULONG length) {
    UCHAR sessionKey[32];
    NTSTATUS status = DeriveKey(wrapped, length, sessionKey, sizeof(sessionKey));
    if (NT_SUCCESS(status)) {
        status = InstallKey(sessionKey, sizeof(sessionKey));
    }
    RtlZeroMemory(sessionKey, sizeof(sessionKey));
    return status;
}`,
      errors: [{ messageId: 'removable', line: 7, message: '`sessionKey` holds a secret and RtlZeroMemory is the last write before it goes out of scope' }],
      output: `NTSTATUS Unwrap(PUCHAR wrapped, ULONG length) {
    UCHAR sessionKey[32];
    NTSTATUS status = DeriveKey(wrapped, length, sessionKey, sizeof(sessionKey));
    if (NT_SUCCESS(status)) {
        status = InstallKey(sessionKey, sizeof(sessionKey));
    }
    RtlSecureZeroMemory(sessionKey, sizeof(sessionKey));
    return status;
}`,
    },
    {
      name: 'a pool block of credentials wiped with memset and freed',
      code: `typedef struct _CREDENTIAL { WCHAR User[64]; WCHAR Password[64]; } CREDENTIAL, *PCREDENTIAL;
VOID DropCredential(PCREDENTIAL credential) {
    memset(credential, 0, sizeof(*credential));
    ExFreePoolWithTag(credential, 'derC');
}`,
      errors: [{ messageId: 'removable', line: 3, message: /before it is freed/ }],
      output: `typedef struct _CREDENTIAL { WCHAR User[64]; WCHAR Password[64]; } CREDENTIAL, *PCREDENTIAL;
VOID DropCredential(PCREDENTIAL credential) {
    RtlSecureZeroMemory(credential, sizeof(*credential));
    ExFreePoolWithTag(credential, 'derC');
}`,
    },
    {
      name: 'a password field of a local structure filled with zeros',
      code: `typedef struct _LOGON { WCHAR Password[64]; ULONG Flags; } LOGON;
NTSTATUS CheckLogon(PLOGON_REQUEST request) {
    LOGON logon;
    NTSTATUS status = CaptureLogon(request, &logon);
    RtlFillMemory(logon.Password, sizeof(logon.Password), 0);
    return status;
}`,
      errors: [{ messageId: 'removable', line: 5 }],
      output: `typedef struct _LOGON { WCHAR Password[64]; ULONG Flags; } LOGON;
NTSTATUS CheckLogon(PLOGON_REQUEST request) {
    LOGON logon;
    NTSTATUS status = CaptureLogon(request, &logon);
    RtlSecureZeroMemory(logon.Password, sizeof(logon.Password));
    return status;
}`,
    },
  ],
});
