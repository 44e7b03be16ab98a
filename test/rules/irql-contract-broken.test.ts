import { runRuleTests } from '../helpers/rule-tester';

const HEAD = 'typedef struct _DEVICE_EXTENSION { KSPIN_LOCK Lock; LIST_ENTRY Queue; PIO_WORKITEM DrainWorkItem; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\n';

runRuleTests('irql-contract-broken', {
  valid: [
    {
      name: 'raise and lower back to the saved IRQL',
      code: `${HEAD}VOID Touch(PDEVICE_EXTENSION ext) {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    InitializeListHead(&ext->Queue);
    KeLowerIrql(old);
}`,
    },
    {
      name: 'a DPC that defers passive work to a work item',
      code: `${HEAD}_IRQL_requires_(DISPATCH_LEVEL)
VOID DrainQueue(PDEVICE_EXTENSION ext) {
    IoQueueWorkItem(ext->DrainWorkItem, DrainWorker, DelayedWorkQueue, ext);
}`,
    },
    {
      name: 'annotated _IRQL_raises_ and returns raised, saving the old IRQL for the caller',
      code: `${HEAD}_IRQL_raises_(DISPATCH_LEVEL)
VOID AcquireQueue(PDEVICE_EXTENSION ext, _Out_ _IRQL_saves_ PKIRQL OldIrql) {
    KeRaiseIrql(DISPATCH_LEVEL, OldIrql);
    KeAcquireSpinLockAtDpcLevel(&ext->Lock);
}`,
    },
    {
      name: 'an _IRQL_restores_ parameter handed to KeLowerIrql',
      code: `${HEAD}VOID ReleaseQueue(PDEVICE_EXTENSION ext, _In_ _IRQL_restores_ KIRQL OldIrql) {
    KeReleaseSpinLockFromDpcLevel(&ext->Lock);
    KeLowerIrql(OldIrql);
}`,
    },
    {
      name: 'raising to DISPATCH_LEVEL in a routine that may already be there (unknown entry IRQL)',
      code: `${HEAD}VOID MaybeRaise(PDEVICE_EXTENSION ext) {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    InitializeListHead(&ext->Queue);
    KeLowerIrql(old);
}`,
    },
  ],
  invalid: [
    {
      name: 'a DISPATCH_LEVEL routine lowers to PASSIVE_LEVEL',
      code: `${HEAD}_IRQL_requires_(DISPATCH_LEVEL)
VOID DrainQueue(PDEVICE_EXTENSION ext) {
    KeLowerIrql(PASSIVE_LEVEL);
    ProcessEntries(ext);
    KeRaiseIrqlToDpcLevel();
}`,
      errors: [{ messageId: 'belowEntry', line: 4, message: 'KeLowerIrql(PASSIVE_LEVEL) lowers below the IRQL DrainQueue is called at (DISPATCH_LEVEL' }],
    },
    {
      name: 'raising to a lower IRQL while holding a spin lock',
      code: `${HEAD}VOID Mixed(PDEVICE_EXTENSION ext) {
    KIRQL lockIrql;
    KIRQL old;
    KeAcquireSpinLock(&ext->Lock, &lockIrql);
    KeRaiseIrql(APC_LEVEL, &old);
    KeLowerIrql(old);
    KeReleaseSpinLock(&ext->Lock, lockIrql);
}`,
      errors: [{ messageId: 'raiseToLower', line: 6, message: 'KeRaiseIrql(APC_LEVEL) runs at DISPATCH_LEVEL here' }],
    },
    {
      name: 'lowering to a higher IRQL after a lower',
      code: `${HEAD}VOID Wrong(PDEVICE_EXTENSION ext) {
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    KeLowerIrql(DISPATCH_LEVEL);
}`,
      errors: [{ messageId: 'lowerToHigher', line: 5 }],
    },
    {
      name: 'returns raised after KeRaiseIrql on an error path',
      code: `${HEAD}NTSTATUS Update(PDEVICE_EXTENSION ext, ULONG value) {
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    if (value == 0) {
        return STATUS_INVALID_PARAMETER;
    }
    InitializeListHead(&ext->Queue);
    KeLowerIrql(old);
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'leavesRaised', line: 6, message: /Update returns at DISPATCH_LEVEL here: KeRaiseIrql on line 4 raised it/ }],
    },
    {
      name: 'an _IRQL_saves_ parameter never written and an IRQL no processor has',
      code: `${HEAD}VOID Save(PDEVICE_EXTENSION ext, _Out_ _IRQL_saves_ PKIRQL OldIrql) {
    KIRQL local;
    KeRaiseIrql(0x40, &local);
    KeLowerIrql(local);
}`,
      errors: [{ messageId: 'savesNotWritten', line: 2 }, { messageId: 'noSuchIrql', line: 4 }],
    },
    {
      name: 'an _IRQL_restores_ parameter never used',
      code: `${HEAD}VOID Release(PDEVICE_EXTENSION ext, _In_ _IRQL_restores_ KIRQL OldIrql) {
    KeReleaseSpinLockFromDpcLevel(&ext->Lock);
}`,
      errors: [{ messageId: 'restoresNotUsed', line: 2, message: '`OldIrql` is annotated _IRQL_restores_, but Release never restores the IRQL from it' }],
    },
    {
      name: 'an _IRQL_raises_ promise not kept on one path',
      code: `${HEAD}_IRQL_requires_max_(APC_LEVEL)
_IRQL_raises_(DISPATCH_LEVEL)
KIRQL LockQueue(PDEVICE_EXTENSION ext, BOOLEAN skip) {
    KIRQL old = PASSIVE_LEVEL;
    if (skip) {
        return old;
    }
    KeAcquireSpinLock(&ext->Lock, &old);
    return old;
}`,
      errors: [{ messageId: 'raisesBroken', line: 7 }],
    },
  ],
});
