/* fuzz_state.c: state.json as husk reads it back, and the crash journal. */
#include "fuzz.h"

#include "base/error.h"
#include "container/journal.h"
#include "container/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_string(data, size);
  struct container_state *st = NULL;
  struct husk_error *err = NULL;
  if (state_parse(text, &st, &err) == 0) {
    json_t *j = state_to_oci_json(st, STATUS_STOPPED);
    json_decref(j);
    size_t unreadable;
    journal_parse(text, st, &unreadable);
    container_state_free(st);
  }
  husk_error_free(err);
  free(text);
  return 0;
}
