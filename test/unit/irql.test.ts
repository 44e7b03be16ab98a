import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Analyzer, type Rule } from '../../server/src/core';
import { calleeIrqlRange, entryIrql, irqlPaths, irqlValue, parseIrqlAnnotations } from '../../server/src/analysis/irql';
import { calleeName } from '../../server/src/analysis/query';

/** A probe rule: at every `Probe()` call, reports the IRQL range on each path (`low-high`, `may` for a completion routine's entry state). */
const probe: Rule = {
  meta: { id: 'irql-probe', title: 'probe', type: 'problem', severity: 'error', checklistItem: 'checklist.secure-coding', description: 'probe', rationale: 'probe', confidence: 'high', messages: { at: '{{states}}', entry: 'entry {{range}}', range: 'range {{range}}', none: 'none' } },
  create(context) {
    const { file } = context;
    return {
      call_expression() {},
      declaration() {},
      assignment_expression() {},
      onEnd() {
        for (const fn of file.functions()) {
          if (!fn.body) continue;
          const entry = entryIrql(file, fn);
          context.report({ node: fn.node, messageId: 'entry', data: { range: `${fn.name} ${entry.low}-${entry.high}` } });
          const paths = irqlPaths(file, fn);
          for (const call of file.within(fn.body, 'call_expression')) {
            const name = calleeName(call);
            if (name === 'Range') {
              const inner = call.namedChildren[1]?.namedChildren[0];
              const range = inner ? calleeIrqlRange(inner) : undefined;
              context.report({ node: call, messageId: 'range', data: { range: range ? `${range.low}-${range.high}` : 'none' } });
            }
            if (name !== 'Probe') continue;
            if (!paths) {
              context.report({ node: call, messageId: 'none' });
              continue;
            }
            const node = paths.flowNodeOf(call)!;
            const states = paths.statesAt(node, call.startIndex).map((state) => `${state.low}-${state.high}${state.mayDispatch ? ' may' : ''}`);
            context.report({ node: call, messageId: 'at', data: { states: [...new Set(states)].sort().join(',') } });
          }
        }
      },
    };
  },
};

describe('irql', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create([probe]);
  });
  const messages = (code: string): string[] => analyzer.analyze({ text: code, fileName: 'irql.c' }).findings.map((finding) => finding.message);
  const probes = (code: string): string[] => messages(code).filter((message) => !message.startsWith('entry ') && !message.startsWith('range '));
  const entries = (code: string): string[] => messages(code).filter((message) => message.startsWith('entry ')).map((message) => message.slice(6));

  it('names and numbers of IRQLs', () => {
    assert.equal(irqlValue('PASSIVE_LEVEL'), 0);
    assert.equal(irqlValue('APC_LEVEL'), 1);
    assert.equal(irqlValue('DISPATCH_LEVEL'), 2);
    assert.equal(irqlValue(' (DISPATCH_LEVEL) '), 2);
    assert.equal(irqlValue('2'), 2);
    assert.equal(irqlValue('HIGH_LEVEL'), 15);
    assert.equal(irqlValue('oldIrql'), undefined);
    assert.equal(irqlValue('99'), undefined);
  });

  it('parses SAL IRQL annotations', () => {
    assert.deepEqual(parseIrqlAnnotations('_IRQL_requires_max_(DISPATCH_LEVEL)\n_IRQL_requires_min_(APC_LEVEL)'), { max: 2, min: 1 });
    assert.deepEqual(parseIrqlAnnotations('_IRQL_requires_(PASSIVE_LEVEL) _Function_class_(KDEFERRED_ROUTINE)'), { requires: 0, functionClass: 'KDEFERRED_ROUTINE' });
    assert.deepEqual(parseIrqlAnnotations('_IRQL_raises_(DISPATCH_LEVEL) _IRQL_saves_'), { raises: 2 });
    assert.deepEqual(parseIrqlAnnotations('_IRQL_requires_max_(Level)'), {});
  });

  it('entry IRQL from annotations (definition and prototype) and callback roles', () => {
    const code = `_IRQL_requires_(DISPATCH_LEVEL)
VOID Locked(PVOID p) { }
_IRQL_requires_max_(APC_LEVEL)
VOID Proto(PVOID p);
_Use_decl_annotations_
VOID Proto(PVOID p) { }
VOID MyDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2) { }
VOID MyIsrHelper(PVOID p) { }
BOOLEAN MyIsr(PKINTERRUPT Interrupt, PVOID Context) { return TRUE; }
NTSTATUS Done(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) { return STATUS_SUCCESS; }
KDEFERRED_ROUTINE TypedDpc;
VOID TypedDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2) { }
NTSTATUS AddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo) { return STATUS_SUCCESS; }
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    DriverObject->DriverExtension->AddDevice = AddDevice;
    KeInitializeDpc(&Dpc, MyDpc, NULL);
    IoConnectInterrupt(&Interrupt, MyIsr, NULL, NULL, 0, 0, 0, 0, FALSE, 0, FALSE);
    IoSetCompletionRoutine(Irp, Done, NULL, TRUE, TRUE, TRUE);
    return STATUS_SUCCESS;
}`;
    assert.deepEqual(entries(code), ['Locked 2-2', 'Proto 0-1', 'MyDpc 2-2', 'MyIsrHelper 0-15', 'MyIsr 3-15', 'Done 0-2', 'TypedDpc 2-2', 'AddDevice 0-0', 'DriverEntry 0-0']);
  });

  it('raise and lower, spin locks and their nesting', () => {
    assert.deepEqual(probes(`_IRQL_requires_(PASSIVE_LEVEL) VOID F(PKSPIN_LOCK a, PKSPIN_LOCK b) {
    KIRQL old, inner;
    Probe();
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    Probe();
    KeLowerIrql(old);
    Probe();
    KeAcquireSpinLock(a, &old);
    KeAcquireSpinLockAtDpcLevel(b);
    Probe();
    KeReleaseSpinLockFromDpcLevel(b);
    Probe();
    KeReleaseSpinLock(a, old);
    Probe();
}`), ['0-0', '2-2', '0-0', '2-2', '2-2', '0-0']);
  });

  it('in-stack queued, raise-to-DPC, WDF spin locks and fast mutexes restore what they saved', () => {
    assert.deepEqual(probes(`_IRQL_requires_max_(APC_LEVEL) VOID F(PKSPIN_LOCK a, WDFSPINLOCK w, PFAST_MUTEX m) {
    KLOCK_QUEUE_HANDLE h;
    KIRQL old;
    KeAcquireInStackQueuedSpinLock(a, &h);
    Probe();
    KeReleaseInStackQueuedSpinLock(&h);
    Probe();
    old = KeAcquireSpinLockRaiseToDpc(a);
    Probe();
    KeReleaseSpinLock(a, old);
    WdfSpinLockAcquire(w);
    Probe();
    WdfSpinLockRelease(w);
    ExAcquireFastMutex(m);
    Probe();
    ExReleaseFastMutex(m);
    Probe();
}`), ['2-2', '0-1', '2-2', '2-2', '1-1', '0-1']);
  });

  it('paths join: a lock taken on one branch only gives a range', () => {
    assert.deepEqual(probes(`_IRQL_requires_(PASSIVE_LEVEL) VOID F(PKSPIN_LOCK a, int c) {
    KIRQL old;
    if (c) KeAcquireSpinLock(a, &old);
    Probe();
}`), ['0-0,2-2']);
  });

  it('an unknown saved IRQL or a helper that receives it restores "unknown below"', () => {
    assert.deepEqual(probes(`VOID Unlock(PKSPIN_LOCK a, KIRQL old);
VOID F(PKSPIN_LOCK a, KIRQL saved) {
    KIRQL old;
    KeAcquireSpinLock(a, &old);
    Unlock(a, old);
    Probe();
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeLowerIrql(saved);
    Probe();
}`), ['0-2', '0-2']);
  });

  it('_IRQL_raises_ on a callee of this file sets the level', () => {
    assert.deepEqual(probes(`_IRQL_raises_(DISPATCH_LEVEL) KIRQL LockIt(PDEVICE_EXTENSION e) { KIRQL o; KeAcquireSpinLock(&e->Lock, &o); return o; }
_IRQL_requires_(PASSIVE_LEVEL) VOID F(PDEVICE_EXTENSION e) {
    KIRQL o = LockIt(e);
    Probe();
}`), ['2-2']);
  });

  it('a completion routine starts "may be at DISPATCH_LEVEL"; a function reading KeGetCurrentIrql is not tracked', () => {
    assert.deepEqual(probes(`NTSTATUS Done(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) { Probe(); return STATUS_SUCCESS; }
VOID F(PIRP Irp) { IoSetCompletionRoutine(Irp, Done, NULL, TRUE, TRUE, TRUE); }
VOID G(VOID) { if (KeGetCurrentIrql() == PASSIVE_LEVEL) { Probe(); } }`), ['0-2 may', 'none']);
  });

  it('the callee table reads the arguments that decide the limit', () => {
    const ranges = messages(`VOID F(VOID) {
    Range(ZwClose(h));
    Range(ExAllocatePool2(POOL_FLAG_PAGED, 8, 'gaT1'));
    Range(ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 'gaT1'));
    Range(ExAllocatePool2(flags, 8, 'gaT1'));
    Range(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, NULL));
    Range(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero));
    Range(KeSetEvent(&e, 0, TRUE));
    Range(KeSetEvent(&e, 0, FALSE));
    Range(KeAcquireSpinLockAtDpcLevel(&l));
    Range(RtlCopyMemory(a, b, 4));
}`).filter((message) => message.startsWith('range ')).map((message) => message.slice(6));
    assert.deepEqual(ranges, ['0-0', '0-1', '0-2', 'none', '0-1', 'none', '0-1', '0-2', '2-2', 'none']);
  });
});
