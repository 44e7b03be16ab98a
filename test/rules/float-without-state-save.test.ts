import { runRuleTests } from '../helpers/rule-tester';

const KERNEL = '#include <ntddk.h>\n';

runRuleTests('float-without-state-save', {
  valid: [
    {
      name: 'state saved and restored around the arithmetic',
      code: `${KERNEL}NTSTATUS ScaleReading(ULONG raw, PULONG result) {
    XSTATE_SAVE save;
    NTSTATUS status = KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, &save);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    *result = (ULONG)(raw * 0.125);
    KeRestoreExtendedProcessorState(&save);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'a helper whose only caller saves the state',
      code: `${KERNEL}static double Angle(LONGLONG ticks) {
    return (double)ticks / 400000.0;
}
NTSTATUS Sample(LONGLONG ticks, PULONG degrees) {
    KFLOATING_SAVE save;
    NTSTATUS status = KeSaveFloatingPointState(&save);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    *degrees = (ULONG)Angle(ticks);
    KeRestoreFloatingPointState(&save);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'integer arithmetic only',
      code: `${KERNEL}ULONG Percent(ULONG part, ULONG whole) {
    return whole == 0 ? 0 : (part * 100) / whole;
}`,
    },
    {
      name: 'a user-mode (UMDF) file',
      code: `#include <windows.h>
#include <wudfddk.h>
double Average(double total, ULONG count) {
    return count ? total / count : 0.0;
}`,
    },
    {
      name: 'code built only for 64-bit targets',
      code: `${KERNEL}ULONG Scale(ULONG raw) {
#if defined(_WIN64)
    double scaled = raw * 0.125;
    return (ULONG)scaled;
#else
    return raw >> 3;
#endif
}`,
    },
    {
      name: 'annotated _Kernel_float_used_: the callers save',
      code: `${KERNEL}_Kernel_float_used_
ULONG Scale(ULONG raw) {
    return (ULONG)(raw * 0.125);
}`,
    },
    {
      name: 'a _Kernel_float_used_ helper called after a _Kernel_float_saved_ routine of the driver',
      code: `${KERNEL}_Kernel_float_saved_ NTSTATUS SaveFpu(PXSTATE_SAVE save);
_Kernel_float_restored_ VOID RestoreFpu(PXSTATE_SAVE save);
_Kernel_float_used_ ULONG Scale(ULONG raw);
ULONG Apply(ULONG raw) {
    XSTATE_SAVE save;
    ULONG result = 0;
    if (NT_SUCCESS(SaveFpu(&save))) {
        result = Scale(raw);
        RestoreFpu(&save);
    }
    return result;
}`,
    },
    {
      name: 'saved and restored at the same IRQL inside a spin lock',
      code: `${KERNEL}typedef struct _DEVICE_EXTENSION { KSPIN_LOCK Lock; ULONG Rate; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;
VOID Update(PDEVICE_EXTENSION ext) {
    KIRQL irql;
    KFLOATING_SAVE save;
    KeAcquireSpinLock(&ext->Lock, &irql);
    if (NT_SUCCESS(KeSaveFloatingPointState(&save))) {
        ext->Rate = (ULONG)(ext->Rate * 0.9);
        KeRestoreFloatingPointState(&save);
    }
    KeReleaseSpinLock(&ext->Lock, irql);
}`,
    },
  ],
  invalid: [
    {
      name: 'a double local in kernel code without a save',
      code: `${KERNEL}ULONG ScaleReading(ULONG raw) {
    double scaled = raw * 0.125;
    return (ULONG)scaled;
}`,
      errors: [{ messageId: 'unsaved', line: 3, message: 'ScaleReading uses floating point here without saving the processor state' }],
    },
    {
      name: 'a floating literal in a dispatch-level computation',
      code: `${KERNEL}VOID UpdateRate(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2) {
    PULONG rate = (PULONG)Context;
    *rate = (ULONG)(*rate * 1.5f);
    KeInsertQueueDpc(Dpc, NULL, NULL);
}`,
      errors: [{ messageId: 'unsaved', line: 4 }],
    },
    {
      name: 'a float parameter of a helper called without a save',
      code: `${KERNEL}ULONG Quantize(float level) {
    return (ULONG)(level * 255);
}
VOID Apply(PULONG out, ULONG raw) {
    *out = Quantize((float)raw);
}`,
      errors: [{ messageId: 'unsaved', line: 2 }, { messageId: 'unsaved', line: 6 }],
    },
      {
      name: 'a _Kernel_float_used_ function called without a save',
      code: `${KERNEL}_Kernel_float_used_ ULONG Scale(ULONG raw);
VOID Apply(PULONG out, ULONG raw) {
    *out = Scale(raw);
}`,
      errors: [{ messageId: 'unsavedCall', line: 4, message: 'Apply calls Scale, which is annotated _Kernel_float_used_, without saving the processor state first' }],
    },
    {
      name: 'saved at PASSIVE_LEVEL, restored while holding a spin lock',
      code: `${KERNEL}typedef struct _DEVICE_EXTENSION { KSPIN_LOCK Lock; ULONG Rate; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;
_IRQL_requires_(PASSIVE_LEVEL)
VOID Update(PDEVICE_EXTENSION ext) {
    KIRQL irql;
    KFLOATING_SAVE save;
    if (!NT_SUCCESS(KeSaveFloatingPointState(&save))) {
        return;
    }
    KeAcquireSpinLock(&ext->Lock, &irql);
    ext->Rate = (ULONG)(ext->Rate * 0.9);
    KeRestoreFloatingPointState(&save);
    KeReleaseSpinLock(&ext->Lock, irql);
}`,
      errors: [{ messageId: 'otherIrql', line: 12, message: 'KeRestoreFloatingPointState runs at DISPATCH_LEVEL, but KeSaveFloatingPointState on line 7 saved the state at PASSIVE_LEVEL' }],
    },
  ],
});
