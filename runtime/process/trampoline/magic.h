/* magic.h: the argv[0] husk gives the trampoline stub, so the stub refuses to act when a
 * container program names it as its interpreter. Shared by stub.c and trampoline.c. */
#pragma once

#define TRAMPOLINE_MAGIC "husk-trampoline-v1"
/* argv[0] of the stub as the container's init (run --init): stub.c's init mode. */
#define TRAMPOLINE_INIT_MAGIC "husk-init"
