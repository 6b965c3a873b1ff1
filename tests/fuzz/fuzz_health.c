/* fuzz_health.c: the io.husk.healthcheck annotation (Docker's Healthcheck object), Go
 * durations, RFC 3339 times and logs' --since/--until times. */
#include "fuzz.h"

#include <jansson.h>

#include "base/error.h"
#include "base/utils.h"
#include "monitor/duration.h"
#include "monitor/health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_string(data, size);
  struct husk_error *err = NULL;
  struct health_config cfg;
  if (health_config_from_annotation(text, &cfg, &err) == 0) {
    json_t *j = health_config_to_json(&cfg);
    json_decref(j);
    strv_free(health_config_argv(&cfg));
    health_config_free(&cfg);
  }
  husk_error_freep(&err);
  int64_t ns;
  if (duration_parse(text, &ns, &err) == 0)
    free(duration_format(ns));
  husk_error_freep(&err);
  rfc3339_parse(text, &ns, &err);
  husk_error_freep(&err);
  log_time_parse(text, INT64_C(1700000000000000000), &ns, &err); /* logs --since/--until */
  husk_error_freep(&err);
  free(text);
  return 0;
}
