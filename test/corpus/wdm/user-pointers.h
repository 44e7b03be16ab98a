/*
 * Request layouts of the user-pointer corpus handlers, shared with the (imaginary) user-mode client: the driver's
 * own file does not declare them, so whether a field holds a pointer is known only from this header. Written from
 * scratch by the Driver Guard team. Do not ship this code.
 */
#pragma once

/* A copy between a kernel table and a caller address. */
typedef struct _UPTR_TRANSFER {
    PVOID Buffer;
    ULONG Length;
    ULONG Reserved;
} UPTR_TRANSFER, *PUPTR_TRANSFER;
