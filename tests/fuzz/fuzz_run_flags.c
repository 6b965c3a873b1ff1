/* fuzz_run_flags.c: run's own flags and the config.json patch they make. The input is lines of
 * "flag value" (one space), e.g. "memory 64m", "health-interval 1s", "rm". */
#include "fuzz.h"

#include <getopt.h>
#include <jansson.h>

#include "base/error.h"
#include "monitor/health.h"
#include "monitor/run_options.h"

static const struct option run_flags[] = {RUN_LONG_OPTIONS, RUN_RESTART_LONG_OPTIONS, {0}};

static const struct option *flag_named(const char *name) {
  for (size_t i = 0; run_flags[i].name; i++)
    if (strcmp(run_flags[i].name, name) == 0)
      return &run_flags[i];
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_string(data, size);
  struct run_options o;
  run_options_init(&o);
  struct husk_error *err = NULL;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *value = strchr(line, ' ');
    if (value)
      *value++ = '\0';
    const struct option *flag = flag_named(line);
    if (!flag)
      continue;
    /* as getopt hands them over: a required argument is never NULL, none is */
    if (flag->has_arg == required_argument && !value)
      value = "";
    if (flag->has_arg == no_argument)
      value = NULL;
    if (run_parse_option(flag->val, value, &o, &err) < 0)
      husk_error_freep(&err);
  }
  json_t *patch = run_config_patch(&o);
  json_decref(patch);
  struct health_config cfg;
  if (health_config_resolve(NULL, &o.health, &cfg, &err) == 0)
    health_config_free(&cfg);
  husk_error_free(err);
  run_options_free(&o);
  free(text);
  return 0;
}
