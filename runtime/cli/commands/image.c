/* image.c: `husk image load|ls|inspect|tag|rm|prune`, `husk images`, and what run, create and
 * spec share for an image operand: the config.json made from the image config. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/utils.h"
#include "commands.h"
#include "container/container.h"
#include "image/image_spec.h"
#include "image/load.h"
#include "image/store.h"

#define IMAGE_USAGE                                                                                \
  "image load SOURCE | ls [-q] | inspect REF... | tag REF NAME[:TAG] | rm [-f] REF... | "          \
  "prune [-a]"

static const char *storage_of(const struct global_options *g) {
  return g->storage ? g->storage : store_default_root();
}

/* "3 days ago", as docker images has it. */
static void format_age(const char *rfc3339, char *out, size_t len) {
  struct tm tm = {0};
  if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm)) {
    snprintf(out, len, "N/A");
    return;
  }
  time_t then = timegm(&tm), now = time(NULL);
  long long s = (long long)(now - then);
  static const struct {
    long long secs;
    const char *unit;
  } units[] = {{365LL * 86400, "year"}, {30LL * 86400, "month"}, {7 * 86400, "week"},
               {86400, "day"},          {3600, "hour"},          {60, "minute"}};
  for (size_t i = 0; i < ARRAY_SIZE(units); i++)
    if (s >= units[i].secs) {
      long long n = s / units[i].secs;
      snprintf(out, len, "%lld %s%s ago", n, units[i].unit, n == 1 ? "" : "s");
      return;
    }
  snprintf(out, len, "%s", s < 0 ? "in the future" : "less than a minute ago");
}

/* Sizes as docker prints them: powers of 1000, three significant digits. */
static void format_size(uint64_t n, char *out, size_t len) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = (double)n;
  size_t u = 0;
  while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
    v /= 1000;
    u++;
  }
  snprintf(out, len, v < 10 && u ? "%.3g%s" : "%.4g%s", v, units[u]);
}

static int image_ls(struct image_store *s, bool quiet) {
  _cleanup_json_ json_t *images = store_images(s);
  if (!quiet)
    printf("%-40s %-16s %-14s %-20s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
  for (size_t i = json_array_size(images); i-- > 0;) { /* newest first */
    json_t *rec = json_array_get(images, i);
    const char *id = json_string_value(json_object_get(rec, "id"));
    if (!digest_valid(id))
      continue;
    if (quiet) {
      printf("%.12s\n", digest_hex(id));
      continue;
    }
    char age[48], size[32];
    format_age(json_string_value(json_object_get(rec, "created")), age, sizeof(age));
    format_size((uint64_t)json_integer_value(json_object_get(rec, "size")), size, sizeof(size));
    _cleanup_json_ json_t *names = store_image_names(s, id);
    if (json_array_size(names) == 0)
      json_array_append_new(names, json_string("<none>:<none>"));
    size_t j;
    json_t *n;
    json_array_foreach(names, j, n) {
      const char *name = json_string_value(n);
      const char *colon = strrchr(name, ':');
      printf("%-40.*s %-16s %-14.12s %-20s %s\n", (int)(colon - name), name, colon + 1,
             digest_hex(id), age, size);
    }
  }
  return 0;
}

static json_t *inspect_one(struct image_store *s, const struct image *img) {
  const json_t *cfg = img->config;
  return json_pack(
      "{s:s, s:o, s:O?, s:O?, s:O?, s:O?, s:I, s:O?, s:O?, s:O?}", "Id", img->id, "RepoTags",
      store_image_names(s, img->id), "Created", json_object_get(cfg, "created"), "Author",
      json_object_get(cfg, "author"), "Architecture", json_object_get(cfg, "architecture"), "Os",
      json_object_get(cfg, "os"), "Size", json_integer_value(json_object_get(img->record, "size")),
      "Config", json_object_get(cfg, "config"), "RootFS", json_object_get(cfg, "rootfs"), "History",
      json_object_get(cfg, "history"));
}

static int image_inspect(struct image_store *s, int argc, char **argv, struct husk_error **err) {
  if (argc < 1)
    return husk_error_set(err, EINVAL, "image inspect: name an image (usage: husk %s)",
                          IMAGE_USAGE);
  _cleanup_json_ json_t *out = json_array();
  for (int i = 0; i < argc; i++) {
    _cleanup_image_ struct image *img = NULL;
    int r = image_find(s, argv[i], &img, err);
    if (r < 0)
      return r;
    json_array_append_new(out, inspect_one(s, img));
  }
  json_dumpf(out, stdout, JSON_INDENT(4));
  putchar('\n');
  return 0;
}

static int image_load_cmd(struct image_store *s, int argc, char **argv, bool quiet,
                          struct husk_error **err) {
  if (argc != 1)
    return husk_error_set(err, EINVAL, "image load: expected one SOURCE (usage: husk %s)",
                          IMAGE_USAGE);
  struct image_loaded l = {.names = NULL};
  int r = image_load(s, argv[0], &l, err);
  if (r < 0)
    return r;
  if (!quiet && !l.names[0])
    printf("Loaded image ID: %s\n", l.id);
  for (size_t i = 0; !quiet && l.names[i]; i++)
    printf("Loaded image: %s\n", l.names[i]);
  image_loaded_clear(&l);
  return 0;
}

int cmd_image(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    printf("usage: husk %s\n", IMAGE_USAGE);
    return argc < 2 ? 1 : 0;
  }
  const char *sub = argv[1];
  static const char *const subs[] = {"load", "ls", "list", "inspect", "tag", "rm", "prune"};
  bool known = false;
  for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
    known = known || strcmp(sub, subs[i]) == 0;
  if (!known)
    return husk_error_set(err, EINVAL, "image: unknown command \"%s\" (usage: husk %s)", sub,
                          IMAGE_USAGE);
  /* Flags of the subcommands: -q (load, ls), -f (rm), -a (prune); anything else is refused. */
  bool quiet = false, force = false, all = false;
  char *input = NULL;
  int i = 2;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    const char *f = argv[i];
    if (strcmp(f, "--") == 0) {
      i++;
      break;
    }
    if ((strcmp(f, "-q") == 0 || strcmp(f, "--quiet") == 0) &&
        (strcmp(sub, "load") == 0 || strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0))
      quiet = true;
    else if ((strcmp(f, "-f") == 0 || strcmp(f, "--force") == 0) && strcmp(sub, "rm") == 0)
      force = true;
    else if ((strcmp(f, "-a") == 0 || strcmp(f, "--all") == 0) && strcmp(sub, "prune") == 0)
      all = true;
    else if ((strcmp(f, "-i") == 0 || strcmp(f, "--input") == 0) && strcmp(sub, "load") == 0 &&
             i + 1 < argc && !input)
      input = argv[++i]; /* docker load -i FILE */
    else
      return husk_error_set(err, EINVAL, "image %s: unknown option \"%s\" (usage: husk %s)", sub, f,
                            IMAGE_USAGE);
  }
  _cleanup_store_ struct image_store *s = NULL;
  int r = store_open(storage_of(g), &s, err);
  if (r < 0)
    return r;
  int n = argc - i;
  char **args = argv + i;
  if (strcmp(sub, "load") == 0)
    return input ? image_load_cmd(s, n + 1, n ? args - 1 : &input, quiet, err)
                 : image_load_cmd(s, n, args, quiet, err);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
    return n ? husk_error_set(err, EINVAL, "image ls: takes no operand") : image_ls(s, quiet);
  if (strcmp(sub, "inspect") == 0)
    return image_inspect(s, n, args, err);
  if (strcmp(sub, "tag") == 0) {
    if (n != 2)
      return husk_error_set(err, EINVAL, "image tag: expected REF NAME[:TAG]");
    char id[DIGEST_TEXT_SIZE];
    r = image_find_id(s, args[0], id, err);
    if (r == -ENOENT)
      return husk_error_set(err, ENOENT, "image tag: no such image: %s", args[0]);
    return r < 0 ? r : store_tag(s, id, args[1], err);
  }
  if (strcmp(sub, "rm") == 0) {
    if (n < 1)
      return husk_error_set(err, EINVAL, "image rm: name an image");
    for (int k = 0; k < n; k++)
      if ((r = store_remove(s, args[k], force, err)) < 0)
        return r;
    return 0;
  }
  if (n)
    return husk_error_set(err, EINVAL, "image prune: takes no operand");
  uint64_t freed = 0;
  r = store_prune(s, all, &freed, err);
  if (r < 0)
    return r;
  char size[32];
  format_size(freed, size, sizeof(size));
  printf("Total reclaimed space: %s\n", size);
  return 0;
}

int cmd_images(int argc, char **argv, const struct global_options *g, struct husk_error **err) {
  bool quiet = argc == 2 && (strcmp(argv[1], "-q") == 0 || strcmp(argv[1], "--quiet") == 0);
  if (argc > 1 && !quiet)
    return husk_error_set(err, EINVAL, "images: unknown option \"%s\" (usage: husk images [-q])",
                          argv[1]);
  _cleanup_store_ struct image_store *s = NULL;
  int r = store_open(storage_of(g), &s, err);
  return r < 0 ? r : image_ls(s, quiet);
}

/* --- an image as what run and create start -------------------------------------------------- */

int target_parse_option(int c, const char *arg, struct command_target *t) {
  if (c != TARGET_OPT_ENTRYPOINT)
    return 1;
  t->entrypoint = arg;
  t->entrypoint_set = true;
  return 0;
}

/* Whether a run/create operand names an image: a transport prefix, or a name the store has
 * (a store that does not exist yet is not made for asking). */
bool command_names_image(const struct global_options *g, const char *text) {
  if (image_source_has_transport(text))
    return true;
  struct stat st;
  if (stat(storage_of(g), &st) < 0 || stat(text, &st) == 0)
    return false;
  _cleanup_store_ struct image_store *s = NULL;
  char id[DIGEST_TEXT_SIZE];
  return store_open(storage_of(g), &s, NULL) == 0 && image_find_id(s, text, id, NULL) == 0;
}

char *command_new_id(void) {
  unsigned char raw[6];
  if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
    for (size_t i = 0; i < sizeof(raw); i++)
      raw[i] = (unsigned char)(rand() ^ (int)getpid());
  return xasprintf("%02x%02x%02x%02x%02x%02x", raw[0], raw[1], raw[2], raw[3], raw[4], raw[5]);
}

/* A directory holding an OCI image layout (it is loaded, as oci:DIR would be). */
static bool is_layout_dir(const char *path) {
  _cleanup_free_ char *index = xasprintf("%s/index.json", path);
  return access(index, F_OK) == 0;
}

/* The image's config.json (spec.c's default made into the image's), ref loaded first when it
 * names a source (oci:DIR, docker-archive:FILE, ...). */
int command_image_config(const struct global_options *g, const struct command_target *t,
                         bool user_set, json_t **ret, struct husk_error **err) {
  _cleanup_store_ struct image_store *s = NULL;
  int r = store_open(storage_of(g), &s, err);
  if (r < 0)
    return r;
  char id[DIGEST_TEXT_SIZE];
  const char *ref = t->source;
  if (image_source_has_transport(t->source) || is_layout_dir(t->source)) {
    struct image_loaded l = {.names = NULL};
    r = image_load(s, t->source, &l, err);
    if (r < 0)
      return r;
    memcpy(id, l.id, sizeof(id));
    image_loaded_clear(&l);
    ref = id;
  }
  _cleanup_image_ struct image *img = NULL;
  r = image_find(s, ref, &img, err);
  if (r < 0)
    return r;
  _cleanup_json_ json_t *doc = spec_default_config(false);
  const struct image_overrides o = {.entrypoint_set = t->entrypoint_set,
                                    .entrypoint = t->entrypoint,
                                    .args = t->args,
                                    .n_args = t->n_args,
                                    .user_set = user_set};
  r = image_spec_apply(doc, img, &o, err);
  if (r < 0)
    return husk_error_wrap(err, "image %s", t->source);
  *ret = TAKE_PTR(doc);
  return 0;
}

int command_resolve_target(const struct global_options *g, const struct command_target *t,
                           bool user_set, struct create_options *co, json_t **ret_doc,
                           json_t **patch, struct husk_error **err) {
  *ret_doc = NULL;
  _cleanup_free_ char *config = t->source ? xasprintf("%s/config.json", t->source) : NULL;
  bool bundle = !t->source || (!image_source_has_transport(t->source) && access(config, F_OK) == 0);
  co->storage = storage_of(g);
  struct stat st;
  if (!bundle && !image_source_has_transport(t->source) && stat(t->source, &st) == 0 &&
      !(S_ISDIR(st.st_mode) && is_layout_dir(t->source)))
    return husk_error_set(err, ENOENT,
                          "%s: neither a bundle (it has no config.json) nor an OCI image layout "
                          "(no index.json); an archive is given as docker-archive:%s or "
                          "oci-archive:%s",
                          t->source, t->source, t->source);
  if (bundle) {
    if (t->source)
      co->bundle = t->source;
    /* Arguments after a bundle replace its process.args; --entrypoint goes first. */
    if (!t->n_args && !t->entrypoint_set)
      return 0;
    json_t *args = json_array();
    if (t->entrypoint_set && t->entrypoint && *t->entrypoint)
      json_array_append_new(args, json_string(t->entrypoint));
    for (size_t i = 0; i < t->n_args; i++)
      json_array_append_new(args, json_string(t->args[i]));
    if (!*patch)
      *patch = json_object();
    json_t *process = json_object_get(*patch, "process");
    if (!process)
      json_object_set_new(*patch, "process", process = json_object());
    json_object_set_new(process, "args", args);
    return 0;
  }
  int r = command_image_config(g, t, user_set, ret_doc, err);
  if (r < 0)
    return r;
  co->config_doc = *ret_doc;
  co->bundle = NULL;
  return 0;
}
