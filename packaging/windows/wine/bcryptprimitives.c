/* For `make windows-check` only, never shipped: Debian's Wine 8.0 has no bcryptprimitives.dll,
 * whose ProcessPrng the Rust standard library imports for its random numbers, so no Rust program
 * starts under it. This DLL, put beside the installed programs inside the check's own Wine
 * prefix, gives ProcessPrng over RtlGenRandom (advapi32's SystemFunction036), which Wine has. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
