import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('strsafe-in-kernel', {
  valid: [
    {
      name: 'WDM: ntstrsafe.h in a kernel file',
      code: `#include <ntddk.h>
#include <ntstrsafe.h>
NTSTATUS Name(PWCHAR name, size_t count) {
    return RtlStringCchCopyW(name, count, L"Device");
}`,
    },
    {
      name: 'UMDF 2: wdf.h with windows.h (user mode, strsafe.h is the right header)',
      code: `#include <windows.h>
#include <strsafe.h>
#include <wudfwdm.h>
#include <wdf.h>
HRESULT Name(PWCHAR name, size_t count) {
    return StringCchCopyW(name, count, L"Device");
}`,
    },
    {
      name: 'a shared header choosing the library by mode',
      code: `#include <wdm.h>
#ifdef _KERNEL_MODE
#include <ntstrsafe.h>
#else
#include <strsafe.h>
#endif`,
    },
    {
      name: 'KMDF source without a kernel header of its own (included through driver.h, not in sight)',
      code: `#include "driver.h"
#include <strsafe.h>
VOID Log(PCHAR text, size_t count) { StringCchCopyA(text, count, "x"); }`,
    },
  ],
  invalid: [
    {
      name: 'WDM: strsafe.h next to ntddk.h, StringCch* calls named in the message',
      code: `#include <ntddk.h>
#include <strsafe.h>
NTSTATUS Name(PWCHAR name, size_t count) {
    return StringCchCopyW(name, count, L"Device");
}`,
      errors: [{ messageId: 'strsafe', line: 2, message: 'Kernel-mode file (it includes ntddk.h) includes `<strsafe.h>`, the user-mode string library; include `<ntstrsafe.h>` and use its Rtl* routines (this file calls StringCchCopyW → RtlStringCchCopyW).' }],
      suggestionOutput: `#include <ntddk.h>
#include <ntstrsafe.h>
NTSTATUS Name(PWCHAR name, size_t count) {
    return StringCchCopyW(name, count, L"Device");
}`,
    },
    {
      name: 'KMDF header: quoted include inside an include guard',
      code: `#ifndef _DRIVER_H_
#define _DRIVER_H_
#include <ntddk.h>
#include <wdf.h>
#include "strsafe.h"
#endif`,
      errors: [{ messageId: 'strsafe', line: 5, message: 'Kernel-mode file (it includes ntddk.h) includes `"strsafe.h"`' }],
      suggestionOutput: `#ifndef _DRIVER_H_
#define _DRIVER_H_
#include <ntddk.h>
#include <wdf.h>
#include <ntstrsafe.h>
#endif`,
    },
  ],
});
