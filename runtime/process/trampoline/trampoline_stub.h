/* trampoline_stub.h: the stub program's bytes, generated at build time from stub.c. */
#pragma once

extern const unsigned char trampoline_stub[];
extern const unsigned long trampoline_stub_size;
