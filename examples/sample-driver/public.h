/*
 * Sample driver's interface to user mode (IOCTL codes and request layouts).
 * A teaching sample for Driver Guard: some of these definitions are deliberately unsafe.
 */
#pragma once

#define SAMPLE_DEVICE_TYPE 0x8337

/* Planted issue: METHOD_NEITHER hands the driver raw user-mode pointers. */
#define IOCTL_SAMPLE_GET_STATS  CTL_CODE(SAMPLE_DEVICE_TYPE, 0x800, METHOD_NEITHER, FILE_READ_ACCESS)
#define IOCTL_SAMPLE_SET_NAME   CTL_CODE(SAMPLE_DEVICE_TYPE, 0x801, METHOD_BUFFERED, FILE_WRITE_ACCESS)
#define IOCTL_SAMPLE_STORE      CTL_CODE(SAMPLE_DEVICE_TYPE, 0x802, METHOD_BUFFERED, FILE_WRITE_ACCESS)

#define SAMPLE_NAME_LENGTH 32
#define SAMPLE_STORE_SIZE 256

typedef struct _SAMPLE_NAME_REQUEST {
    CHAR Name[SAMPLE_NAME_LENGTH];
} SAMPLE_NAME_REQUEST, *PSAMPLE_NAME_REQUEST;

typedef struct _SAMPLE_STATS {
    ULONG Requests;
    ULONG Errors;
} SAMPLE_STATS, *PSAMPLE_STATS;
