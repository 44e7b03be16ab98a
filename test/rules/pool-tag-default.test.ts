import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('pool-tag-default', {
  valid: [
    {
      name: 'a driver tag through a macro',
      code: `#define SAMPLE_TAG 'pmaS'
PVOID Get(SIZE_T length) {
    return ExAllocatePool2(POOL_FLAG_NON_PAGED, length, SAMPLE_TAG);
}`,
    },
    {
      name: 'a literal driver tag in the free',
      code: `VOID Put(PVOID buffer) {
    ExFreePoolWithTag(buffer, 'pmaS');
}`,
    },
    {
      name: 'a tag passed in by the caller',
      code: `PVOID GetTagged(SIZE_T length, ULONG tag) {
    return ExAllocatePoolWithTag(NonPagedPoolNx, length, tag);
}`,
    },
  ],
  invalid: [
    {
      name: "the WDK default ' kdD'",
      code: `PVOID Get(SIZE_T length) {
    return ExAllocatePool2(POOL_FLAG_NON_PAGED, length, ' kdD');
}`,
      errors: [{ messageId: 'defaultTag', line: 2, severity: 'hint', message: "ExAllocatePool2 uses ' kdD' (shown as Ddk: the WDK's default tag)" }],
    },
    {
      name: 'the ExAllocatePool tag through a macro',
      code: `#define MY_TAG 'enoN'
PVOID Get(SIZE_T length) {
    return ExAllocatePoolWithTag(NonPagedPoolNx, length, MY_TAG);
}`,
      errors: [{ messageId: 'defaultTag', line: 3, message: /shown as None/ }],
    },
    {
      name: 'a zero tag in the free',
      code: `VOID Put(PVOID buffer) {
    ExFreePoolWithTag(buffer, 0);
}`,
      errors: [{ messageId: 'defaultTag', line: 2, message: /no tag \(0\)/ }],
    },
  ],
});
