/* fuzz_config.c: config.json parsing (spec.c), every field and JSON path error. */
#include "fuzz.h"

#include "base/error.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_string(data, size);
  struct spec *spec = NULL;
  struct husk_error *err = NULL;
  if (spec_parse_string(text, &spec, &err) == 0)
    spec_free(spec);
  husk_error_free(err);
  free(text);
  return 0;
}
