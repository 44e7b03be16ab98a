import { runRuleTests } from '../helpers/rule-tester';

const TYPES = 'typedef struct _PEEK_REQUEST { ULONG_PTR Address; ULONG Value; USHORT Port; } PEEK_REQUEST, *PPEEK_REQUEST;\n';

const DISPATCH = (cases: string, before = '') => `${TYPES}${before}DRIVER_DISPATCH DispatchDeviceControl;

NTSTATUS
DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    PPEEK_REQUEST request = (PPEEK_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    NTSTATUS status = STATUS_SUCCESS;

    UNREFERENCED_PARAMETER(DeviceObject);
    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_GET_VERSION:
        request->Value = DRIVER_VERSION;
        break;
${cases}    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}
`;

const PEEK = `    case IOCTL_DEBUG_PEEK:
        request->Value = *(PULONG)request->Address;
        break;
`;

const PORT = `    case IOCTL_TEST_READ_PORT:
        request->Value = READ_PORT_UCHAR((PUCHAR)(ULONG_PTR)request->Port);
        break;
`;

runRuleTests('debug-ioctl-in-release', {
  valid: [
    { name: 'debug case under #if DBG', code: DISPATCH(`#if DBG\n${PEEK}#endif\n`) },
    { name: 'test case under #ifdef _DEBUG', code: DISPATCH(`#ifdef _DEBUG\n${PORT}#endif\n`) },
    { name: 'debug IOCTL that only returns driver statistics', code: DISPATCH('    case IOCTL_DEBUG_GET_STATS:\n        RtlCopyMemory(request, &g_Stats, sizeof(ULONG));\n        break;\n') },
    { name: 'hardware access in a normally named IOCTL is not this rule', code: DISPATCH('    case IOCTL_READ_STATUS_PORT:\n        request->Value = READ_PORT_UCHAR(g_StatusPort);\n        break;\n') },
    { name: 'name merely contains TEST inside a word', code: DISPATCH('    case IOCTL_LATEST_READ_PORT:\n        request->Value = READ_PORT_UCHAR((PUCHAR)(ULONG_PTR)request->Port);\n        break;\n') },
    { name: 'IOCTL defined only in debug builds', code: DISPATCH(PEEK, '#if DBG\n#define IOCTL_DEBUG_PEEK CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS)\n#endif\n') },
  ],
  invalid: [
    { name: 'debug peek of a request-supplied address', code: DISPATCH(PEEK), errors: [{ messageId: 'exposed', line: 16, message: 'dereferences an address from the request' }] },
    { name: 'test port read without a guard', code: DISPATCH(PORT), errors: [{ messageId: 'exposed', line: 16, message: 'READ_PORT_UCHAR' }] },
    { name: 'in the #else branch of #if DBG', code: DISPATCH(`#if DBG\n    case IOCTL_OTHER:\n        break;\n#else\n${PORT}#endif\n`), errors: [{ messageId: 'exposed', line: 20 }] },
    {
      name: 'test IOCTL whose helper maps physical memory',
      code: DISPATCH('    case IOCTL_DBG_MAP:\n        status = DebugMap(request);\n        break;\n', 'NTSTATUS DebugMap(PPEEK_REQUEST Request)\n{\n    PHYSICAL_ADDRESS address;\n    address.QuadPart = Request->Address;\n    return MmMapIoSpace(address, PAGE_SIZE, MmNonCached) ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;\n}\n'),
      errors: [{ messageId: 'exposed', line: 22, message: 'calls MmMapIoSpace (in DebugMap)' }],
    },
  ],
});
